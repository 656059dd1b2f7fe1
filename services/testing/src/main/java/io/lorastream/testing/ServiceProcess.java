package io.lorastream.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A LoraStream service (its Quarkus app jar) in its own JVM, as in production: tests can kill it
 * with SIGKILL and start it again. A small shell stays between the test JVM and the service and
 * kills the service when the test JVM's pipe closes, so a crashed test run leaves nothing behind.
 */
public final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path jar;
    private final int port;
    /** Health and metrics: the service's management interface, on a port of its own (free when constructed). */
    private final int managementPort;
    private final Map<String, String> properties;
    private final Map<String, String> environment;
    private final Path log;
    private Process guardian;
    private long pid;

    public ServiceProcess(String name, Path jar, int port, Map<String, String> properties, Map<String, String> environment, Path log) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package the service first (./mvnw package)");
        }
        this.name = name;
        this.jar = jar;
        this.port = port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            this.managementPort = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for " + name + "'s management interface", e);
        }
        this.properties = Map.copyOf(properties);
        this.environment = Map.copyOf(environment);
        this.log = log;
    }

    /** Starts the JVM and waits until {@code /q/health/ready} answers 200 on its management interface. */
    public ServiceProcess start(Duration timeout) {
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                "\"$@\" </dev/null >>\"$LORASTREAM_SERVICE_LOG\" 2>&1 & child=$!; echo $child; "
                        + "trap 'kill -9 $child 2>/dev/null' EXIT; cat >/dev/null",
                "service", Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.management.port=" + managementPort, "-Dquarkus.management.host=127.0.0.1"));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(environment);
        builder.environment().put("LORASTREAM_SERVICE_LOG", log.toString());
        try {
            guardian = builder.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(guardian.getInputStream(), StandardCharsets.UTF_8));
            pid = Long.parseLong(out.readLine().strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready()) {
            if (!alive()) {
                throw new IllegalStateException(name + " exited during start; log: " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready within " + timeout + "; log: " + log);
            }
            sleep(250);
        }
        return this;
    }

    public boolean ready() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(managementUrl("/q/health/ready"))).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public boolean alive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** kill -9: no shutdown hook, no flush, no commit. */
    public void kill() {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        waitForExit();
        guardian.destroy();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** A path on the management interface: {@code /q/health/ready}, {@code /q/metrics}. */
    public String managementUrl(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        waitForExit();
        if (guardian != null) {
            guardian.destroy();
        }
    }

    private void waitForExit() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (alive() && System.nanoTime() < deadline) {
            sleep(100);
        }
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
