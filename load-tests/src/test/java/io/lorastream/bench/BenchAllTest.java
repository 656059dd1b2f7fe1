package io.lorastream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bench all}'s orchestration against a stand-in launcher that records what it was asked to do. */
class BenchAllTest {
    @TempDir
    Path dir;

    /** A launcher that logs its arguments; its status shows {@code running} with a pid; each bench prints a line, then its JSON. */
    Path launcher(String running) throws Exception {
        Path script = dir.resolve("lorastream");
        Files.writeString(script, """
                #!/usr/bin/env bash
                echo "$*" >>"%s"
                case $1 in
                  status) echo "COMPONENT PID PORT HEALTH"; echo "kafka %s 9092 x"; echo "serving - 8083 down"; exit 1 ;;
                  bench) [ "$2" = serving ] && exit 3
                         echo "a table"; echo "{\\"bench\\": \\"$2\\", \\"matmul_gflops\\": 123.4, \\"p50_s\\": 25}" ;;
                esac
                """.formatted(dir.resolve("calls.txt"), running));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    @Test
    void runsEveryStepInOrderKeepsEachOutputAndReportsWhatRan() throws Exception {
        Path out = dir.resolve("out");
        int exit = new CommandLine(new BenchAll()).execute("--launcher", launcher("-").toString(), "--out", out.toString(), "--quick");
        assertThat(exit).as("serving failed").isEqualTo(1);
        assertThat(Files.readAllLines(dir.resolve("calls.txt"))).containsExactly(
                "status",
                "bench engine --train-examples 800",
                "bench multi-adapter --adapters 200 --batches 4 --naive-requests 40",
                "bench fused --tenants 4 --examples 100 --rounds 1",
                "up",
                "bench freshness --quiet-seconds 45",
                "bench serving --reloads 10 --seconds 8",
                "stop serving trainer stream-processor",
                "bench fused-jobs --tenants 4 --examples 100 --rounds 1",
                "bench ingest --drain-timeout 0 --seconds 5",
                "down");
        assertThat(Files.readString(out.resolve("engine.json"))).contains("\"matmul_gflops\": 123.4");
        assertThat(out.resolve("serving.json")).as("a failed benchmark leaves no summary").doesNotExist();
        List<String> report = Files.readAllLines(out.resolve("report.tsv"));
        assertThat(report).contains("engine\tmatmul_2048_fp32\t123.4\tGFLOP/s\t\t", "freshness\tfeedback_to_served_p50\t25.000\ts\t<= 30\tyes");
    }

    @Test
    void refusesToStartWhileAComponentRuns() throws Exception {
        int exit = new CommandLine(new BenchAll()).execute("--launcher", launcher("4242").toString(), "--out", dir.resolve("out").toString());
        assertThat(exit).isEqualTo(2);
        assertThat(Files.readAllLines(dir.resolve("calls.txt"))).containsExactly("status");
    }
}
