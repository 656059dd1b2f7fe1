package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * One transformer block's arrays. In inference a block's intermediates (its input included) are freed as soon as the
 * block has made its output, so a forward holds one block's activations at a time, as PyTorch's no-grad mode does,
 * not every block's until the forward's scope closes (on a 0.5 B decoder, batch 16 × 32 tokens: 2.3 GB).
 * While training, nothing changes: autograd keeps what backward needs, and the step's scope frees the rest.
 */
final class BlockScope implements AutoCloseable {
    private final NDManager outer;
    private final NDManager block; // null while training

    private BlockScope(NDManager outer, NDManager block) {
        this.outer = outer;
        this.block = block;
    }

    /** Opens a block whose input is {@code x} (attached to {@code outer}); inference is {@link DropoutMasks#NONE}. */
    static BlockScope open(NDManager outer, NDArray x, DropoutMasks dropout) {
        if (dropout != DropoutMasks.NONE) {
            return new BlockScope(outer, null);
        }
        NDManager block = outer.newSubManager();
        x.attach(block); // what the block computes from x lands here too (an op's result joins its first operand's manager)
        return new BlockScope(outer, block);
    }

    /** The block's output, moved out to live on after the block. */
    NDArray keep(NDArray output) {
        if (block != null) {
            output.attach(outer);
        }
        return output;
    }

    @Override
    public void close() {
        if (block != null) {
            block.close();
        }
    }
}
