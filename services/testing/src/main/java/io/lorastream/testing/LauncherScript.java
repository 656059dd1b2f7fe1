package io.lorastream.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code ./lorastream} script, run the way a user runs it, for tests of the local stack:
 * every port free and chosen here (a developer's own stack may be up on the defaults), state in a
 * directory of the test's, and the Maven build's jars (no build from the script).
 */
public final class LauncherScript {
    private final Path root;
    private final Map<String, String> env = new HashMap<>();

    /** What a run printed (stdout and stderr together) and its exit code. */
    public record Result(int exitCode, String output) {}

    public LauncherScript(Path root, Path home) throws IOException {
        this.root = root;
        env.put("LORASTREAM_HOME", home.toString());
        for (String port : List.of("KAFKA", "KAFKA_CONTROLLER", "S3", "INGEST", "STREAM_PROCESSOR", "TRAINER", "SERVING")) {
            env.put("LORASTREAM_" + port + "_PORT", String.valueOf(freePort()));
        }
        for (String service : List.of("INGEST", "STREAM_PROCESSOR", "TRAINER", "SERVING")) {
            env.put("LORASTREAM_" + service + "_MANAGEMENT_PORT", String.valueOf(freePort()));
        }
        env.put("LORASTREAM_SKIP_BUILD", "1"); // the Maven build made the jars already
    }

    /** The environment the script runs with: set a service's configuration here before {@code up}. */
    public Map<String, String> env() {
        return env;
    }

    public int port(String name) {
        return Integer.parseInt(env.get("LORASTREAM_" + name + "_PORT"));
    }

    public Result run(long timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("lorastream").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("./lorastream " + String.join(" ", args) + " still running after " + timeoutSeconds + " s:\n" + output);
        }
        return new Result(process.exitValue(), output);
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
