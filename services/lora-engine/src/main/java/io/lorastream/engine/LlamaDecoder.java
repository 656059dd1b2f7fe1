package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;

/**
 * A Llama-style decoder (Llama, Qwen2, Mistral) over the frozen {@link BaseModel} weights, written with DJL
 * NDArray ops after transformers' eager {@code LlamaModel}: pre-norm blocks with RMSNorm, rotary position
 * embeddings, grouped-query causal attention, a SwiGLU feed-forward, a final RMSNorm. Texts are padded on the
 * right, so the causal mask alone keeps padding out of every real token's view. Every linear goes through
 * {@link Projections}, which is where LoRA comes in.
 * Shapes: B batch, T tokens, H hidden, N query heads, K key/value heads, D head size, F feed-forward size.
 */
public final class LlamaDecoder implements Backbone {
    /** A masked score: exp(-1e9 - max) is 0 in float, as with transformers' finfo.min. */
    private static final float MASKED = -1e9f;

    private final BaseModel base;
    private final DecoderConfig c;
    private final float[] inverseFrequencies; // (D/2): the rotary angle per position of each pair of dimensions

    public LlamaDecoder(BaseModel base) {
        this.base = base;
        this.c = (DecoderConfig) base.config();
        this.inverseFrequencies = inverseFrequencies(c);
    }

    @Override
    public NDArray linear(NDArray x, int layer, Module module) {
        String name = Family.LLAMA.moduleName(module, layer);
        return Linear.linear(x, base.weight(name + ".weight"), base.optionalWeight(name + ".bias")).singletonOrThrow();
    }

    @Override
    public NDArray forward(NDManager scope, TokenBatch batch, Projections projections, DropoutMasks dropout) {
        int b = batch.size();
        int t = batch.length();
        int n = c.numHeads();
        int k = c.numKeyValueHeads();
        int d = c.headDim();

        NDArray x = Embedding.embedding(batch.idsArray(scope), base.weight("embed_tokens.weight"),
                ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();            // (B, T, H)
        NDArray[] rotary = rotary(scope, t);                                          // cos, sin: (T, D)
        NDArray maskBias = scope.create(maskBias(batch), new Shape(b, 1, t, t));     // (B, 1, T, T)
        float scale = (float) (1.0 / Math.sqrt(d));

        for (int layer = 0; layer < c.numLayers(); layer++) {
            try (BlockScope block = BlockScope.open(scope, x, dropout)) {
                // self-attention, on the normed input; its output is added to the residual stream
                NDArray h = rmsNorm(x, "layers." + layer + ".input_layernorm.weight");                        // (B, T, H)
                NDArray q = heads(projections.apply(layer, Module.QUERY, h), b, t, n);                          // (B, N, T, D)
                NDArray key = heads(projections.apply(layer, Module.KEY, h), b, t, k);                          // (B, K, T, D)
                NDArray v = heads(projections.apply(layer, Module.VALUE, h), b, t, k);                          // (B, K, T, D)
                q = rotate(q, rotary);
                key = shared(rotate(key, rotary), b, t, k);                                                      // (B, N, T, D)
                v = shared(v, b, t, k);                                                                          // (B, N, T, D)
                NDArray scores = Scalars.times(q.matMul(key.transpose(0, 1, 3, 2)), scale).add(maskBias);      // (B, N, T, T)
                NDArray probs = dropout.apply(scores.softmax(-1), c.attentionDropout());                       // (B, N, T, T)
                NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, (long) n * d);           // (B, T, N·D)
                x = x.add(projections.apply(layer, Module.ATTENTION_OUTPUT, context));                         // (B, T, H)

                // feed-forward: down(silu(gate(h)) · up(h))
                h = rmsNorm(x, "layers." + layer + ".post_attention_layernorm.weight");                        // (B, T, H)
                // silu(g) = g·σ(g), not DJL's swish(g, 1): that multiplies by a Number, whose tensor autograd keeps but
                // DJL frees at once (Scalars): backward then read freed memory, and LoRA training went to NaN
                NDArray gateLinear = projections.apply(layer, Module.GATE, h);                                 // (B, T, F)
                NDArray gate = gateLinear.mul(Activation.sigmoid(gateLinear));                                 // (B, T, F)
                NDArray up = projections.apply(layer, Module.UP, h);                                           // (B, T, F)
                x = block.keep(x.add(projections.apply(layer, Module.DOWN, gate.mul(up))));                    // (B, T, H)
            }
        }
        return rmsNorm(x, "norm.weight");                                                                  // (B, T, H)
    }

