package io.lorastream.engine;

import java.util.Arrays;

/** A float32 tensor in Java memory, row-major: the neutral form weights pass through while loading. */
record FloatTensor(long[] shape, float[] data) {

    FloatTensor {
        long size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        if (size != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size + " values, data has " + data.length);
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
