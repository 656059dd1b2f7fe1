package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores texts of many adapters in one batch over their shared base (multi-LoRA serving): every base
 * linear runs once over all rows, and each row's LoRA delta comes from its own adapter through two
 * batched matmuls over per-row stacks of A and B. Adapters of different ranks or targets are padded
 * with zeros to the batch's largest rank (zeros add nothing). The rows of each kind of head ({@link Family.Head})
 * are pooled and classified together; heads of different label counts are padded with zero weights and a bias of
 * -1e9, whose softmax share is exactly 0.
 *
 * <p>The adapters must be unmerged and share this classifier's base (the same loaded object).
 */
public final class MixedClassifier {
    /** A padded label's bias: exp(-1e9 - max) is 0 in float. */
    private static final float ABSENT_LABEL_BIAS = -1e9f;

    private final BaseModel base;
    private final Backbone encoder;
    private final int batchSize;

    public MixedClassifier(BaseModel base, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        this.base = base;
        this.encoder = base.backbone();
        this.batchSize = batchSize;
    }

    /**
     * Row i's probabilities over {@code adapters.get(i)}'s labels, in that adapter's label order.
     * Texts are batched by length whatever adapter they belong to, in as many forwards of at most the
     * batch size as padding makes worth it ({@link LengthBuckets}).
     */
    public float[][] probabilities(List<Adapter> adapters, List<String> texts) {
        if (adapters.size() != texts.size()) {
            throw new IllegalArgumentException(adapters.size() + " adapters for " + texts.size() + " texts");
        }
        for (Adapter adapter : adapters) {
            if (adapter.base() != base) {
                throw new IllegalArgumentException("an adapter belongs to another loaded base than " + base.id());
            }
            if (adapter.isMerged()) {
                throw new IllegalStateException("a merged adapter has changed the shared base; unmerge it before mixed scoring");
            }
        }
        List<long[]> ids = base.encode(texts);
        float[][] result = new float[texts.size()][];
        for (int[] run : LengthBuckets.of(ids, batchSize, base.device())) {
            List<long[]> rows = new ArrayList<>(run.length);
            List<Adapter> rowAdapters = new ArrayList<>(run.length);
            for (int i : run) {
                rows.add(ids.get(i));
                rowAdapters.add(adapters.get(i));
            }
            float[][] chunk = chunk(rowAdapters, TokenBatch.pad(rows));
            for (int k = 0; k < run.length; k++) {
                result[run[k]] = chunk[k];
            }
        }
        return result;
    }

    /** Predictions as {@link Classifier#predict} makes them, row i with {@code adapters.get(i)}. */
    public List<Classifier.Prediction> predict(List<Adapter> adapters, List<String> texts) {
        float[][] probabilities = probabilities(adapters, texts);
        List<Classifier.Prediction> predictions = new ArrayList<>(texts.size());
        for (int i = 0; i < probabilities.length; i++) {
            predictions.add(Classifier.prediction(adapters.get(i).labels(), probabilities[i]));
        }
        return predictions;
    }

    /** One padded batch: (B, L_i) probabilities, row i over its own adapter's labels. */
    private float[][] chunk(List<Adapter> rowAdapters, TokenBatch tokens) {
        int b = rowAdapters.size();
        List<Adapter> distinct = new ArrayList<>();
        long[] group = groups(rowAdapters, distinct);
        float[] scaling = new float[b];
        for (int i = 0; i < b; i++) {
            scaling[i] = (float) rowAdapters.get(i).config().scaling();
        }
        try (NDManager scope = base.newScope()) {
            NDArray index = scope.create(group);                                        // (B)
            NDArray rowScaling = scope.create(scaling, new Shape(b, 1, 1));             // (B, 1, 1)
            Projections projections = distinct.size() == 1
                    ? distinct.get(0).projections(encoder, DropoutMasks.NONE)
                    : mixedProjections(scope, distinct, index, rowScaling);
            NDArray hidden = encoder.forward(scope, tokens, projections, DropoutMasks.NONE); // (B, T, H)
            // each head pools and classifies its own rows: heads differ in pooling and depth
            Map<Family.Head, List<Integer>> rowsByHead = new LinkedHashMap<>();
            for (int i = 0; i < b; i++) {
                rowsByHead.computeIfAbsent(rowAdapters.get(i).head(), h -> new ArrayList<>()).add(i);
            }
            float[][] out = new float[b][];
            for (Map.Entry<Family.Head, List<Integer>> entry : rowsByHead.entrySet()) {
                List<Integer> rows = entry.getValue();
                NDArray pooled = entry.getKey().pooling().pool(scope, hidden, tokens);   // (B, H)
                if (rows.size() < b) {
                    pooled = pooled.get(new NDIndex("{}", scope.create(rows.stream().mapToLong(Integer::longValue).toArray()))); // (Bh, H)
                }
                List<Adapter> headAdapters = new ArrayList<>();
                long[] headIndex = groups(rows.stream().map(rowAdapters::get).toList(), headAdapters);
                NDArray probs = heads(scope, entry.getKey(), headAdapters, scope.create(headIndex), pooled).softmax(-1); // (Bh, Lmax)
                int labels = (int) probs.getShape().get(1);
                float[] flat = probs.toFloatArray();
                for (int k = 0; k < rows.size(); k++) {
                    int row = rows.get(k);
                    out[row] = java.util.Arrays.copyOfRange(flat, k * labels, k * labels + rowAdapters.get(row).labels().size());
                }
            }
            return out;
        }
    }

