package io.lorastream.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Trains an adapter: {@link AdamW} (decoupled weight decay), linear warm-up then linear decay,
 * global gradient-norm clipping, dropout ({@link DropoutMasks}), length-bucketed batches with dynamic
 * padding, a fixed seed; evaluates each epoch and keeps the best epoch's weights. Warm start = pass a loaded adapter.
 * The run's bookkeeping is {@link TrainingRun}'s; this takes its steps one adapter at a time ({@link FusedTrainer}: many).
 */
public final class Trainer {
    /** Batches are sorted by length inside windows of this many batches, then shuffled. */
    public static final int BUCKET_WINDOW = 50;

    private final TrainingConfig config;
    private final TrainingListener listener;

    public Trainer(TrainingConfig config, TrainingListener listener) {
        this.config = config;
        this.listener = listener;
    }

    public record EpochResult(int epoch, double trainLoss, Metrics eval) {}

    public record Result(List<EpochResult> epochs, int bestEpoch, Metrics best, long examples, long tokens, Duration duration) {
        public double examplesPerSecond() {
            return examples / Math.max(1e-9, duration.toNanos() / 1e9);
        }

        public double tokensPerSecond() {
            return tokens / Math.max(1e-9, duration.toNanos() / 1e9);
        }
    }

    /**
     * @param eval held-out examples to pick the best epoch by accuracy; null or empty: the last epoch
     */
    public Result train(Adapter adapter, List<Example> train, List<Example> eval) {
        Engine.getInstance().setRandomSeed((int) config.seed()); // torch's dropout (GPU) follows the seed too
        Backbone encoder = adapter.base().backbone();
        try (TrainingRun run = new TrainingRun(adapter, train, eval, config, listener)) {
            while (run.hasNext()) {
                TrainingRun.Batch batch = run.next();
                run.stepDone(batch, step(adapter, encoder, run.dropout(), batch, run.adamW()));
            }
            return run.result();
        }
    }

    /** One optimisation step; returns the batch's mean cross-entropy. */
    private double step(Adapter adapter, Backbone encoder, DropoutMasks dropout, TrainingRun.Batch batch, AdamW adamW) {
        TokenBatch tokens = batch.tokens();
        try (NDManager scope = adapter.base().newScope()) {
            float loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = config.fullFinetune() // the base is what trains: no LoRA on the way (its B is zero, adds nothing)
                        ? adapter.classify(encoder.pooled(scope, tokens, encoder.baseProjections(), dropout, adapter.head().pooling()), dropout)
                        : adapter.logits(scope, encoder, tokens, dropout);                          // (B, L)
                NDArray lossArray = batch.loss(scope, logits);
                collector.backward(lossArray);
                loss = lossArray.getFloat();
            }
            adamW.step(scope);
            return loss;
        }
    }

    /** The examples a run with {@code maxExamples} (0: all) and {@code seed} trains on (benchmark peers train on them too). */
    public static List<Example> sample(List<Example> train, int maxExamples, long seed) {
        if (maxExamples == 0 || maxExamples >= train.size()) {
            return train;
        }
        List<Example> shuffled = new ArrayList<>(train);
        Collections.shuffle(shuffled, new Random(seed));
        return shuffled.subList(0, maxExamples);
    }

    /** Linear warm-up to {@code peak} over {@code warmup} steps, then linear decay to 0 at {@code total}. */
    static double learningRate(double peak, int warmup, int total, int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        return peak * Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
    }
}
