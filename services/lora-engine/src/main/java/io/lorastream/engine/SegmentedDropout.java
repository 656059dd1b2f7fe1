package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Dropout over a fused batch ({@link FusedTrainer}): rows {@code from[k]..from[k+1]} belong to run k, whose own batch is
 * {@code lengths[k]} tokens long. Each run's mask is drawn from its own {@link DropoutMasks} in the shape its own batch
 * has — (Bk, Tk, X) for hidden states, (Bk, N, Tk, Tk) for attention — exactly as {@link Trainer} would draw it, and
 * padded with zeros to the step's length (padding is masked out of attention and pooling, whatever it holds).
 * On a GPU, torch's dropout over the whole batch.
 */
final class SegmentedDropout extends DropoutMasks {
    private final List<DropoutMasks> runs;
    private final int[] from;
    private final int[] lengths;

    SegmentedDropout(List<DropoutMasks> runs, int[] from, int[] lengths) {
        this.runs = List.copyOf(runs);
        this.from = from.clone();
        this.lengths = lengths.clone();
    }

    @Override
    NDArray apply(NDArray x, double p) {
        if (p <= 0 || !onCpu(x)) {
            return runs.get(0).apply(x, p); // nothing to do, or the GPU's own
        }
        Shape shape = x.getShape();
        int rank = shape.dimension();
        if (rank != 3 && rank != 4) {
            throw new IllegalStateException("no segmented dropout for a tensor of shape " + shape + ": (B, T, X) or (B, N, T, T) only");
        }
        long t = rank == 3 ? shape.get(1) : shape.get(2);
        NDList masks = new NDList(runs.size());
        for (int k = 0; k < runs.size(); k++) {
            long b = from[k + 1] - from[k];
            int own = lengths[k];
            Shape ownShape = rank == 3 ? new Shape(b, own, shape.get(2)) : new Shape(b, shape.get(1), own, own);
            NDArray mask = runs.get(k).mask(x.getManager(), ownShape, p);
            if (own < t) {
                if (rank == 3) {
                    mask = NDArrays.concat(new NDList(mask, x.getManager().zeros(new Shape(b, t - own, shape.get(2)))), 1);
                } else {
                    mask = NDArrays.concat(new NDList(mask, x.getManager().zeros(new Shape(b, shape.get(1), own, t - own))), 3);
                    mask = NDArrays.concat(new NDList(mask, x.getManager().zeros(new Shape(b, shape.get(1), t - own, t))), 2);
                }
            }
            masks.add(mask);
        }
        return x.mul(masks.size() == 1 ? masks.get(0) : NDArrays.concat(masks, 0));
    }
}
