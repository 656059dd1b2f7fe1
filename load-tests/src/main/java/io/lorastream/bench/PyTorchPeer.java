package io.lorastream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Plain-PyTorch peers under {@code load-tests/reference/}, run with Debian's python3-torch ({@code /usr/bin/python3})
 * and OpenBLAS's core-type and cache overrides removed from their environment: set, they make OpenBLAS pick slower
 * kernels (about 2.5× on these hosts), which would flatter the engine.
 */
final class PyTorchPeer {
    static final String PYTHON = "/usr/bin/python3";

    private PyTorchPeer() {}

    /** Why no peer can run here, or null when one can. */
    static String missing() {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return PYTHON + " is not installed (apt-get install python3-torch libopenblas0-openmp)";
        }
        try {
            Process process = builder(List.of(PYTHON, "-c", "import torch")).redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return "python3-torch is not installed (apt-get install python3-torch libopenblas0-openmp)";
            }
            return null;
        } catch (Exception e) {
            return "cannot run " + PYTHON + ": " + e.getMessage();
        }
    }

    /** Runs {@code script} with {@code args}, its output passed through; fails on a non-zero exit. */
    static void run(Path script, List<String> args) throws Exception {
        Process process = builder(command(script, args)).inheritIO().start();
        if (process.waitFor() != 0) {
            throw new IllegalStateException(script.getFileName() + " failed (exit " + process.exitValue() + ")");
        }
    }

    /** Runs {@code script} with {@code args} and reads the JSON object on its last line of output. */
    static Map<String, Object> json(Path script, List<String> args) throws Exception {
        Process process = builder(command(script, args)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return LastJsonLine.of(process, script.getFileName() + " " + args.get(0));
    }

    private static List<String> command(Path script, List<String> args) {
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString()));
        command.addAll(args);
        return command;
    }

    private static ProcessBuilder builder(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("OPENBLAS_CORETYPE");
        builder.environment().remove("OPENBLAS_L2_SIZE");
        return builder;
    }
}
