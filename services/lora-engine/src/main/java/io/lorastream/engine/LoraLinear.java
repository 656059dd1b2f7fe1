package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/**
 * One frozen linear layer with a LoRA adapter: y = x·Wᵀ + b + scaling · dropout(x)·Aᵀ·Bᵀ.
 * A (r × in) starts kaiming-uniform, B (out × r) starts at zero, so a fresh adapter changes nothing.
 *
 * <p>{@link #merge()} folds ΔW = scaling·B·A into W for a zero-overhead path and keeps W's old
 * values, so {@link #unmerge()} restores them bit for bit. W is the shared base weight: merge only
 * while this adapter has the base to itself.
 */
public final class LoraLinear {
    private final NDArray weight; // (out, in), the base's
    private final NDArray bias;   // (out), the base's
    private final NDArray a;      // (r, in)
    private final NDArray b;      // (out, r)
    private final float scaling;
    private final double dropoutRate;
    private NDArray unmergedWeight; // W before merge(); null while unmerged

    LoraLinear(NDArray weight, NDArray bias, NDArray a, NDArray b, double scaling, double dropout) {
        this.weight = weight;
        this.bias = bias;
        this.a = a;
        this.b = b;
        this.scaling = (float) scaling;
        this.dropoutRate = dropout;
    }

    /** (B, T, in) → (B, T, out). */
    NDArray forward(NDArray x, DropoutMasks dropout) {
        NDArray base = Linear.linear(x, weight, bias).singletonOrThrow();
        if (isMerged()) {
            return base;
        }
        return base.addi(update(dropout.apply(x, dropoutRate)));                       // (B, T, out)
    }

    /**
     * scaling · in·Aᵀ·Bᵀ, the adapter's part of the output for inputs its dropout has already been applied to:
     * (B, T, in) → (B, T, out). Fused training applies it to its own rows of a batch of many adapters.
     */
    NDArray update(NDArray in) {
        NDArray low = Scalars.times(Linear.linear(in, a).singletonOrThrow(), scaling); // (B, T, r): scaled where it is small
        return Linear.linear(low, b).singletonOrThrow();                                // (B, T, out)
    }

    /** ΔW = scaling · B·A, (out, in). */
    NDArray delta() {
        NDArray product = b.matMul(a); // (out, in)
        try (NDArray factor = product.getManager().create(scaling)) {
            return product.muli(factor); // in place: no intermediate left on the adapter's manager per merge
        }
    }

    void merge() {
        if (isMerged()) {
            return; // merging twice would add ΔW twice
        }
        unmergedWeight = weight.duplicate();
        unmergedWeight.attach(a.getManager());
        try (NDArray delta = delta()) {
            weight.addi(delta);
        }
    }

    void unmerge() {
        if (!isMerged()) {
            return;
        }
        unmergedWeight.copyTo(weight); // exact: no W + ΔW − ΔW rounding
        unmergedWeight.close();
        unmergedWeight = null;
    }

    boolean isMerged() {
        return unmergedWeight != null;
    }

    NDArray a() {
        return a;
    }

    NDArray b() {
        return b;
    }
}
