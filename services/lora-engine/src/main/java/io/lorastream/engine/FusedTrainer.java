package io.lorastream.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Trains several adapters of one base together (the mLoRA / ASPEN idea): each step is one forward and one backward over
 * every adapter's next batch, their rows one after another. The base's linears run once over all the rows; each row's
 * LoRA delta and head are its own adapter's; each adapter's loss is the mean over its own rows. The loss that is
 * backpropagated is the sum of the adapters' losses, and rows never meet (attention, pooling and every norm are per row),
 * so each adapter's gradient comes from its own rows only.
 * <p>
 * Everything else is each adapter's own, as {@link Trainer} has it for one ({@link TrainingRun}): sample, batches and
 * their order, AdamW state, learning-rate schedule, clipping, best epoch, and dropout masks, drawn from its own seed in
 * its own batch's shape ({@link SegmentedDropout}). So a fused run gives each adapter what {@link Trainer} gives it alone,
 * to float tolerance (a forward pads its rows to its longest batch, which changes sums by rounding only). A run with
 * fewer steps leaves the steps when it is done; a run whose data fails (a label its adapter does not have) or whose loss
 * diverges fails alone and the others go on.
 * <p>
 * LoRA on the base only: full fine-tuning changes the shared base and cannot be fused. The adapters must share the
 * loaded base, and their LoRA targets and dropout (their ranks and heads may differ).
 */
public final class FusedTrainer {
    /** One adapter's training: what {@link Trainer#train} takes, with its own settings. */
    public record Job(Adapter adapter, List<Example> train, List<Example> eval, TrainingConfig config) {}

    /** What a job came to: its result, or why it failed (then its adapter is not to be used). */
    public record Outcome(Trainer.Result result, RuntimeException failure) {
        public boolean ok() {
            return failure == null;
        }
    }

    /**
     * How the last {@link #train} went: each run's steps summed, and the forwards (with their backwards) they took;
     * their ratio is how many runs a forward carried on average.
     */
    public record Fusion(long runSteps, long forwards) {}

    /**
     * By default a step's batches go through one forward together only while the longest is at most this factor longer
     * than the shortest. On 2 CPU cores the padding cost more than the larger matrix products gained: 1.25 made
     * training 0.91× as fast as one tenant after another, 1.1 1.00×, 1.0 0.93–1.12× (docs/performance.md). A GPU, where
     * a larger batch costs little more, would take more.
     */
    public static final double DEFAULT_MAX_PADDING = 1.1;

    private final double maxPadding;

    public FusedTrainer() {
        this(DEFAULT_MAX_PADDING);
    }

    /** @param maxPadding how much longer than a forward's shortest batch its longest may be (≥ 1) */
    public FusedTrainer(double maxPadding) {
        if (!(maxPadding >= 1)) {
            throw new IllegalArgumentException("maxPadding must be at least 1, got " + maxPadding);
        }
        this.maxPadding = maxPadding;
    }

    private long runSteps;
    private long forwards;

    public Fusion lastFusion() {
        return new Fusion(runSteps, forwards);
    }

    /** @return per job, in order, its outcome */
    public List<Outcome> train(List<Job> jobs) {
        runSteps = 0;
        forwards = 0;
        if (jobs.isEmpty()) {
            return List.of();
        }
        BaseModel base = jobs.get(0).adapter().base();
        LoraConfig lora = jobs.get(0).adapter().config();
        for (Job job : jobs) {
            if (job.adapter().base() != base) {
                throw new IllegalArgumentException("fused training needs one loaded base; an adapter belongs to another than " + base.id());
            }
            if (job.config().fullFinetune()) {
                throw new IllegalArgumentException("full fine-tuning changes the shared base: it cannot be fused");
            }
            LoraConfig other = job.adapter().config();
            if (!other.targetModules().equals(lora.targetModules()) || other.loraDropout() != lora.loraDropout()) {
                throw new IllegalArgumentException("fused adapters must target the same modules with the same dropout: "
                        + lora.targetModules() + " at " + lora.loraDropout() + " against " + other.targetModules() + " at " + other.loraDropout());
            }
        }
        Engine.getInstance().setRandomSeed((int) jobs.get(0).config().seed()); // torch's dropout (GPU) follows the seed too
        TrainingRun[] runs = new TrainingRun[jobs.size()];
        RuntimeException[] failures = new RuntimeException[jobs.size()];
        try {
            for (int i = 0; i < jobs.size(); i++) {
                Job job = jobs.get(i);
                try {
                    runs[i] = new TrainingRun(job.adapter(), job.train(), job.eval(), job.config(), TrainingListener.NONE);
                } catch (RuntimeException e) {
                    failures[i] = e;
                }
            }
            while (true) {
                List<Integer> active = new ArrayList<>();
                for (int i = 0; i < runs.length; i++) {
                    try {
                        if (failures[i] == null && runs[i].hasNext()) {
                            active.add(i);
                        }
                    } catch (RuntimeException e) { // its end-of-epoch evaluation
                        failures[i] = e;
                    }
                }
                if (active.isEmpty()) {
                    break;
                }
                List<TrainingRun> stepping = active.stream().map(i -> runs[i]).toList();
                List<TrainingRun.Batch> batches = stepping.stream().map(TrainingRun::next).toList();
                double[] losses = step(base, lora.loraDropout(), stepping, batches);
                runSteps += stepping.size();
                for (int k = 0; k < active.size(); k++) {
                    try {
                        stepping.get(k).stepDone(batches.get(k), losses[k]);
                    } catch (IllegalStateException diverged) {
                        failures[active.get(k)] = diverged;
                    }
                }
            }
            List<Outcome> outcomes = new ArrayList<>(jobs.size());
            for (int i = 0; i < runs.length; i++) {
                outcomes.add(failures[i] != null ? new Outcome(null, failures[i]) : new Outcome(runs[i].result(), null));
            }
            return outcomes;
        } finally {
            for (TrainingRun run : runs) {
                if (run != null) {
                    run.close();
                }
            }
        }
    }

