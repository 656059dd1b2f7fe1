package io.lorastream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The table of one {@code ./lorastream bench all} run: every measure of the performance goals (docs/architecture.md)
 * (and issue 3's engine goals), read from the JSON line each benchmark printed last, as tab-separated
 * rows {@code bench, measure, value, unit, goal, met}. A benchmark that did not run leaves its rows out
 * and is named on stderr. The goals live here and nowhere else in the suite's output.
 */
@Command(name = "bench-report", mixinStandardHelpOptions = true)
public final class BenchReport implements Callable<Integer> {

    @Option(names = "--results", required = true, description = "directory with <bench>.json: the last line of each benchmark's output")
    Path results;

    /** One row: where its value is in a benchmark's JSON, and its goal if one is set. */
    record Measure(String bench, String name, String unit, Function<JsonNode, JsonNode> value, Goal goal) {}

    /** A goal as a bound on the value: at least or at most. */
    record Goal(String op, double bound) {
        static Goal atLeast(double bound) {
            return new Goal(">=", bound);
        }

        static Goal atMost(double bound) {
            return new Goal("<=", bound);
        }

        boolean metBy(double value) {
            return op.equals(">=") ? value >= bound : value <= bound;
        }

        @Override
        public String toString() {
            return op + " " + new java.text.DecimalFormat("0.###", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)).format(bound);
        }
    }

    /** A measured row. */
    record Row(String bench, String measure, double value, String unit, Goal goal) {
        String met() {
            return goal == null ? "" : goal.metBy(value) ? "yes" : "no";
        }
    }

    // Every goal, once; EngineBench's own table reads the engine's from here.
    // the engine's: ratios to plain PyTorch doing the same work in the same run (EngineBench, load-tests/reference)
    static final Goal FORWARD_VS_PYTORCH = Goal.atLeast(1.3);
    static final Goal FORWARD_EFFICIENCY_VS_MATMUL = Goal.atLeast(0.7);
    static final Goal LORA_VS_PYTORCH = Goal.atLeast(1.6);
    static final Goal FULL_FINETUNE_VS_PYTORCH = Goal.atLeast(1.5);
    static final Goal MIXED_VS_BASE_ONLY = Goal.atLeast(0.95);
    static final Goal MIXED_VS_NAIVE_SWAP = Goal.atLeast(10);
    static final Goal FUSED_VS_SEQUENTIAL = Goal.atLeast(2);
    static final Goal INGEST_EVENTS_PER_S_BATCHED = Goal.atLeast(50_000);
    static final Goal FEEDBACK_TO_SERVED_P50_S = Goal.atMost(30);
    static final Goal FEEDBACK_TO_SERVED_P90_S = Goal.atMost(45);
    static final Goal PUBLISHED_TO_FIRST_PREDICTION_P99_MS = Goal.atMost(250);

    static final List<Measure> MEASURES = List.of(
            new Measure("engine", "matmul_2048_fp32", "GFLOP/s", j -> j.path("matmul_gflops"), null),
            new Measure("engine", "pytorch_matmul_2048_fp32", "GFLOP/s", j -> j.path("pytorch_matmul_gflops"), null),
            new Measure("engine", "forward_vs_pytorch", "ratio", j -> j.path("forward_vs_pytorch"), FORWARD_VS_PYTORCH),
            new Measure("engine", "forward_tokens_per_s", "tokens/s", j -> j.path("forward_tokens_per_s"), null),
            new Measure("engine", "forward_efficiency_vs_matmul", "ratio", j -> j.path("forward_efficiency"), FORWARD_EFFICIENCY_VS_MATMUL),
            new Measure("engine", "lora_examples_per_s", "examples/s", j -> j.path("lora_examples_per_s"), null),
            new Measure("engine", "lora_vs_pytorch", "ratio", j -> j.path("lora_vs_pytorch"), LORA_VS_PYTORCH),
            new Measure("engine", "full_finetune_examples_per_s", "examples/s", j -> j.path("full_examples_per_s"), null),
            new Measure("engine", "full_finetune_vs_pytorch", "ratio", j -> j.path("full_vs_pytorch"), FULL_FINETUNE_VS_PYTORCH),
            new Measure("engine", "lora_vs_full_finetune_speed", "ratio", j -> j.path("lora_vs_full_speed"), null),
            new Measure("engine", "lora_peak_rss", "MiB", j -> j.path("lora_peak_rss_mib"), null),
            new Measure("engine", "full_finetune_peak_rss", "MiB", j -> j.path("full_peak_rss_mib"), null),
            // the decoder rows, beside plain PyTorch in the same run (figures: the issue set no goal for them)
            new Measure("engine", "decoder_forward_tokens_per_s", "tokens/s", j -> j.path("decoder_forward_tokens_per_s"), null),
            new Measure("engine", "decoder_forward_vs_pytorch", "ratio", j -> j.path("decoder_forward_tokens_per_s_vs_pytorch"), null),
            new Measure("engine", "decoder_lora_tokens_per_s", "tokens/s", j -> j.path("decoder_lora_tokens_per_s"), null),
            new Measure("engine", "decoder_lora_vs_pytorch", "ratio", j -> j.path("decoder_lora_tokens_per_s_vs_pytorch"), null),
            new Measure("engine", "decoder_forward_peak_rss", "MiB", j -> j.path("decoder_forward_peak_rss_mib"), null),
            new Measure("engine", "decoder_forward_peak_rss_vs_pytorch", "ratio", j -> j.path("decoder_forward_peak_rss_mib_vs_pytorch"), null),
            new Measure("engine", "decoder_lora_peak_rss", "MiB", j -> j.path("decoder_lora_peak_rss_mib"), null),
            new Measure("engine", "decoder_lora_peak_rss_vs_pytorch", "ratio", j -> j.path("decoder_lora_peak_rss_mib_vs_pytorch"), null),
            new Measure("multi-adapter", "base_only_texts_per_s", "texts/s", j -> j.path("base_only_texts_per_s"), null),
            new Measure("multi-adapter", "mixed_texts_per_s", "texts/s", j -> j.path("mixed_texts_per_s"), null),
            new Measure("multi-adapter", "mixed_vs_base_only", "ratio", j -> j.path("mixed_vs_base_only"), MIXED_VS_BASE_ONLY),
            new Measure("multi-adapter", "mixed_vs_naive_swap", "ratio", j -> j.path("mixed_vs_naive_swap"), MIXED_VS_NAIVE_SWAP),
            new Measure("multi-adapter", "resident_memory_per_adapter", "KiB", j -> j.path("resident_kib_per_adapter"), null),
            new Measure("fused", "fused_vs_sequential", "ratio", j -> j.path("fused_vs_sequential"), FUSED_VS_SEQUENTIAL),
            new Measure("fused", "sequential", "s", j -> j.path("sequential_s"), null),
            new Measure("fused", "fused", "s", j -> j.path("fused_s"), null),
            new Measure("fused", "train_sequential", "s", j -> j.path("train_sequential_s"), null),
            new Measure("fused", "train_fused", "s", j -> j.path("train_fused_s"), null),
            new Measure("fused", "grade_sequential", "s", j -> j.path("grade_sequential_s"), null),
            new Measure("fused", "grade_fused", "s", j -> j.path("grade_fused_s"), null),
            // the same through the trainer-service, job overheads included (FusedJobsBench.PARTS)
            new Measure("fused-jobs", "fused_vs_one_after_another", "ratio", j -> j.path("fused_vs_one_after_another"), FUSED_VS_SEQUENTIAL),
            new Measure("fused-jobs", "one_after_another", "s", j -> j.path("one_after_another_s"), null),
            new Measure("fused-jobs", "fused", "s", j -> j.path("fused_s"), null),
            new Measure("fused-jobs", "read_one_after_another", "s", j -> j.path("read_one_after_another_s"), null),
            new Measure("fused-jobs", "read_fused", "s", j -> j.path("read_fused_s"), null),
            new Measure("fused-jobs", "train_one_after_another", "s", j -> j.path("train_one_after_another_s"), null),
            new Measure("fused-jobs", "train_fused", "s", j -> j.path("train_fused_s"), null),
            new Measure("fused-jobs", "grade_one_after_another", "s", j -> j.path("grade_one_after_another_s"), null),
            new Measure("fused-jobs", "grade_fused", "s", j -> j.path("grade_fused_s"), null),
            new Measure("fused-jobs", "publish_one_after_another", "s", j -> j.path("publish_one_after_another_s"), null),
            new Measure("fused-jobs", "publish_fused", "s", j -> j.path("publish_fused_s"), null),
            new Measure("fused-jobs", "other_one_after_another", "s", j -> j.path("other_one_after_another_s"), null),
            new Measure("fused-jobs", "other_fused", "s", j -> j.path("other_fused_s"), null),
            new Measure("ingest", "events_per_s_batched", "events/s", BenchReport::bestBatchedIngestRate, INGEST_EVENTS_PER_S_BATCHED),
            new Measure("freshness", "feedback_to_served_p50", "s", j -> j.path("p50_s"), FEEDBACK_TO_SERVED_P50_S),
            new Measure("freshness", "feedback_to_served_p90", "s", j -> j.path("p90_s"), FEEDBACK_TO_SERVED_P90_S),
            new Measure("freshness", "feedback_to_published_p50", "s", j -> j.path("published_p50_s"), null),
            // where the median example's time went (FreshnessBench.PARTS)
            new Measure("freshness", "wait_p50", "s", j -> j.path("breakdown_p50_s").path("wait"), null),
            new Measure("freshness", "queue_p50", "s", j -> j.path("breakdown_p50_s").path("queue"), null),
            new Measure("freshness", "read_p50", "s", j -> j.path("breakdown_p50_s").path("read"), null),
            new Measure("freshness", "train_p50", "s", j -> j.path("breakdown_p50_s").path("train"), null),
            new Measure("freshness", "grade_p50", "s", j -> j.path("breakdown_p50_s").path("grade"), null),
            new Measure("freshness", "publish_p50", "s", j -> j.path("breakdown_p50_s").path("publish"), null),
            new Measure("freshness", "reload_p50", "s", j -> j.path("breakdown_p50_s").path("reload"), null),
            new Measure("serving", "published_to_first_prediction_p50", "ms", j -> j.path("published_to_first_prediction_p50_ms"), null),
            new Measure("serving", "published_to_first_prediction_p99", "ms", j -> j.path("published_to_first_prediction_p99_ms"), PUBLISHED_TO_FIRST_PREDICTION_P99_MS),
            new Measure("serving", "http_requests_per_s", "requests/s", j -> j.path("http_requests_per_s"), null),
            new Measure("serving", "http_latency_p50", "ms", j -> j.path("http_latency_p50_ms"), null),
            new Measure("serving", "http_latency_p99", "ms", j -> j.path("http_latency_p99_ms"), null),
            new Measure("serving", "kafka_requests_per_s", "requests/s", j -> j.path("kafka_requests_per_s"), null),
            new Measure("serving", "kafka_latency_p50", "ms", j -> j.path("kafka_latency_p50_ms"), null),
            new Measure("serving", "kafka_latency_p99", "ms", j -> j.path("kafka_latency_p99_ms"), null));

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchReport()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        List<Row> rows = rows(results, System.err);
        print(rows, System.out);
        return rows.isEmpty() ? 1 : 0;
    }

    /** The rows of every benchmark whose JSON is in {@code dir}; the missing ones are named on {@code log}. */
    static List<Row> rows(Path dir, PrintStream log) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Row> rows = new ArrayList<>();
        String lastBench = null;
        JsonNode summary = null;
        for (Measure m : MEASURES) {
            if (!m.bench().equals(lastBench)) {
                lastBench = m.bench();
                Path file = dir.resolve(m.bench() + ".json");
                summary = Files.isRegularFile(file) ? lastJsonLine(json, file) : null;
                if (summary == null) {
                    log.println("bench-report: no results of " + m.bench() + " in " + file);
                } else if (!m.bench().equals(summary.path("bench").asText())) {
                    throw new IllegalArgumentException(file + " holds the results of '" + summary.path("bench").asText()
                            + "', not of " + m.bench());
                }
            }
            if (summary == null) {
                continue;
            }
            JsonNode value = m.value().apply(summary);
            if (!value.isNumber()) {
                log.println("bench-report: " + m.bench() + " has no " + m.name());
                continue;
            }
            rows.add(new Row(m.bench(), m.name(), value.asDouble(), m.unit(), m.goal()));
        }
        return rows;
    }

    /** A benchmark prints its table first and its JSON summary on the last line. */
    private static JsonNode lastJsonLine(ObjectMapper json, Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i).trim();
            if (line.startsWith("{")) {
                return json.readTree(line);
            }
        }
        return null;
    }

    /** Ingest's goal is for NDJSON batches: the best phase of at least 100 events per request. */
    static JsonNode bestBatchedIngestRate(JsonNode summary) {
        JsonNode best = com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        for (JsonNode phase : summary.path("phases")) {
            if (phase.path("batchSize").asInt() >= 100
                    && (best.isMissingNode() || phase.path("eventsPerSecond").asDouble() > best.asDouble())) {
                best = phase.path("eventsPerSecond");
            }
        }
        return best;
    }

    static void print(List<Row> rows, PrintStream out) {
        out.println("bench\tmeasure\tvalue\tunit\tgoal\tmet");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%s\t%s\t%s\t%s\t%s\t%s%n", r.bench(), r.measure(), format(r.value()), r.unit(),
                    r.goal() == null ? "" : r.goal(), r.met());
        }
    }

    private static String format(double value) {
        return Math.abs(value) >= 100 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.3f", value);
    }
}
