package io.lorastream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class S3ProxyServerIT {

    @Test
    void theChildExitsWhenItsParentsPipeCloses(@TempDir Path dir) throws Exception {
        S3ProxyServer server = S3ProxyServer.start(dir, "key", "secret-secret");
        try {
            assertThat(server.process().isAlive()).isTrue();
            // What the OS does when the test JVM dies, even by kill -9.
            server.process().getOutputStream().close();
            assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).as("s3proxy exits on its own").isTrue();
        } finally {
            server.close();
        }
    }

    @Test
    void closeStopsTheServer(@TempDir Path dir) throws Exception {
        S3ProxyServer server = S3ProxyServer.start(dir, "key", "secret-secret");
        server.close();
        assertThat(server.process().isAlive()).isFalse();
        assertThat(Files.readString(dir.resolve("s3proxy.conf"))).contains("jclouds.provider=filesystem");
    }
}
