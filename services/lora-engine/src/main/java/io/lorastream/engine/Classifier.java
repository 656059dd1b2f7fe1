package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** Predictions and evaluation with one adapter (no gradients, no dropout). */
public final class Classifier {
    private final Adapter adapter;
    private final Backbone encoder;
    private final int batchSize;

    public Classifier(Adapter adapter, int batchSize) {
        this.adapter = adapter;
        this.encoder = adapter.base().backbone();
        this.batchSize = batchSize;
    }

    /** A label and the probability of every label. */
    public record Prediction(String label, Map<String, Double> probabilities) {}

    /** Class probabilities, (N, L), in the order of {@code texts}. Texts are batched by length. */
    public float[][] probabilities(List<String> texts) {
        BaseModel base = adapter.base();
        List<long[]> ids = base.encode(texts);
        Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, Comparator.comparingInt(i -> ids.get(i).length)); // little padding
        float[][] result = new float[texts.size()][];
        for (int start = 0; start < order.length; start += batchSize) {
            List<long[]> rows = new ArrayList<>();
            int end = Math.min(order.length, start + batchSize);
            for (int i = start; i < end; i++) {
                rows.add(ids.get(order[i]));
            }
            try (NDManager scope = base.newScope()) {
                NDArray probs = adapter.logits(scope, encoder, TokenBatch.pad(rows), DropoutMasks.NONE).softmax(-1); // (B, L)
                float[] flat = probs.toFloatArray();
                int labels = adapter.labels().size();
                for (int i = start; i < end; i++) {
                    float[] row = new float[labels];
                    System.arraycopy(flat, (i - start) * labels, row, 0, labels);
                    result[order[i]] = row;
                }
            }
        }
        return result;
    }

    public List<Prediction> predict(List<String> texts) {
        List<Prediction> predictions = new ArrayList<>();
        for (float[] probs : probabilities(texts)) {
            predictions.add(prediction(adapter.labels(), probs));
        }
        return predictions;
    }

    /** The most probable label (the first on a tie) and every label's probability. */
    static Prediction prediction(List<String> labels, float[] probs) {
        Map<String, Double> byLabel = new LinkedHashMap<>();
        int best = 0;
        for (int l = 0; l < probs.length; l++) {
            byLabel.put(labels.get(l), (double) probs[l]);
            if (probs[l] > probs[best]) {
                best = l;
            }
        }
        return new Prediction(labels.get(best), byLabel);
    }

    /** Accuracy, macro-F1 over the adapter's labels, and mean cross-entropy. */
    public Metrics evaluate(List<Example> examples) {
        return grade(examples).metrics();
    }

    /**
     * The metrics and, per example, whether the prediction was right: from one pass, for comparisons
     * that pair two adapters' answers on the same examples.
     */
    public record Graded(Metrics metrics, boolean[] correct) {}

    /** {@link #evaluate} with each example's correctness beside the metrics. */
    public Graded grade(List<Example> examples) {
        return grade(examples, probabilities(examples.stream().map(Example::text).toList()));
    }

    /**
     * The same from this adapter's {@link #probabilities} of the examples' texts, computed earlier (a grading that keeps
     * them between runs computes only the examples it has not seen).
     */
    public Graded grade(List<Example> examples, float[][] probs) {
        List<String> labels = adapter.labels();
        int n = examples.size();
        if (probs.length != n) {
            throw new IllegalArgumentException(probs.length + " rows of probabilities for " + n + " examples");
        }
        int[] truePositive = new int[labels.size()];
        int[] predicted = new int[labels.size()];
        int[] actual = new int[labels.size()];
        boolean[] right = new boolean[n];
        int correct = 0;
        double loss = 0;
        for (int i = 0; i < n; i++) {
            int truth = labels.indexOf(examples.get(i).label());
            if (truth < 0) {
                throw new IllegalArgumentException("label '" + examples.get(i).label() + "' is not one of the adapter's labels " + labels);
            }
            int guess = 0;
            for (int l = 1; l < labels.size(); l++) {
                if (probs[i][l] > probs[i][guess]) {
                    guess = l;
                }
            }
            actual[truth]++;
            predicted[guess]++;
            if (guess == truth) {
                right[i] = true;
                correct++;
                truePositive[truth]++;
            }
            loss -= Math.log(Math.max(probs[i][truth], 1e-12));
        }
        double f1Sum = 0;
        for (int l = 0; l < labels.size(); l++) {
            double precision = predicted[l] == 0 ? 0 : (double) truePositive[l] / predicted[l];
            double recall = actual[l] == 0 ? 0 : (double) truePositive[l] / actual[l];
            f1Sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        }
        return new Graded(new Metrics((double) correct / n, f1Sum / labels.size(), loss / n, n), right);
    }
}
