package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service, started as in production, refuses to start on missing or bad settings and names
 * the key (and the value): development credentials exist only in the dev and test profiles and in the
 * local launcher, never as a silent production default; every constraint declared on
 * {@link StreamProcessorConfig} is checked by the start itself.
 */
class StartupChecksIT {
    @TempDir
    Path work;

    /** Starts the production jar with these system properties and no S3 variables; returns its log once it has exited. */
    private String failedStart(String... properties) throws Exception {
        Path jar = Path.of(System.getProperty("lorastream.stream-processor.jar"));
        Path log = work.resolve("stream-processor.log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dquarkus.http.port=0", "-Dkafka.bootstrap.servers=127.0.0.1:1"));
        command.addAll(List.of(properties));
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("LORASTREAM_"));
        Process service = builder.start();
        try {
            assertThat(service.waitFor(120, TimeUnit.SECONDS)).as("the service exits by itself; log: " + log).isTrue();
            assertThat(service.exitValue()).isNotZero();
            return Files.readString(log);
        } finally {
            service.destroyForcibly();
        }
    }

    @Test
    void aProductionStartWithoutS3CredentialsFailsNamingTheKey() throws Exception {
        assertThat(failedStart()).contains("lorastream.s3.access-key").contains("LORASTREAM_S3_ACCESS_KEY");
    }

    @Test
    void aStartWithBadSettingsFailsNamingEachKeyAndValue() throws Exception {
        assertThat(failedStart("-Dlorastream.s3.access-key=a", "-Dlorastream.s3.secret-key=b", "-Dlorastream.s3.endpoint=http://127.0.0.1:1",
                "-Dlorastream.feedback.shard-max-examples=0", "-Dlorastream.rollout.max-samples=99",
                "-Dlorastream.training-policy.tenants.\"acme\".max-wait=PT0S"))
                .contains("lorastream.feedback.shard-max-examples must be at least 1 (was 0)")
                .contains("lorastream.rollout max-samples=99: must be at least min-samples (100)")
                .contains("lorastream.training-policy.tenants.acme.max-wait must be a positive duration (was PT0S)");
    }
}