    /** x / √(mean(x²) + ε) · w over the hidden size. */
    private NDArray rmsNorm(NDArray x, String weight) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);                 // (B, T, 1)
        return x.div(meanSquare.add((float) c.rmsNormEps()).sqrt()).mul(base.weight(weight));
    }

    /** (B, T, heads·D) → (B, heads, T, D) */
    private NDArray heads(NDArray x, int b, int t, int heads) {
        return x.reshape(b, t, heads, c.headDim()).transpose(0, 2, 1, 3);
    }

    /** Each key/value head serves N/K query heads in a row: (B, K, T, D) → (B, N, T, D), as transformers' repeat_kv. */
    private NDArray shared(NDArray x, int b, int t, int k) {
        int repeat = c.numHeads() / k;
        if (repeat == 1) {
            return x;
        }
        return x.expandDims(2).broadcast(new Shape(b, k, repeat, t, c.headDim())).reshape(b, c.numHeads(), t, c.headDim());
    }

    /** x·cos + rotate_half(x)·sin, where rotate_half(x) = (−x₂, x₁) for the halves x₁, x₂ of the head. */
    private NDArray rotate(NDArray x, NDArray[] rotary) {
        NDList halves = x.split(2, 3);                                               // 2 × (B, heads, T, D/2)
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
        return x.mul(rotary[0]).add(rotated.mul(rotary[1]));
    }

    /** cos and sin of position·frequency, each (T, D), the D/2 frequencies twice over as transformers lays them out. */
    private NDArray[] rotary(NDManager scope, int t) {
        int half = inverseFrequencies.length;
        float[] cos = new float[t * half * 2];
        float[] sin = new float[t * half * 2];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < half; i++) {
                float angle = p * inverseFrequencies[i]; // in float, as transformers computes it
                float cs = (float) Math.cos(angle);
                float sn = (float) Math.sin(angle);
                cos[p * 2 * half + i] = cs;
                cos[p * 2 * half + half + i] = cs;
                sin[p * 2 * half + i] = sn;
                sin[p * 2 * half + half + i] = sn;
            }
        }
        return new NDArray[] {scope.create(cos, new Shape(t, 2L * half)), scope.create(sin, new Shape(t, 2L * half))};
    }

    /**
     * θ^(−2i/D) for i &lt; D/2, in float as transformers computes it; with "llama3" scaling, wavelengths longer
     * than original_max / low_freq_factor are slowed by the factor, those shorter than original_max /
     * high_freq_factor kept, and those between blended.
     */
    static float[] inverseFrequencies(DecoderConfig c) {
        int half = c.headDim() / 2;
        float[] inverse = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / c.headDim();
            inverse[i] = (float) (1.0 / Math.pow((float) c.ropeTheta(), exponent));
        }
        DecoderConfig.Llama3Scaling s = c.ropeScaling();
        if (s != null) {
            double lowWavelength = s.originalMaxPositions() / s.lowFreqFactor();
            double highWavelength = s.originalMaxPositions() / s.highFreqFactor();
            for (int i = 0; i < half; i++) {
                double wavelength = 2 * Math.PI / inverse[i];
                if (wavelength > lowWavelength) {
                    inverse[i] = (float) (inverse[i] / s.factor());
                } else if (wavelength >= highWavelength) {
                    double smooth = (s.originalMaxPositions() / wavelength - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                    inverse[i] = (float) ((1 - smooth) * inverse[i] / s.factor() + smooth * inverse[i]);
                }
            }
        }
        return inverse;
    }

    /** 0 where query i may see key j (j ≤ i, j a real token, within the sliding window), else {@link #MASKED}: (B, 1, T, T) flat. */
    private float[] maskBias(TokenBatch batch) {
        int b = batch.size();
        int t = batch.length();
        float[] bias = new float[b * t * t];
        for (int row = 0; row < b; row++) {
            long[] mask = batch.mask()[row];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    boolean visible = j <= i && mask[j] == 1 && (c.slidingWindow() == 0 || j > i - c.slidingWindow());
                    bias[(row * t + i) * t + j] = visible ? 0f : MASKED;
                }
            }
        }
        return bias;
    }
}
