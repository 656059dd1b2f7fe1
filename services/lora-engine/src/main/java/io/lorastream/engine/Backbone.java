package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The forward pass of a frozen base, as adapters and heads see it: {@link BertEncoder} or
 * {@link LlamaDecoder}, chosen by the base's {@link Family}. Every linear goes through {@link Projections}.
 */
public interface Backbone {

    /** The backbone of {@code base}'s family. */
    static Backbone of(BaseModel base) {
        return switch (base.config().family()) {
            case BERT, ROBERTA, DISTILBERT -> new BertEncoder(base);
            case LLAMA -> new LlamaDecoder(base);
        };
    }

    /** x·Wᵀ (+ b where the base has one) for a base linear. */
    NDArray linear(NDArray x, int layer, Module module);

    /** The base alone: every linear is {@link #linear}. */
    default Projections baseProjections() {
        return (layer, module, x) -> linear(x, layer, module);
    }

    /** Last hidden states, (B, T, H); every array it makes belongs to {@code scope}. */
    NDArray forward(NDManager scope, TokenBatch batch, Projections projections, DropoutMasks dropout);

    /** What a head sees, (B, H): the forward pooled as {@code pooling} says (the head's, {@link Family.Head#pooling()}). */
    default NDArray pooled(NDManager scope, TokenBatch batch, Projections projections, DropoutMasks dropout, Pooling pooling) {
        return pooling.pool(scope, forward(scope, batch, projections, dropout), batch);
    }

    default NDArray pooled(NDManager scope, TokenBatch batch, Projections projections, Pooling pooling) {
        return pooled(scope, batch, projections, DropoutMasks.NONE, pooling);
    }
}
