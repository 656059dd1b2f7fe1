package io.lorastream.bench.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.events.EventJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The tally of {@code ./lorastream demo --repeat N}: of the runs whose output is in {@code --runs}
 * ({@code run-*.txt}, each a demo's full output), how many passed (exit 0, no violation), and for each
 * expectation how many runs it held in. Exit 0 only when every run passed.
 */
@Command(name = "demo-repeat-report", mixinStandardHelpOptions = true)
public final class DemoRepeatReport implements Callable<Integer> {
    @Option(names = "--runs", required = true, description = "directory with run-*.txt") Path runs;

    public static void main(String[] args) {
        System.exit(new CommandLine(new DemoRepeatReport()).execute(args));
    }

    /** One run as its output tells: passed, its violations and expectations; a run without a summary line failed before its end. */
    record Outcome(String name, boolean passed, List<String> violations, Map<String, Boolean> expected, double seconds) {}

    static Outcome read(Path file) throws IOException {
        String name = file.getFileName().toString();
        List<String> lines = Files.readAllLines(file);
        String summary = null;
        for (String line : lines) {
            if (line.startsWith("{") && line.contains("\"failures\"")) {
                summary = line;
            }
        }
        if (summary == null) {
            String last = lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
            return new Outcome(name, false, List.of("no summary: " + last), Map.of(), Double.NaN);
        }
        JsonNode json = EventJson.MAPPER.readTree(summary);
        Map<String, Boolean> expected = new TreeMap<>();
        // tenant ids carry the run id: count each expectation by its data set and what it says
        json.path("expected").fields().forEachRemaining(e -> expected.put(e.getKey().replaceFirst("^([a-z]+)-[0-9a-f]+\\.", "$1."), e.getValue().asBoolean()));
        List<String> violations = EventJson.MAPPER.convertValue(json.path("failures"), EventJson.MAPPER.getTypeFactory()
                .constructCollectionType(List.class, String.class));
        return new Outcome(name, violations.isEmpty(), violations, expected, json.path("seconds").asDouble());
    }

    @Override
    public Integer call() throws Exception {
        List<Path> files;
        try (var listing = Files.list(runs)) {
            files = listing.filter(p -> p.getFileName().toString().matches("run-\\d+\\.txt")).sorted().toList();
        }
        Map<String, int[]> held = new TreeMap<>();
        int passed = 0;
        for (Path file : files) {
            Outcome o = read(file);
            passed += o.passed() ? 1 : 0;
            System.out.printf(Locale.ROOT, "%-10s %-6s %6.0f s  %s%n", o.name(), o.passed() ? "passed" : "FAILED", o.seconds(),
                    o.passed() ? "" : String.join("; ", o.violations()));
            o.expected().forEach((what, yes) -> {
                int[] count = held.computeIfAbsent(what, k -> new int[2]);
                count[0] += yes ? 1 : 0;
                count[1]++;
            });
        }
        System.out.println();
        System.out.println("expected (reported, never a failure): held in runs");
        held.forEach((what, count) -> System.out.printf(Locale.ROOT, "  %-40s %d/%d%n", what, count[0], count[1]));
        System.out.printf(Locale.ROOT, "%npassed %d/%d%n", passed, files.size());
        return passed == files.size() && !files.isEmpty() ? 0 : 1;
    }
}
