package io.lorastream.engine;

import ai.djl.ndarray.NDArray;

/**
 * The linear layers of the encoder, as the forward pass sees them: the frozen base alone, or the base
 * plus one adapter's LoRA deltas, or (serving) different adapters for different rows of one batch.
 */
@FunctionalInterface
public interface Projections {

    /** {@code x} (B, T, in) → (B, T, out) through {@code module} of block {@code layer}. */
    NDArray apply(int layer, Module module, NDArray x);
}
