package io.lorastream.engine.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's memory as Linux counts it (/proc/self/status): what a base or a benchmark phase really takes. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Peak resident memory so far (VmHWM), MiB. */
    public static double peakRssMiB() throws IOException {
        return statusMiB("VmHWM");
    }

    /** A memory figure of this process (VmRSS, VmHWM, …), MiB; NaN where /proc has none. */
    public static double statusMiB(String field) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return Double.NaN;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }
}
