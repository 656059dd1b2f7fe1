package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One adapter's training, step by step, without the steps themselves: its sample, token rows and targets, its
 * length-bucketed batches per epoch, its AdamW with its learning-rate schedule, its dropout masks, the loss and
 * throughput it reports, and the best epoch it keeps. {@link Trainer} takes its steps alone; {@link FusedTrainer} takes
 * several runs' steps in one forward and backward. Either way a run sees the same batches in the same order.
 */
final class TrainingRun implements AutoCloseable {
    /** The next step's batch: the run's own rows, padded to its own longest, and one-hot targets. */
    record Batch(List<long[]> rows, TokenBatch tokens, float[] oneHot) {
        int size() {
            return rows.size();
        }

        /** The mean cross-entropy of this batch's logits (B, L) against its targets: the loss each trainer backpropagates. */
        NDArray loss(NDManager scope, NDArray logits) {
            NDArray target = scope.create(oneHot, logits.getShape());                     // (B, L)
            return Scalars.times(logits.logSoftmax(-1).mul(target).sum(), -1f / size());
        }
    }

    private final Adapter adapter;
    private final TrainingConfig config;
    private final TrainingListener listener;
    private final List<Example> eval;
    private final DropoutMasks dropout;
    private final int[] targets;
    private final List<long[]> ids;
    private final Map<String, NDArray> parameters;
    private final AdamW adamW;
    private final int stepsPerEpoch;
    private final int totalSteps;
    private final int warmup;
    private final List<Trainer.EpochResult> epochs = new ArrayList<>();

    private int epoch;
    private List<int[]> batches = List.of();
    private int nextBatch;
    private double lossSum;
    private int steps;
    private long seenExamples;
    private long seenTokens;
    private Map<String, float[]> bestWeights;
    private Metrics best;
    private int bestEpoch;
    private long started;
    private boolean closed;

