package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Locale;

/**
 * How a head sees a text: the last hidden states (B, T, H) of a right-padded batch reduced to one vector per text (B, H).
 * Recorded with each adapter ({@code lorastream_adapter.json} "pooling") by {@link #id()}.
 */
public enum Pooling {
    /** The mean over real tokens: what sentence-transformers bases were trained for. */
    MEAN,
    /** The first token ([CLS], &lt;s&gt;): BERT's pooler, RoBERTa's and DistilBERT's heads. */
    FIRST,
    /** The last real token: what a causal decoder has seen the whole text at; LlamaForSequenceClassification's. */
    LAST;

    /** (B, T, H), the batch's mask → (B, H); every array it makes belongs to {@code scope}, gradients pass through. */
    public NDArray pool(NDManager scope, NDArray hidden, TokenBatch batch) {
        return switch (this) {
            case MEAN -> mean(hidden, batch.maskArray(scope));
            case FIRST -> hidden.get(new NDIndex(":, 0, :"));
            case LAST -> last(scope, hidden, batch);
        };
    }

    /** Mean of the hidden states over real tokens: (B, T, H), (B, T) → (B, H). */
    static NDArray mean(NDArray hidden, NDArray mask) {
        NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(-1);                   // (B, T, 1)
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}));                 // (B, H)
    }

    private static NDArray last(NDManager scope, NDArray hidden, TokenBatch batch) {
        int b = batch.size();
        int t = batch.length();
        float[] last = new float[b * t];
        for (int row = 0; row < b; row++) {
            long length = Arrays.stream(batch.mask()[row]).sum();
            last[row * t + (int) Math.max(0, length - 1)] = 1f;
        }
        // a one-hot row selects exactly (x·1 + 0s) and lets gradients through to that token only
        NDArray select = scope.create(last, new Shape(b, 1, t));                     // (B, 1, T)
        return select.matMul(hidden).squeeze(1);                                      // (B, H)
    }

    /** "mean", "first", "last". */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Pooling parse(String id) {
        for (Pooling pooling : values()) {
            if (pooling.id().equals(id)) {
                return pooling;
            }
        }
        throw new IllegalArgumentException("pooling " + id + " is not one of mean, first, last");
    }
}
