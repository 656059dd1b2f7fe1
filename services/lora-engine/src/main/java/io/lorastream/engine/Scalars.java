package io.lorastream.engine;

import ai.djl.ndarray.NDArray;

/**
 * Arithmetic with a constant that is safe under autograd.
 *
 * <p>DJL's {@code NDArray.mul(Number)} (and add/sub/div) wraps the number in a tensor over a direct
 * buffer, applies the op, and closes that tensor at once. Autograd may keep it for the backward pass
 * (a product's gradient needs the other factor); once the JVM collects the buffer, the backward reads
 * freed memory and gradients turn to garbage — non-deterministically, only when GC runs. Here the
 * constant lives in the operand's own scope, so it outlives the backward pass.
 */
final class Scalars {
    private Scalars() {}

    /** x · factor, with the factor kept alive as long as x's scope. */
    static NDArray times(NDArray x, float factor) {
        return x.mul(x.getManager().create(factor));
    }
}
