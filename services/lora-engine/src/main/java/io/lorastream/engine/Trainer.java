package io.lorastream.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains an adapter: {@link AdamW} (decoupled weight decay), linear warm-up then linear decay,
 * global gradient-norm clipping, dropout ({@link DropoutMasks}), length-bucketed batches with dynamic
 * padding, a fixed seed; evaluates each epoch and keeps the best epoch's weights. Warm start = pass a loaded adapter.
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
        BaseModel base = adapter.base();
        Backbone encoder = base.backbone();
        Engine.getInstance().setRandomSeed((int) config.seed()); // torch's dropout (GPU) follows the seed too
        DropoutMasks dropout = DropoutMasks.seeded(config.seed());
        List<Example> examples = sample(train);
        List<String> labels = adapter.labels();
        int[] targets = new int[examples.size()];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = labels.indexOf(examples.get(i).label());
            if (targets[i] < 0) {
                throw new IllegalArgumentException("training label '" + examples.get(i).label()
                        + "' is not one of the adapter's labels " + labels);
            }
        }
        List<long[]> ids = base.encode(examples.stream().map(Example::text).toList());

        Map<String, NDArray> parameters = trainable(adapter);
        parameters.values().forEach(p -> p.setRequiresGradient(true));
        int stepsPerEpoch = (examples.size() + config.batchSize() - 1) / config.batchSize();
        int totalSteps = stepsPerEpoch * config.epochs();
        int warmup = (int) Math.ceil(config.warmupRatio() * totalSteps);
        AdamW adamW = new AdamW(parameters, t -> learningRate(config.learningRate(), warmup, totalSteps, t),
                config.weightDecay(), config.maxGradNorm());

        List<EpochResult> epochs = new ArrayList<>();
        Map<String, float[]> bestWeights = null;
        Metrics best = null;
        int bestEpoch = 0;
        long seenExamples = 0;
        long seenTokens = 0;
        long started = System.nanoTime();
        try {
            for (int epoch = 1; epoch <= config.epochs(); epoch++) {
                listener.epochStarted(epoch, config.epochs(), examples.size());
                double lossSum = 0;
                int steps = 0;
                for (int[] batch : batches(ids, new Random(config.seed() + epoch))) {
                    List<long[]> rows = new ArrayList<>(batch.length);
                    float[] oneHot = new float[batch.length * labels.size()];
                    for (int i = 0; i < batch.length; i++) {
                        rows.add(ids.get(batch[i]));
                        oneHot[i * labels.size() + targets[batch[i]]] = 1f;
                    }
                    TokenBatch tokens = TokenBatch.pad(rows);
                    double loss = step(adapter, encoder, dropout, tokens, oneHot, adamW);
                    if (!Double.isFinite(loss)) {
                        // never hand on an adapter trained into NaN
                        throw new IllegalStateException("training diverged: loss " + loss + " at epoch " + epoch + ", step "
                                + (steps + 1) + " (batch of " + batch.length + " texts, " + tokens.length() + " tokens)");
                    }
                    lossSum += loss;
                    steps++;
                    seenExamples += batch.length;
                    seenTokens += tokens.tokens();
                    listener.stepDone(batch.length, tokens.tokens(), loss, learningRate(config.learningRate(), warmup, totalSteps,
                            (epoch - 1) * stepsPerEpoch + steps));
                }
                Metrics metrics = eval == null || eval.isEmpty() ? null : new Classifier(adapter, 64).evaluate(eval);
                double trainLoss = lossSum / Math.max(1, steps);
                epochs.add(new EpochResult(epoch, trainLoss, metrics));
                listener.epochDone(epoch, trainLoss, metrics);
                if (metrics != null && (best == null || metrics.accuracy() > best.accuracy())) {
                    best = metrics;
                    bestEpoch = epoch;
                    bestWeights = snapshot(parameters);
                }
            }
        } finally {
            adamW.close();
            parameters.values().forEach(p -> p.setRequiresGradient(false));
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - started);
        if (bestWeights != null && bestEpoch != config.epochs()) {
            restore(parameters, bestWeights);
        }
        if (best == null) {
            bestEpoch = config.epochs();
        }
        return new Result(List.copyOf(epochs), bestEpoch, best, seenExamples, seenTokens, duration);
    }

    /** One optimisation step; returns the batch's mean cross-entropy. */
    private double step(Adapter adapter, Backbone encoder, DropoutMasks dropout, TokenBatch tokens, float[] oneHot,
                        AdamW adamW) {
        try (NDManager scope = adapter.base().newScope()) {
            float loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = config.fullFinetune() // the base is what trains: no LoRA on the way (its B is zero, adds nothing)
                        ? adapter.classify(encoder.pooled(scope, tokens, encoder.baseProjections(), dropout, adapter.head().pooling()), dropout)
                        : adapter.logits(scope, encoder, tokens, dropout);                          // (B, L)
                NDArray target = scope.create(oneHot, new Shape(tokens.size(), adapter.labels().size()));
                NDArray lossArray = Scalars.times(logits.logSoftmax(-1).mul(target).sum(), -1f / tokens.size()); // mean cross-entropy
                collector.backward(lossArray);
                loss = lossArray.getFloat();
            }
            adamW.step(scope);
            return loss;
        }
    }

    /** LoRA A and B and the head; with full fine-tuning, every base weight and the head. */
    private Map<String, NDArray> trainable(Adapter adapter) {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        if (config.fullFinetune()) {
            new java.util.TreeMap<>(adapter.base().weights()).forEach(parameters::put);
            parameters.putAll(adapter.headTensors());
        } else {
            parameters.putAll(adapter.tensors());
        }
        return parameters;
    }

    private List<Example> sample(List<Example> train) {
        return sample(train, config.maxExamples(), config.seed());
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

    /** Shuffled, then sorted by length within windows, then the batches shuffled: little padding, still random. */
    private List<int[]> batches(List<long[]> ids, Random random) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        int window = config.batchSize() * BUCKET_WINDOW;
        List<int[]> batches = new ArrayList<>();
        for (int start = 0; start < order.size(); start += window) {
            List<Integer> chunk = new ArrayList<>(order.subList(start, Math.min(order.size(), start + window)));
            chunk.sort(Comparator.comparingInt(i -> ids.get(i).length));
            for (int b = 0; b < chunk.size(); b += config.batchSize()) {
                batches.add(chunk.subList(b, Math.min(chunk.size(), b + config.batchSize())).stream().mapToInt(Integer::intValue).toArray());
            }
        }
        Collections.shuffle(batches, random);
        return batches;
    }

    /** Linear warm-up to {@code peak} over {@code warmup} steps, then linear decay to 0 at {@code total}. */
    static double learningRate(double peak, int warmup, int total, int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        return peak * Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> parameters) {
        Map<String, float[]> copy = new LinkedHashMap<>();
        parameters.forEach((name, array) -> copy.put(name, array.toFloatArray()));
        return copy;
    }

    private static void restore(Map<String, NDArray> parameters, Map<String, float[]> values) {
        parameters.forEach((name, array) -> array.set(values.get(name)));
    }
}