    /** @throws IllegalArgumentException a training label the adapter does not have */
    TrainingRun(Adapter adapter, List<Example> train, List<Example> eval, TrainingConfig config, TrainingListener listener) {
        this.adapter = adapter;
        this.config = config;
        this.listener = listener;
        this.eval = eval;
        this.dropout = DropoutMasks.seeded(config.seed());
        List<Example> examples = Trainer.sample(train, config.maxExamples(), config.seed());
        List<String> labels = adapter.labels();
        this.targets = new int[examples.size()];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = labels.indexOf(examples.get(i).label());
            if (targets[i] < 0) {
                throw new IllegalArgumentException("training label '" + examples.get(i).label()
                        + "' is not one of the adapter's labels " + labels);
            }
        }
        this.ids = adapter.base().encode(examples.stream().map(Example::text).toList());
        this.parameters = trainable(adapter, config.fullFinetune());
        this.stepsPerEpoch = (examples.size() + config.batchSize() - 1) / config.batchSize();
        this.totalSteps = stepsPerEpoch * config.epochs();
        this.warmup = (int) Math.ceil(config.warmupRatio() * totalSteps);
        parameters.values().forEach(p -> p.setRequiresGradient(true));
        this.adamW = new AdamW(parameters, t -> Trainer.learningRate(config.learningRate(), warmup, totalSteps, t),
                config.weightDecay(), config.maxGradNorm());
        this.started = System.nanoTime();
    }

    Adapter adapter() {
        return adapter;
    }

    DropoutMasks dropout() {
        return dropout;
    }

    AdamW adamW() {
        return adamW;
    }

    /**
     * Whether a step is left; at the end of an epoch this evaluates it (when there is an eval set) and keeps its weights
     * if it is the best so far, and moves on to the next epoch's batches.
     */
    boolean hasNext() {
        while (nextBatch == batches.size()) {
            if (epochs.size() < epoch) { // its last batch was just taken: once per epoch, however often this is asked
                endEpoch();
            }
            if (epoch == config.epochs()) {
                return false;
            }
            epoch++;
            listener.epochStarted(epoch, config.epochs(), targets.length);
            batches = batches(ids, config.batchSize(), new Random(config.seed() + epoch));
            nextBatch = 0;
            lossSum = 0;
            steps = 0;
        }
        return true;
    }

    Batch next() {
        int[] batch = batches.get(nextBatch++);
        int labels = adapter.labels().size();
        List<long[]> rows = new ArrayList<>(batch.length);
        float[] oneHot = new float[batch.length * labels];
        for (int i = 0; i < batch.length; i++) {
            rows.add(ids.get(batch[i]));
            oneHot[i * labels + targets[batch[i]]] = 1f;
        }
        return new Batch(rows, TokenBatch.pad(rows), oneHot);
    }

    /** @throws IllegalStateException the loss is not finite: the adapter must not be handed on */
    void stepDone(Batch batch, double loss) {
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("training diverged: loss " + loss + " at epoch " + epoch + ", step "
                    + (steps + 1) + " (batch of " + batch.size() + " texts, " + batch.tokens().length() + " tokens)");
        }
        lossSum += loss;
        steps++;
        seenExamples += batch.size();
        seenTokens += batch.tokens().tokens();
        listener.stepDone(batch.size(), batch.tokens().tokens(), loss, Trainer.learningRate(config.learningRate(), warmup, totalSteps,
                (epoch - 1) * stepsPerEpoch + steps));
    }

    private void endEpoch() {
        Metrics metrics = eval == null || eval.isEmpty() ? null : new Classifier(adapter, 64).evaluate(eval);
        double trainLoss = lossSum / Math.max(1, steps);
        epochs.add(new Trainer.EpochResult(epoch, trainLoss, metrics));
        listener.epochDone(epoch, trainLoss, metrics);
        if (metrics != null && (best == null || metrics.accuracy() > best.accuracy())) {
            best = metrics;
            bestEpoch = epoch;
            bestWeights = snapshot(parameters);
        }
    }

    /** After the last step: the best epoch's weights back in place (when an eval set chose one), and what the run did. */
    Trainer.Result result() {
        java.time.Duration duration = java.time.Duration.ofNanos(System.nanoTime() - started);
        close();
        int chosen = bestEpoch;
        if (bestWeights != null && bestEpoch != config.epochs()) {
            restore(parameters, bestWeights);
        }
        if (best == null) {
            chosen = config.epochs();
        }
        return new Trainer.Result(List.copyOf(epochs), chosen, best, seenExamples, seenTokens, duration);
    }

    /** Frees the optimiser's state and stops recording gradients for the adapter (idempotent). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            adamW.close();
            parameters.values().forEach(p -> p.setRequiresGradient(false));
        }
    }

    /** LoRA A and B and the head; with full fine-tuning, every base weight and the head. */
    private static Map<String, NDArray> trainable(Adapter adapter, boolean fullFinetune) {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        if (fullFinetune) {
            new java.util.TreeMap<>(adapter.base().weights()).forEach(parameters::put);
            parameters.putAll(adapter.headTensors());
        } else {
            parameters.putAll(adapter.tensors());
        }
        return parameters;
    }

    /** Shuffled, then sorted by length within windows of {@link Trainer#BUCKET_WINDOW} batches, then the batches shuffled. */
    private static List<int[]> batches(List<long[]> ids, int batchSize, Random random) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        int window = batchSize * Trainer.BUCKET_WINDOW;
        List<int[]> batches = new ArrayList<>();
        for (int start = 0; start < order.size(); start += window) {
            List<Integer> chunk = new ArrayList<>(order.subList(start, Math.min(order.size(), start + window)));
            chunk.sort(Comparator.comparingInt(i -> ids.get(i).length));
            for (int b = 0; b < chunk.size(); b += batchSize) {
                batches.add(chunk.subList(b, Math.min(chunk.size(), b + batchSize)).stream().mapToInt(Integer::intValue).toArray());
            }
        }
        Collections.shuffle(batches, random);
        return batches;
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