    /**
     * One optimisation step of every run, returning each run's mean cross-entropy. The runs' batches go through in groups
     * of similar length ({@link #maxPadding}), each group one forward, one backward, then its runs' AdamW steps: each run
     * is in one group only, so the order of the groups changes nothing.
     */
    private double[] step(BaseModel base, double loraDropout, List<TrainingRun> runs, List<TrainingRun.Batch> batches) {
        Integer[] byLength = java.util.stream.IntStream.range(0, runs.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(byLength, java.util.Comparator.comparingInt(k -> batches.get(k).tokens().length()));
        double[] losses = new double[runs.size()];
        for (int start = 0; start < byLength.length; ) {
            int shortest = batches.get(byLength[start]).tokens().length();
            int end = start + 1;
            while (end < byLength.length && batches.get(byLength[end]).tokens().length() <= shortest * maxPadding) {
                end++;
            }
            List<Integer> group = List.of(byLength).subList(start, end);
            forwards++;
            double[] groupLosses = stepTogether(base, loraDropout, group.stream().map(runs::get).toList(),
                    group.stream().map(batches::get).toList());
            for (int g = 0; g < group.size(); g++) {
                losses[group.get(g)] = groupLosses[g];
            }
            start = end;
        }
        return losses;
    }

    /** One forward and one backward over these runs' batches, then each run's AdamW; each run's mean cross-entropy. */
    private static double[] stepTogether(BaseModel base, double loraDropout, List<TrainingRun> runs, List<TrainingRun.Batch> batches) {
        Backbone encoder = base.backbone();
        List<long[]> rows = new ArrayList<>();
        int[] from = new int[runs.size() + 1];
        int[] lengths = new int[runs.size()];
        for (int k = 0; k < runs.size(); k++) {
            rows.addAll(batches.get(k).rows());
            from[k + 1] = rows.size();
            lengths[k] = batches.get(k).tokens().length();
        }
        TokenBatch tokens = TokenBatch.pad(rows); // every run's rows, padded to the step's longest
        SegmentedDropout dropout = new SegmentedDropout(runs.stream().map(TrainingRun::dropout).toList(), from, lengths);
        double[] losses = new double[runs.size()];
        try (NDManager scope = base.newScope()) {
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray hidden = encoder.forward(scope, tokens, projections(encoder, runs, from, dropout, loraDropout), dropout); // (B, T, H)
                Map<Pooling, NDArray> pooled = new EnumMap<>(Pooling.class);
                NDArray[] runLosses = new NDArray[runs.size()];
                NDArray total = null;
                for (int k = 0; k < runs.size(); k++) {
                    Adapter adapter = runs.get(k).adapter();
                    NDArray own = pooled.computeIfAbsent(adapter.head().pooling(), p -> p.pool(scope, hidden, tokens))
                            .get(new NDIndex(from[k] + ":" + from[k + 1]));                                  // (Bk, H)
                    NDArray logits = adapter.classify(own, runs.get(k).dropout());                           // (Bk, Lk)
                    runLosses[k] = batches.get(k).loss(scope, logits);                                      // its mean cross-entropy
                    total = total == null ? runLosses[k] : total.add(runLosses[k]);
                }
                collector.backward(total);
                for (int k = 0; k < runs.size(); k++) {
                    losses[k] = runLosses[k].getFloat();
                }
            }
            for (TrainingRun run : runs) {
                run.adamW().step(scope);
            }
        }
        return losses;
    }

    /** The base's linears over every row; each run's rows get its own LoRA delta, their inputs dropped out as its own masks say. */
    private static Projections projections(Backbone encoder, List<TrainingRun> runs, int[] from, DropoutMasks dropout, double loraDropout) {
        return (layer, module, x) -> {
            NDArray y = encoder.linear(x, layer, module);                               // (B, T, out)
            if (runs.get(0).adapter().lora(layer, module) == null) {
                return y; // the same targets for every run
            }
            NDArray in = dropout.apply(x, loraDropout);                                // (B, T, in)
            NDList deltas = new NDList(runs.size());
            for (int k = 0; k < runs.size(); k++) {
                NDArray rows = in.get(new NDIndex(from[k] + ":" + from[k + 1]));        // (Bk, T, in)
                deltas.add(runs.get(k).adapter().lora(layer, module).update(rows));     // (Bk, T, out)
            }
            return y.addi(runs.size() == 1 ? deltas.get(0) : NDArrays.concat(deltas, 0));
        };
    }
}
