package io.lorastream.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ./lorastream} as a tool calls it to start or stop one component of the running stack: the launcher knows how to
 * start each (its login, its ports, its health), so a benchmark never starts a service its own way. What it starts
 * inherits {@code env} on top of the caller's environment: a Quarkus service reads {@code LORASTREAM_TRAINER_FUSE_TENANTS}
 * as {@code lorastream.trainer.fuse-tenants}.
 */
public final class StackLauncher {
    private final Path script;

    public StackLauncher(Path script) {
        this.script = script;
    }

    public void run(String... args) throws IOException, InterruptedException {
        run(Map.of(), args);
    }

    /** Runs the launcher with {@code args}; a non-zero exit is an error with the command and everything it printed. */
    public void run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }
}
