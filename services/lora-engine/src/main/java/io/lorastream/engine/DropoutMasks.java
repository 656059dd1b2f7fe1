package io.lorastream.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.norm.Dropout;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Dropout while training: x · mask, each element kept with probability 1 − p and scaled by 1/(1 − p),
 * as torch's dropout does. {@link #NONE} is inference: the identity.
 *
 * <p>On the CPU the masks are drawn here, not by libtorch: its CPU dropout draws every element from one
 * serial Mersenne twister, about 9 ns an element on these cores — a third of a LoRA training step of
 * MiniLM. Here each chunk of 32K elements gets its own {@link SplittableRandom}, seeded from this
 * object's seeded stream and the chunk's index, and the chunks are filled in parallel straight into the
 * mask tensor's memory ({@link ParallelChunks}); the result depends on the seed only, not on the number
 * of threads. Each element compares 32 random bits with p·2³², so the rate is p to within 2⁻³². On a
 * GPU, torch's dropout.
 */
public class DropoutMasks {
    /** No dropout (inference). */
    public static final DropoutMasks NONE = new DropoutMasks(null);

    private static final int CHUNK = 1 << 15;
    /** Odd, unrelated to SplittableRandom's own gamma: chunk streams do not overlap. */
    private static final long CHUNK_SEED_STEP = 0x632BE59BD9B4E019L;

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[CHUNK]);

    private final SplittableRandom random;

    private DropoutMasks(SplittableRandom random) {
        this.random = random;
    }

    /** For a subclass that draws its masks from other masks ({@link SegmentedDropout}). */
    DropoutMasks() {
        this(null);
    }

    /** Dropout on, its masks following {@code seed}. */
    public static DropoutMasks seeded(long seed) {
        return new DropoutMasks(new SplittableRandom(seed));
    }

    /** x with dropout at rate {@code p}; x itself when inactive or p is 0. */
    NDArray apply(NDArray x, double p) {
        if (random == null || p <= 0) {
            return x;
        }
        if (!onCpu(x)) {
            return Dropout.dropout(x, (float) p, true).singletonOrThrow();
        }
        return x.mul(mask(x.getManager(), x.getShape(), p));
    }

    /** Whether the masks are drawn here: float32 on the CPU (elsewhere torch's dropout). */
    static boolean onCpu(NDArray x) {
        return x.getDevice().equals(Device.cpu()) && x.getDataType() == DataType.FLOAT32;
    }

    /** The next mask of this shape, from this object's stream: each element 0 or 1/(1 − p). */
    NDArray mask(NDManager manager, Shape shape, double p) {
        if (random == null) {
            throw new IllegalStateException("inference draws no dropout masks");
        }
        NDArray mask = manager.create(shape, DataType.FLOAT32); // uninitialised, filled below
        fill(mask, p, random.nextLong());
        return mask;
    }

    private static void fill(NDArray mask, double p, long seed) {
        int n = Math.toIntExact(mask.size());
        long threshold = (long) Math.ceil(p * 0x1p32); // dropped when 32 random bits < threshold
        float keep = (float) (1.0 / (1.0 - p));
        FloatBuffer target = TensorMemory.floats(mask);
        ParallelChunks.forEach((n + CHUNK - 1) / CHUNK, c -> {
            int from = c * CHUNK;
            int length = Math.min(n, from + CHUNK) - from;
            float[] values = SCRATCH.get();
            SplittableRandom chunkRandom = new SplittableRandom(seed + c * CHUNK_SEED_STEP);
            for (int i = 0; i < length; i += 2) {
                long bits = chunkRandom.nextLong();
                values[i] = (bits & 0xFFFFFFFFL) < threshold ? 0f : keep;
                if (i + 1 < length) {
                    values[i + 1] = (bits >>> 32) < threshold ? 0f : keep;
                }
            }
            target.put(from, values, 0, length);
        });
    }
}
