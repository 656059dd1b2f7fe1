package io.lorastream.engine;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Runs independent chunks of CPU work — filling dropout masks, the optimizer's passes — on every core,
 * in a pool of the engine's own: the common pool's threads drop their thread-locals after each task,
 * and the chunk buffers are thread-local (re-allocating them was most of the training's garbage).
 */
final class ParallelChunks {
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors());

    private ParallelChunks() {}

    /** {@code work} for chunks 0 … count − 1, in any order, all done on return; the first failure is thrown. */
    static void forEach(int count, IntConsumer work) {
        if (count == 1) {
            work.accept(0);
        } else if (count > 1) {
            POOL.submit(() -> IntStream.range(0, count).parallel().forEach(work)).join();
        }
    }
}
