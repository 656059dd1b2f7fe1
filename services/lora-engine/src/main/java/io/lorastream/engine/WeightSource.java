package io.lorastream.engine;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A base weight on its way into native memory: its shape, and its f32 values in row-major chunks. */
interface WeightSource {

    long[] shape();

    /**
     * Hands the values to {@code sink} in order, at most {@code maxValues} at a time, each chunk in {@code scratch}
     * (a direct, little-endian buffer of at least {@code maxValues} floats, reused from chunk to chunk).
     */
    void stream(ByteBuffer scratch, int maxValues, ChunkSink sink) throws IOException;

    @FunctionalInterface
    interface ChunkSink {
        /**
         * @param chunk {@code count} f32 values in the scratch buffer, overwritten after this call
         * @param first the index of the chunk's first value in the tensor
         */
        void accept(ByteBuffer chunk, long first, int count) throws IOException;
    }
}
