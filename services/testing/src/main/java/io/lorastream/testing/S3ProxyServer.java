package io.lorastream.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** s3proxy with its filesystem backend, in a child JVM on a free loopback port. */
public final class S3ProxyServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final String url;
    private final Path log;

    private S3ProxyServer(Process process, String url, Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    /** Starts s3proxy storing objects under {@code dataDir}; returns once it accepts connections. */
    public static S3ProxyServer start(Path dataDir, String accessKey, String secretKey) {
        try {
            return start(dataDir, accessKey, secretKey, freePort());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port for s3proxy", e);
        }
    }

    /**
     * On a given port: stopping one and starting another on the same port and {@code dataDir} is an S3
     * outage and its end, as clients see it (the objects survive).
     */
    public static S3ProxyServer start(Path dataDir, String accessKey, String secretKey, int port) {
        try {
            Path blobs = Files.createDirectories(dataDir.resolve("blobs"));
            String url = "http://127.0.0.1:" + port;
            Properties config = new Properties();
            config.setProperty("s3proxy.endpoint", url);
            config.setProperty("s3proxy.authorization", "aws-v2-or-v4");
            config.setProperty("s3proxy.identity", accessKey);
            config.setProperty("s3proxy.credential", secretKey);
            config.setProperty("jclouds.provider", "filesystem");
            config.setProperty("jclouds.filesystem.basedir", blobs.toString());
            Path configFile = dataDir.resolve("s3proxy.conf");
            try (Writer out = Files.newBufferedWriter(configFile)) {
                config.store(out, "written by LoraStream test infrastructure");
            }
            Path log = dataDir.resolve("s3proxy.log");
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String classpath = s3proxyJar() + File.pathSeparator + ownCodeSource();
            Process process = new ProcessBuilder(List.of(javaBin, "-Xmx256m", "-cp", classpath,
                    S3ProxyChild.class.getName(), "--properties", configFile.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            S3ProxyServer server = new S3ProxyServer(process, url, log);
            server.awaitPort(port);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start s3proxy", e);
        }
    }

    public String url() {
        return url;
    }

    Process process() {
        return process;
    }

    private void awaitPort(int port) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("s3proxy exited with " + process.exitValue() + "; see " + log);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(100);
            }
        }
        close();
        throw new IllegalStateException("s3proxy did not listen on " + port + " within " + START_TIMEOUT + "; see " + log);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The uber jar is copied next to this module's classes by its build (target/s3proxy/s3proxy.jar);
     * {@code -Dlorastream.s3proxy.jar} points elsewhere.
     */
    static Path s3proxyJar() {
        String configured = System.getProperty("lorastream.s3proxy.jar");
        Path jar = configured != null ? Path.of(configured) : ownCodeSource().getParent().resolve("s3proxy").resolve("s3proxy.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("s3proxy jar not found at " + jar
                    + "; build services/testing with Maven (it copies the jar there) or set -Dlorastream.s3proxy.jar");
        }
        return jar;
    }

    private static Path ownCodeSource() {
        try {
            return Path.of(S3ProxyServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for s3proxy", e);
        }
    }
}
