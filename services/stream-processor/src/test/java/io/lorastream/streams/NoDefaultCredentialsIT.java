package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service, started as in production without S3 credentials, refuses to start and names
 * the missing setting: development credentials exist only in the dev and test profiles and in the
 * local launcher, never as a silent production default.
 */
class NoDefaultCredentialsIT {
    @TempDir
    Path work;

    @Test
    void aProductionStartWithoutS3CredentialsFailsNamingTheKey() throws Exception {
        Path jar = Path.of(System.getProperty("lorastream.stream-processor.jar"));
        Path log = work.resolve("stream-processor.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dquarkus.http.port=0", "-Dkafka.bootstrap.servers=127.0.0.1:1", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("LORASTREAM_S3_"));
        Process service = builder.start();
        try {
            assertThat(service.waitFor(120, TimeUnit.SECONDS)).as("the service exits by itself; log: " + log).isTrue();
            assertThat(service.exitValue()).isNotZero();
            assertThat(Files.readString(log)).contains("lorastream.s3.access-key").contains("LORASTREAM_S3_ACCESS_KEY");
        } finally {
            service.destroyForcibly();
        }
    }
}
