package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/** Direct access to a CPU tensor's own memory, for Java loops that read and write it in place. */
final class TensorMemory {
    private TensorMemory() {}

    /** The float32 values of a contiguous CPU tensor; writes go into the tensor. */
    static FloatBuffer floats(NDArray array) {
        ByteBuffer buffer = array.toByteBuffer(true); // DJL: a view of the tensor's memory where it can
        if (!buffer.isDirect()) {
            throw new IllegalStateException("no direct access to the memory of " + array.getShape() + " " + array.getDataType());
        }
        return buffer.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