    /** Each row's index among the rows' distinct adapters, which are added to {@code distinct} in order of first appearance. */
    private static long[] groups(List<Adapter> rows, List<Adapter> distinct) {
        Map<Adapter, Integer> index = new IdentityHashMap<>();
        long[] group = new long[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            group[i] = index.computeIfAbsent(rows.get(i), a -> {
                distinct.add(a);
                return distinct.size() - 1;
            });
        }
        return group;
    }

    /** Base linear over all rows plus, per row, scaling · x·Aᵀ·Bᵀ of that row's adapter. */
    private Projections mixedProjections(NDManager scope, List<Adapter> distinct, NDArray index, NDArray rowScaling) {
        int rMax = distinct.stream().mapToInt(a -> a.config().r()).max().orElseThrow();
        Map<String, NDArray[]> stacks = new LinkedHashMap<>(); // per linear: per-row A and B, made once per batch
        return (layer, module, x) -> {
            NDArray y = encoder.linear(x, layer, module);                                // (B, T, out)
            if (distinct.stream().allMatch(a -> a.lora(layer, module) == null)) {
                return y;
            }
            NDArray[] ab = stacks.computeIfAbsent(base.linearName(layer, module), name -> rowStacks(scope, distinct, index, layer, module, rMax));
            NDArray low = x.matMul(ab[0]).muli(rowScaling);                             // (B, T, in) · (B, in, R) → (B, T, R), scaled while small
            return y.addi(low.matMul(ab[1]));                                            // (B, T, R) · (B, R, out) → (B, T, out)
        };
    }

    /** Aᵀ (B, in, R) and Bᵀ (B, R, out) per row, zero-padded to rank R. */
    private NDArray[] rowStacks(NDManager scope, List<Adapter> distinct, NDArray index, int layer, Module module, int rMax) {
        NDArray weight = base.weight(base.linearName(layer, module) + ".weight");              // (out, in)
        long out = weight.getShape().get(0);
        long in = weight.getShape().get(1);
        NDList as = new NDList();
        NDList bs = new NDList();
        for (Adapter adapter : distinct) {
            LoraLinear lora = adapter.lora(layer, module);
            if (lora == null) {
                as.add(scope.zeros(new Shape(rMax, in)));
                bs.add(scope.zeros(new Shape(out, rMax)));
                continue;
            }
            int r = (int) lora.a().getShape().get(0);
            as.add(r == rMax ? lora.a() : inScope(scope, NDArrays.concat(new NDList(lora.a(), scope.zeros(new Shape(rMax - r, in))), 0)));
            bs.add(r == rMax ? lora.b() : inScope(scope, NDArrays.concat(new NDList(lora.b(), scope.zeros(new Shape(out, rMax - r))), 1)));
        }
        NDArray aRows = perRow(inScope(scope, NDArrays.stack(as)), index).transpose(0, 2, 1); // (G, R, in) → (B, in, R)
        NDArray bRows = perRow(inScope(scope, NDArrays.stack(bs)), index).transpose(0, 2, 1); // (G, out, R) → (B, R, out)
        return new NDArray[] {aRows, bRows};
    }

    /** (G, …) → (B, …) by each row's group; with every row its own adapter the groups are already in row order. */
    private static NDArray perRow(NDArray groups, NDArray index) {
        return groups.getShape().get(0) == index.size() ? groups : groups.get(new NDIndex("{}", index));
    }

    /** Arrays made from an adapter's weights land in the adapter's manager; this batch's scope frees them. */
    private static NDArray inScope(NDManager scope, NDArray array) {
        array.attach(scope);
        return array;
    }

    /**
     * Rows of adapters that share {@code head}, each through its adapter's weights, layer by layer: the hidden-size layers
     * as they are, the last padded to these adapters' most labels, absent labels at -1e9. (B, H) → … → (B, Lmax).
     */
    private NDArray heads(NDManager scope, Family.Head head, List<Adapter> distinct, NDArray index, NDArray pooled) {
        int lMax = distinct.stream().mapToInt(a -> a.labels().size()).max().orElseThrow();
        long hidden = pooled.getShape().get(1);
        List<Family.HeadLayer> layers = head.layers();
        NDArray x = pooled;                                                          // (B, H)
        for (int layer = 0; layer < layers.size(); layer++) {
            boolean last = layer == layers.size() - 1;
            NDList weights = new NDList();
            NDList biases = new NDList();
            for (Adapter adapter : distinct) {
                NDArray weight = adapter.headWeights().get(layer);
                NDArray bias = adapter.headBiases().get(layer);
                int l = adapter.labels().size();
                if (!last || l == lMax) {
                    weights.add(weight);
                    biases.add(bias);
                } else {
                    weights.add(inScope(scope, NDArrays.concat(new NDList(weight, scope.zeros(new Shape(lMax - l, hidden))), 0)));
                    biases.add(inScope(scope, NDArrays.concat(new NDList(bias, scope.full(new Shape(lMax - l), ABSENT_LABEL_BIAS)), 0)));
                }
            }
            NDArray w = perRow(inScope(scope, NDArrays.stack(weights)), index);   // (B, out, H)
            NDArray b = perRow(inScope(scope, NDArrays.stack(biases)), index);    // (B, out)
            x = Adapter.activate(x.expandDims(1).matMul(w.transpose(0, 2, 1)).squeeze(1).add(b), layers.get(layer).activation()); // (B, 1, H) · (B, H, out) → (B, out)
        }
        return x;
    }
}
