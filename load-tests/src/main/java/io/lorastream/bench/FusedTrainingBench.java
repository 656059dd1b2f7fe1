package io.lorastream.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.Adapter;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.Example;
import io.lorastream.engine.FusedTrainer;
import io.lorastream.engine.LoraConfig;
import io.lorastream.engine.MixedClassifier;
import io.lorastream.engine.Trainer;
import io.lorastream.engine.TrainingConfig;
import io.lorastream.engine.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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
 * Fused multi-tenant training against one tenant after another, in one JVM on the embedded base: {@code --tenants}
 * tenants, each with its own {@code --examples} new SST-2 examples, its own seed and a holdout of {@code --holdout}.
 * A tenant's job, as the engine sees it: a fresh adapter, training (the trainer's settings: 3 epochs, batch 16, LoRA
 * r = 8 on query and value), grading on its holdout, saving its files. One after another: {@link Trainer}, then
 * {@link Classifier}, per tenant. Fused: {@link FusedTrainer} over all of them, then one {@link MixedClassifier} pass over
 * every holdout. Timed by phase (create, train, grade, save), sequential and fused alternating, {@code --rounds} each
 * after a warm-up; the ratio is of the summed wall times. S3 and Kafka are not in it: the engine's share of a job.
 */
@Command(name = "fused-training-bench", mixinStandardHelpOptions = true)
public final class FusedTrainingBench implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "${sys:lorastream.root:-.}/load-tests/data/sst2/train.tsv", description = "sentence<TAB>label")
    Path data;
    @Option(names = "--tenants", defaultValue = "8")
    int tenants;
    @Option(names = "--examples", defaultValue = "300", description = "new training examples per tenant")
    int examples;
    @Option(names = "--holdout", defaultValue = "100", description = "holdout examples per tenant")
    int holdout;
    @Option(names = "--rounds", defaultValue = "2", description = "timed runs of each, alternating")
    int rounds;

    static final List<String> PHASES = List.of("create", "train", "grade", "save");

    public static void main(String[] args) {
        EngineBench.configureTorch();
        System.exit(new CommandLine(new FusedTrainingBench()).execute(args));
    }

    private record Tenant(List<Example> train, List<Example> holdout, long seed) {}

    @Override
    public Integer call() throws Exception {
        List<Example> all = new ArrayList<>(Example.readTsv(data));
        Collections.shuffle(all, new Random(5));
        int per = examples + holdout;
        if (all.size() < tenants * per) {
            throw new IllegalArgumentException(data + " has " + all.size() + " examples; " + tenants + " tenants need " + tenants * per);
        }
        List<Tenant> work = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            List<Example> slice = all.subList(t * per, (t + 1) * per);
            work.add(new Tenant(slice.subList(0, examples), slice.subList(examples, per), 100 + t));
        }
        Path out = Files.createTempDirectory("fused-bench-");
        try (BaseModel base = BaseModel.embedded(Device.cpu())) {
            // warm-up: both paths once, on two tenants' first 64 examples
            List<Tenant> small = work.subList(0, Math.min(2, tenants)).stream()
                    .map(t -> new Tenant(t.train().subList(0, Math.min(64, examples)), t.holdout(), t.seed())).toList();
            sequential(base, small, out);
            fused(base, small, out);
            Map<String, Double> seq = zero();
            Map<String, Double> fus = zero();
            for (int round = 0; round < rounds; round++) {
                add(seq, sequential(base, work, out));
                add(fus, fused(base, work, out));
            }
            double seqTotal = seq.values().stream().mapToDouble(Double::doubleValue).sum();
            double fusTotal = fus.values().stream().mapToDouble(Double::doubleValue).sum();
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("bench", "fused");
            summary.put("cores", Runtime.getRuntime().availableProcessors());
            summary.put("tenants", tenants);
            summary.put("examples_per_tenant", examples);
            summary.put("holdout_per_tenant", holdout);
            summary.put("rounds", rounds);
            summary.put("sequential_s", seqTotal / rounds);
            summary.put("fused_s", fusTotal / rounds);
            summary.put("fused_vs_sequential", seqTotal / fusTotal);
            summary.put("fused_run_steps", fusion.runSteps());
            summary.put("fused_forwards", fusion.forwards());
            System.out.printf(Locale.ROOT, "%d tenants x %d examples (holdout %d), %d rounds each, seconds per round:%n", tenants, examples, holdout, rounds);
            System.out.printf(Locale.ROOT, "%-8s %12s %12s %8s%n", "phase", "sequential", "fused", "ratio");
            for (String phase : PHASES) {
                double s = seq.get(phase) / rounds;
                double f = fus.get(phase) / rounds;
                System.out.printf(Locale.ROOT, "%-8s %12.2f %12.2f %8.2f%n", phase, s, f, s / f);
                summary.put(phase + "_sequential_s", s);
                summary.put(phase + "_fused_s", f);
            }
            System.out.printf(Locale.ROOT, "%-8s %12.2f %12.2f %8.2f%n", "all", seqTotal / rounds, fusTotal / rounds, seqTotal / fusTotal);
            System.out.printf(Locale.ROOT, "fused: %d tenant steps in %d forwards (%.2f tenants a forward)%n", fusion.runSteps(), fusion.forwards(),
                    (double) fusion.runSteps() / fusion.forwards());
            System.out.println(new ObjectMapper().writeValueAsString(summary));
        } finally {
            try (var files = Files.walk(out)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    /** The trainer's defaults (lorastream.trainer.*): 3 epochs, batch 16, learning rate 2e-3. */
    private static TrainingConfig config(long seed) {
        TrainingConfig d = TrainingConfig.defaults();
        return new TrainingConfig(3, 16, 2e-3, d.weightDecay(), d.warmupRatio(), d.maxGradNorm(), seed, 0, false);
    }

    /** One tenant's job after another's. */
    private static Map<String, Double> sequential(BaseModel base, List<Tenant> work, Path out) {
        Map<String, Double> seconds = zero();
        for (int t = 0; t < work.size(); t++) {
            Tenant tenant = work.get(t);
            long start = System.nanoTime();
            try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), tenant.seed())) {
                long created = System.nanoTime();
                new Trainer(config(tenant.seed()), TrainingListener.NONE).train(adapter, tenant.train(), null);
                long trained = System.nanoTime();
                new Classifier(adapter, 64).grade(tenant.holdout());
                long graded = System.nanoTime();
                AdapterFiles.save(adapter, out.resolve("seq-" + t));
                long saved = System.nanoTime();
                seconds.merge("create", (created - start) / 1e9, Double::sum);
                seconds.merge("train", (trained - created) / 1e9, Double::sum);
                seconds.merge("grade", (graded - trained) / 1e9, Double::sum);
                seconds.merge("save", (saved - graded) / 1e9, Double::sum);
            }
        }
        return seconds;
    }

    /** Every tenant's job at once: one fused training, one mixed grading pass, then each saved. */
    /** The last fused run's steps and forwards. */
    private FusedTrainer.Fusion fusion;

    private Map<String, Double> fused(BaseModel base, List<Tenant> work, Path out) {
        Map<String, Double> seconds = zero();
        long start = System.nanoTime();
        List<Adapter> adapters = new ArrayList<>();
        try {
            List<FusedTrainer.Job> jobs = new ArrayList<>();
            for (Tenant tenant : work) {
                Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), tenant.seed());
                adapters.add(adapter);
                jobs.add(new FusedTrainer.Job(adapter, tenant.train(), null, config(tenant.seed())));
            }
            long created = System.nanoTime();
            FusedTrainer trainer = new FusedTrainer();
            for (FusedTrainer.Outcome outcome : trainer.train(jobs)) {
                if (!outcome.ok()) {
                    throw outcome.failure();
                }
            }
            fusion = trainer.lastFusion();
            long trained = System.nanoTime();
            List<Adapter> rowAdapters = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (int t = 0; t < work.size(); t++) {
                for (Example e : work.get(t).holdout()) {
                    rowAdapters.add(adapters.get(t));
                    texts.add(e.text());
                }
            }
            new MixedClassifier(base, 64).probabilities(rowAdapters, texts);
            long graded = System.nanoTime();
            for (int t = 0; t < adapters.size(); t++) {
                AdapterFiles.save(adapters.get(t), out.resolve("fused-" + t));
            }
            long saved = System.nanoTime();
            seconds.put("create", (created - start) / 1e9);
            seconds.put("train", (trained - created) / 1e9);
            seconds.put("grade", (graded - trained) / 1e9);
            seconds.put("save", (saved - graded) / 1e9);
        } finally {
            adapters.forEach(Adapter::close);
        }
        return seconds;
    }

    private static Map<String, Double> zero() {
        Map<String, Double> m = new LinkedHashMap<>();
        PHASES.forEach(p -> m.put(p, 0.0));
        return m;
    }

    private static void add(Map<String, Double> into, Map<String, Double> more) {
        more.forEach((k, v) -> into.merge(k, v, Double::sum));
    }
}
