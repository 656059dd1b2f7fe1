package io.lorastream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.events.EventJson;
import io.lorastream.testing.LauncherScript;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's end to end, on the stack {@code ./lorastream up} starts (real Kafka, S3 server, the four
 * services as processes), with canaries on: {@code ./lorastream bench rollout} must see the honest
 * tenant's candidate promoted, the poisoned tenant's candidate rejected or rolled back before 200
 * labelled canary predictions and never stable, and a manual roll-back answered by the old version on
 * the very next request. The stack's logs are kept under target/ when it fails.
 */
class RolloutOnLocalStackIT {
    static final Path ROOT = Path.of(System.getProperty("lorastream.root", "..")).toAbsolutePath().normalize();

    @TempDir
    static Path home;

    static LauncherScript launcher;

    @BeforeAll
    static void up() throws Exception {
        launcher = new LauncherScript(ROOT, home);
        launcher.env().put("LORASTREAM_ROLLOUT_CANARY_SHARE", "0.5");
        // one training request per phase: nothing is requested from the live labels before the rule decides
        launcher.env().put("LORASTREAM_TRAINING_POLICY_DEFAULTS_MIN_EXAMPLES", "300");
        launcher.env().put("LORASTREAM_TRAINING_POLICY_DEFAULTS_MAX_WAIT", "PT10M");
        launcher.env().put("LORASTREAM_FEEDBACK_SHARD_MAX_EXAMPLES", "2000");
        LauncherScript.Result up = launcher.run(300, "up");
        assertThat(up.exitCode()).as(up.output()).isZero();
    }

    @AfterAll
    static void down() throws Exception {
        Path logs = home.resolve("logs");
        if (Files.isDirectory(logs)) { // kept for a failed run: @TempDir goes with the test
            Path kept = Path.of("target", "rollout-it-logs");
            Files.createDirectories(kept);
            try (var files = Files.list(logs)) {
                for (Path log : files.toList()) {
                    Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        launcher.run(120, "down");
    }

    @Test
    void poisonedFeedbackIsRolledBackHonestFeedbackPromotedAndAManualRollbackServesTheNextRequest() throws Exception {
        LauncherScript.Result run = launcher.run(900, "bench", "rollout");
        System.out.println(run.output());
        assertThat(run.exitCode()).as(run.output()).isZero();
        String last = run.output().strip().lines().reduce((a, b) -> b).orElseThrow();
        JsonNode summary = EventJson.MAPPER.readTree(last);
        assertThat(summary.path("failures")).isEmpty();
        String honest = null;
        String poisoned = null;
        for (var names = summary.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (name.startsWith("honest-")) {
                honest = name.substring(0, name.indexOf('.'));
            } else if (name.startsWith("poisoned-")) {
                poisoned = name.substring(0, name.indexOf('.'));
            }
        }
        assertThat(summary.path(honest + ".v2.decision").asText()).isEqualTo("PROMOTED");
        assertThat(summary.path(honest + ".rollback.nextRequestVersion").asInt()).isEqualTo(1);
        String poisonedFate = summary.has(poisoned + ".v2.decision") ? summary.path(poisoned + ".v2.decision").asText()
                : summary.path(poisoned + ".v2.gate").asText();
        assertThat(poisonedFate).isIn("REJECTED", "ROLLED_BACK");
        assertThat(summary.path(poisoned + ".v2.canaryLabels").asInt(0)).isLessThan(200);
    }
}
