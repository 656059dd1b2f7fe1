package io.lorastream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.events.EventJson;
import io.lorastream.testing.LauncherScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./lorastream demo --stop} as a user runs it (real Kafka, S3 server, the four services as
 * processes): every tenant ends with a promoted second version better than its first; the poisoned
 * phase ends with a candidate trained on the poison rolled back by live labels before 200 labelled canary
 * predictions, none stable; a manual roll-back is answered by the old version on the very next request;
 * the stack is down afterwards.
 * The stack's logs are kept under target/demo-it-logs.
 */
class DemoOnLocalStackIT {
    static final Path ROOT = Path.of(System.getProperty("lorastream.root", "..")).toAbsolutePath().normalize();

    @TempDir
    static Path home;

    static LauncherScript launcher;

    @BeforeAll
    static void ports() throws Exception {
        launcher = new LauncherScript(ROOT, home);
    }

    @AfterAll
    static void keepLogsAndStop() throws Exception {
        Path logs = home.resolve("logs");
        if (Files.isDirectory(logs)) { // @TempDir goes with the test
            Path kept = Path.of("target", "demo-it-logs");
            Files.createDirectories(kept);
            try (var files = Files.list(logs)) {
                for (Path log : files.toList()) {
                    Files.copy(log, kept.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        launcher.run(120, "down");
    }

    @Test
    void theDemoPromotesEveryTenantRollsThePoisonedOneBackAndAnAdminRollbackServesTheNextRequest() throws Exception {
        LauncherScript.Result demo = launcher.run(1200, "demo", "--stop");
        System.out.println(demo.output());
        assertThat(demo.exitCode()).as(demo.output()).isZero();
        String last = demo.output().strip().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
        JsonNode summary = EventJson.MAPPER.readTree(last);
        assertThat(summary.path("failures")).isEmpty();
        List<String> tenants = new ArrayList<>();
        summary.fieldNames().forEachRemaining(name -> {
            String tenant = name.substring(0, name.indexOf('.') < 0 ? name.length() : name.indexOf('.'));
            if (name.endsWith(".stable") && !tenants.contains(tenant)) {
                tenants.add(tenant);
            }
        });
        assertThat(tenants).hasSize(3);
        for (String t : tenants) {
            assertThat(summary.path(t + ".secondDecision").asText()).as(t + ": its second version").startsWith("PROMOTED");
            assertThat(summary.path(t + ".stable").asInt()).as(t + " ends on a later version").isGreaterThan(1);
        }
        String poisoned = tenants.stream().filter(t -> t.startsWith("yelp-")).findFirst().orElseThrow();
        assertThat(summary.path(poisoned + ".poisoned").asText()).matches("ROLLED_BACK v\\d+");
        assertThat(summary.path(poisoned + ".poisonedCanaryLabels").asInt()).isLessThan(200);
        String admin = tenants.get(0);
        assertThat(summary.path(admin + ".rollback.nextRequestVersion").asInt()).isEqualTo(summary.path(admin + ".rollback.to").asInt());
        assertThat(demo.output()).contains("stopped serving").contains("stopped kafka");
    }
}
