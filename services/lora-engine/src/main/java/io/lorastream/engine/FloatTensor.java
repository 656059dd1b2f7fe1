package io.lorastream.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** A float32 tensor in Java memory, row-major: an adapter's tensors, and the embedded MiniLM's weights on their way in. */
record FloatTensor(long[] shape, float[] data) implements WeightSource {

    FloatTensor {
        long size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        if (size != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size + " values, data has " + data.length);
        }
    }

    @Override
    public void stream(ByteBuffer scratch, int maxValues, ChunkSink sink) throws java.io.IOException {
        for (int done = 0; done < data.length; ) {
            int n = Math.min(data.length - done, maxValues);
            scratch.clear();
            scratch.asFloatBuffer().put(data, done, n);
            scratch.limit(n * 4);
            sink.accept(scratch, done, n);
            done += n;
        }
    }

    /** The transpose of a matrix: ONNX MatMul weights are [in, out], PyTorch Linear weights [out, in]. */
    FloatTensor transposed() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("transpose of a " + shape.length + "-d tensor");
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] out = new float[data.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = data[r * cols + c];
            }
        }
        return new FloatTensor(new long[] {cols, rows}, out);
    }
}
