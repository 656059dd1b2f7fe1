package io.lorastream.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.Adapter;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.BertEncoder;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.Example;
import io.lorastream.engine.LengthBuckets;
import io.lorastream.engine.LoraConfig;
import io.lorastream.engine.MixedClassifier;
import io.lorastream.engine.TokenBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Serving's engine goals (docs/architecture.md), one run, one JVM: with {@code --adapters} adapters resident,
 * single-text requests of {@code --batch} different tenants per forward (mixed-adapter batches) against
 * the same texts through the bare base, cut into forwards by length the same way (base-only throughput, goal ≥ 0.95×), and against a naive server
 * that swaps the adapter in per request (merge, forward one text, unmerge; goal ≥ 10×); and the resident
 * memory each adapter costs. Phases alternate so drift hits all alike. Prints a table, then one JSON line.
 */
@Command(name = "multi-adapter-bench", mixinStandardHelpOptions = true)
public final class MultiAdapterBench implements Callable<Integer> {

    @Option(names = "--data", defaultValue = "${sys:lorastream.root:-.}/load-tests/data/sst2/dev.tsv", description = "texts (sentence<TAB>label)")
    Path data;

    @Option(names = "--adapters", defaultValue = "1000")
    int adapters;

    @Option(names = "--batch", defaultValue = "64", description = "requests (tenants) per forward")
    int batch;

    @Option(names = "--batches", defaultValue = "12", description = "batches per timed phase (each phase runs twice)")
    int batches;

    @Option(names = "--naive-requests", defaultValue = "150", description = "requests per timed naive phase (each runs twice)")
    int naiveRequests;

    public static void main(String[] args) {
        EngineBench.configureTorch();
        System.exit(new CommandLine(new MultiAdapterBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> texts = Example.readTsv(data).stream().map(Example::text).toList();
        Random random = new Random(42);
        try (BaseModel base = BaseModel.embedded(Device.cpu())) {
            BertEncoder encoder = new BertEncoder(base);
            double rssBefore = EngineBench.procStatusMiB("VmRSS");
            List<Adapter> resident = new ArrayList<>(adapters);
            for (int i = 0; i < adapters; i++) {
                resident.add(Adapter.create(base, LoraConfig.defaults(), List.of("negative", "positive"), i));
            }
            System.gc();
            double rssPerAdapterKiB = (EngineBench.procStatusMiB("VmRSS") - rssBefore) * 1024 / adapters;
            long tensorBytes = resident.get(0).trainableParameterCount() * Float.BYTES;

            // requests: one text each, batch-many distinct tenants per forward
            List<List<String>> batchTexts = new ArrayList<>();
            List<List<Adapter>> batchAdapters = new ArrayList<>();
            for (int b = 0; b < batches; b++) {
                List<String> t = new ArrayList<>();
                List<Adapter> a = new ArrayList<>();
                for (int i : random.ints(0, adapters).distinct().limit(batch).toArray()) {
                    a.add(resident.get(i));
                    t.add(texts.get(random.nextInt(texts.size())));
                }
                batchTexts.add(t);
                batchAdapters.add(a);
            }
            MixedClassifier mixed = new MixedClassifier(base, batch);
            Runnable baseOnly = () -> batchTexts.forEach(t -> { // the same cut into forwards by length as the mixed batches get
                List<long[]> ids = base.encode(t);
                for (int[] run : LengthBuckets.of(ids, batch, base.device())) {
                    try (NDManager scope = base.newScope()) {
                        encoder.pooled(scope, TokenBatch.pad(Arrays.stream(run).mapToObj(ids::get).toList()), encoder.baseProjections(),
                                base.defaultHead().pooling()).toFloatArray();
                    }
                }
            });
            Runnable mixedRun = () -> {
                for (int b = 0; b < batches; b++) {
                    mixed.probabilities(batchAdapters.get(b), batchTexts.get(b));
                }
            };
            Runnable naive = () -> {
                for (int r = 0; r < naiveRequests; r++) {
                    Adapter adapter = batchAdapters.get(r % batches).get(r % batch);
                    adapter.merge();
                    try {
                        new Classifier(adapter, 1).probabilities(List.of(batchTexts.get(r % batches).get(r % batch)));
                    } finally {
                        adapter.unmerge();
                    }
                }
            };
            baseOnly.run(); // warm-up
            mixedRun.run();
            naive.run();
            double baseSeconds = 0;
            double mixedSeconds = 0;
            double naiveSeconds = 0;
            for (int round = 0; round < 2; round++) {
                baseSeconds += time(baseOnly);
                mixedSeconds += time(mixedRun);
                naiveSeconds += time(naive);
            }
            double baseRate = 2.0 * batches * batch / baseSeconds;
            double mixedRate = 2.0 * batches * batch / mixedSeconds;
            double naiveRate = 2.0 * naiveRequests / naiveSeconds;

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("bench", "multi-adapter");
            summary.put("cores", Runtime.getRuntime().availableProcessors());
            summary.put("adapters_resident", adapters);
            summary.put("tenants_per_batch", batch);
            summary.put("base_only_texts_per_s", baseRate);
            summary.put("mixed_texts_per_s", mixedRate);
            summary.put("naive_swap_texts_per_s", naiveRate);
            summary.put("mixed_vs_base_only", mixedRate / baseRate);
            summary.put("mixed_vs_naive_swap", mixedRate / naiveRate);
            summary.put("adapter_tensor_bytes", tensorBytes);
            summary.put("resident_kib_per_adapter", rssPerAdapterKiB);
            System.out.printf(Locale.ROOT, "%-44s %12s %10s %6s%n", "measure", "value", "goal", "met");
            row("base-only texts/s (batch " + batch + ")", baseRate, Double.NaN);
            row("mixed texts/s (" + batch + " tenants/batch, " + adapters + " resident)", mixedRate, Double.NaN);
            row("naive swap per request texts/s", naiveRate, Double.NaN);
            row("mixed ÷ base-only", mixedRate / baseRate, 0.95);
            row("mixed ÷ naive swap", mixedRate / naiveRate, 10);
            row("adapter tensors, KiB", tensorBytes / 1024.0, Double.NaN);
            row("resident memory per adapter, KiB", rssPerAdapterKiB, Double.NaN);
            System.out.println(new ObjectMapper().writeValueAsString(summary));
            resident.forEach(Adapter::close);
        }
        return 0;
    }

    private static double time(Runnable phase) {
        long started = System.nanoTime();
        phase.run();
        return (System.nanoTime() - started) / 1e9;
    }

    private static void row(String name, double value, double goal) {
        System.out.printf(Locale.ROOT, "%-44s %12.2f %10s %6s%n", name, value,
                Double.isNaN(goal) ? "" : String.format(Locale.ROOT, "≥ %.2f", goal),
                Double.isNaN(goal) ? "" : value >= goal ? "yes" : "no");
    }
}
