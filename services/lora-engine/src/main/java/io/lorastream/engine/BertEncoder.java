package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

/**
 * A BERT-family encoder (post-LN; BERT, RoBERTa, DistilBERT, whose weights differ only in names, RoBERTa's position
 * offset and DistilBERT's missing token types) over the frozen {@link BaseModel} weights, written with DJL NDArray ops.
 * Every linear layer goes through {@link Projections}, which is where LoRA comes in.
 * Shapes: B batch, T tokens, H hidden, N heads, D head size (H = N·D), F feed-forward size.
 */
public final class BertEncoder implements Backbone {
    private final BaseModel base;
    private final EncoderConfig c;

    public BertEncoder(BaseModel base) {
        this.base = base;
        this.c = (EncoderConfig) base.config();
    }

    /** x·Wᵀ + b for a base linear. */
    @Override
    public NDArray linear(NDArray x, int layer, Module module) {
        String name = c.family().moduleName(module, layer);
        return Linear.linear(x, base.weight(name + ".weight"), base.weight(name + ".bias")).singletonOrThrow();
    }

    /** Last hidden states, (B, T, H), as in inference (no dropout). */
    public NDArray forward(NDManager scope, TokenBatch batch, Projections projections) {
        return forward(scope, batch, projections, DropoutMasks.NONE);
    }

    /**
     * Last hidden states, (B, T, H); every array it makes belongs to {@code scope}. While training
     * ({@code dropout} active), the base's own dropout applies (after embeddings, on attention
     * probabilities, after each sub-layer) as it does in BERT's train mode; the weights stay frozen.
     */
    @Override
    public NDArray forward(NDManager scope, TokenBatch batch, Projections projections, DropoutMasks dropout) {
        return forward(batch.idsArray(scope), batch.maskArray(scope), projections, dropout);
    }

    /** ids, mask (B, T) → (B, T, H); the arrays it makes belong to the scope of {@code ids}. */
    private NDArray forward(NDArray ids, NDArray mask, Projections projections, DropoutMasks dropout) {
        NDManager scope = ids.getManager();
        int b = (int) ids.getShape().get(0);
        int t = (int) ids.getShape().get(1);

        // embeddings: word + position (from RoBERTa's offset) + token type 0 where the model has token types, then LayerNorm
        NDArray x = Embedding.embedding(ids, base.weight("embeddings.word_embeddings.weight"), ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow(); // (B, T, H)
        NDArray positions = base.weight("embeddings.position_embeddings.weight")
                .get(new NDIndex("{}:{}", c.positionOffset(), c.positionOffset() + t));
        positions.attach(scope); // a view of a long-lived weight: freed with the scope, not with the base
        x = x.add(positions);                                                  // (B, T, H) + (T, H)
        if (c.typeVocabSize() > 0) {
            NDArray tokenType = base.weight("embeddings.token_type_embeddings.weight").get(0);
            tokenType.attach(scope);
            x = x.add(tokenType);                                              // + (H)
        }
        x = dropout.apply(layerNorm(x, "embeddings.LayerNorm"), c.hiddenDropout());

        // padding gets a large negative score before softmax: (B, 1, 1, T)
        NDArray maskBias = mask.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                .sub(1f).mul(1e9f).reshape(b, 1, 1, t);
        float scale = (float) (1.0 / Math.sqrt(c.headSize()));

        for (int layer = 0; layer < c.numLayers(); layer++) {
            try (BlockScope block = BlockScope.open(scope, x, dropout)) {
                // self-attention
                NDArray q = heads(Scalars.times(projections.apply(layer, Module.QUERY, x), scale), b, t);   // (B, N, T, D)
                NDArray k = heads(projections.apply(layer, Module.KEY, x), b, t);                // (B, N, T, D)
                NDArray v = heads(projections.apply(layer, Module.VALUE, x), b, t);              // (B, N, T, D)
                NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(maskBias);              // (B, N, T, T)
                NDArray probs = dropout.apply(scores.softmax(-1), c.attentionDropout());       // (B, N, T, T)
                NDArray context = probs.matMul(v)                                                // (B, N, T, D)
                        .transpose(0, 2, 1, 3).reshape(b, t, c.hiddenSize());                     // (B, T, H)
                NDArray attention = dropout.apply(projections.apply(layer, Module.ATTENTION_OUTPUT, context), c.hiddenDropout()); // (B, T, H)
                x = layerNorm(x.add(attention), c.family().blockPrefix(layer) + c.family().blockNorms().get(0));

                // feed-forward
                NDArray hidden = Activation.gelu(projections.apply(layer, Module.INTERMEDIATE, x)); // (B, T, F)
                NDArray out = dropout.apply(projections.apply(layer, Module.OUTPUT, hidden), c.hiddenDropout()); // (B, T, H)
                x = block.keep(layerNorm(x.add(out), c.family().blockPrefix(layer) + c.family().blockNorms().get(1)));
            }
        }
        return x;
    }

    /** (B, T, H) → (B, N, T, D) */
    private NDArray heads(NDArray x, int b, int t) {
        return x.reshape(b, t, c.numHeads(), c.headSize()).transpose(0, 2, 1, 3);
    }

    private NDArray layerNorm(NDArray x, String prefix) {
        return LayerNorm.layerNorm(x, new Shape(c.hiddenSize()), base.weight(prefix + ".weight"),
                base.weight(prefix + ".bias"), (float) c.layerNormEps()).singletonOrThrow();
    }
}
