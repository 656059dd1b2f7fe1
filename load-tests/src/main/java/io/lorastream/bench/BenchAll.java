package io.lorastream.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./lorastream bench all [--quick]}: every benchmark in turn, then {@link BenchReport}'s table.
 * The engine benchmarks run first, on an idle machine; then the launcher starts the stack for freshness
 * and serving; the trainer-service's fused jobs run with only Kafka and S3 under the trainer it starts and stops; ingest runs
 * last with only Kafka, S3 and ingest up (the feedback it floods in would keep
 * the stream-processor and the trainer busy for minutes); the stack is stopped at the end. Each
 * benchmark's output goes to {@code NAME.txt} in {@code --out}, its JSON summary (the last line) to
 * {@code NAME.json}, and the table to {@code report.tsv}. Every step goes through the launcher, which
 * knows how to build, start and stop each part.
 */
@Command(name = "bench-all", mixinStandardHelpOptions = true)
public final class BenchAll implements Callable<Integer> {
    @Option(names = "--launcher", required = true, description = "the ./lorastream script") Path launcher;
    @Option(names = "--out", required = true, description = "directory for each benchmark's output and the report") Path out;
    @Option(names = "--quick", description = "smaller runs, for a smoke test") boolean quick;

    /** One step: a benchmark (its output kept) or a launcher command on the stack. */
    record Step(String what, List<String> args, boolean bench) {
        static Step bench(String name, List<String> args) {
            List<String> command = new ArrayList<>(List.of("bench", name));
            command.addAll(args);
            return new Step(name, command, true);
        }

        static Step stack(String... args) {
            return new Step(String.join(" ", args), List.of(args), false);
        }
    }

    /** The steps, in order; {@code quick} only shrinks each benchmark. */
    static List<Step> plan(boolean quick) {
        return List.of(
                Step.bench("engine", quick ? List.of("--train-examples", "800") : List.of()),
                Step.bench("multi-adapter", quick ? List.of("--adapters", "200", "--batches", "4", "--naive-requests", "40") : List.of()),
                Step.bench("fused", quick ? List.of("--tenants", "4", "--examples", "100", "--rounds", "1") : List.of()),
                Step.stack("up"),
                Step.bench("freshness", quick ? List.of("--quiet-seconds", "45") : List.of()),
                Step.bench("serving", quick ? List.of("--reloads", "10", "--seconds", "8") : List.of()),
                Step.stack("stop", "serving", "trainer", "stream-processor"),
                Step.bench("fused-jobs", quick ? List.of("--tenants", "4", "--examples", "100", "--rounds", "1") : List.of()),
                Step.bench("ingest", quick ? List.of("--drain-timeout", "0", "--seconds", "5") : List.of("--drain-timeout", "0")),
                Step.stack("down"));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchAll()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> running = running();
        if (!running.isEmpty()) {
            System.err.println("bench all: " + String.join(", ", running) + " running; the engine benchmarks want an idle machine: ./lorastream down first");
            return 2;
        }
        Files.createDirectories(out);
        System.err.println("bench all: results in " + out);
        boolean failed = false;
        Path stackLog = out.resolve("stack.txt");
        for (Step step : plan(quick)) {
            System.err.println("bench all: " + step.what());
            if (step.bench()) {
                Path output = out.resolve(step.what() + ".txt");
                int exit = launch(step.args(), output);
                if (exit == 0) {
                    List<String> lines = Files.readAllLines(output);
                    Files.writeString(out.resolve(step.what() + ".json"), lines.isEmpty() ? "" : lines.get(lines.size() - 1) + "\n");
                } else {
                    System.err.println("bench all: " + step.what() + " failed (exit " + exit + "); its output: " + output);
                    failed = true;
                }
            } else if (launch(step.args(), stackLog) != 0) {
                System.err.println("bench all: '" + step.what() + "' failed; stopping here (its output: " + stackLog + ")");
                launch(List.of("down"), stackLog);
                return 1;
            }
        }
        List<BenchReport.Row> rows = BenchReport.rows(out, System.err);
        try (PrintStream report = new PrintStream(Files.newOutputStream(out.resolve("report.tsv")), true, java.nio.charset.StandardCharsets.UTF_8)) {
            BenchReport.print(rows, report);
        }
        BenchReport.print(rows, System.out);
        return failed || rows.isEmpty() ? 1 : 0;
    }

    /** The components the launcher's status shows with a pid. */
    private List<String> running() throws IOException, InterruptedException {
        Path status = Files.createTempFile("lorastream-status", ".txt");
        try {
            // exits 1 unless all are healthy, and on a fresh clone says the stack is not built yet: only the rows matter here
            new ProcessBuilder(launcher.toString(), "status").redirectErrorStream(true).redirectOutput(status.toFile()).start().waitFor();
            List<String> running = new ArrayList<>();
            for (String line : Files.readAllLines(status)) {
                String[] columns = line.trim().split("\\s+");
                if (columns.length >= 2 && !columns[0].equals("COMPONENT") && columns[1].matches("\\d+")) {
                    running.add(columns[0]);
                }
            }
            return running;
        } finally {
            Files.deleteIfExists(status);
        }
    }

    /** Runs the launcher with {@code args}, its stdout appended to {@code output} and its stderr to ours. */
    private int launch(List<String> args, Path output) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(launcher.toString());
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start().waitFor();
    }
}
