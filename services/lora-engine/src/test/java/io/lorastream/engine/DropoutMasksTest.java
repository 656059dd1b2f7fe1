package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** Dropout with masks drawn in Java: rate, scaling, seeding, chunk independence, gradient. */
class DropoutMasksTest {
    private static final int N = 1_000_000;

    @Test
    void noneIsTheIdentity() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.randomNormal(new Shape(4, 5));
            assertThat(DropoutMasks.NONE.apply(x, 0.1)).isSameAs(x);
            assertThat(DropoutMasks.seeded(1).apply(x, 0)).isSameAs(x);
        }
    }

    @Test
    void dropsAtTheRateAndScalesWhatItKeeps() {
        for (double p : new double[] {0.1, 0.5}) {
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                float[] x = new float[N];
                for (int i = 0; i < N; i++) {
                    x[i] = 1f + i % 7; // never 0
                }
                float[] y = DropoutMasks.seeded(42).apply(m.create(x, new Shape(1000, 1000)), p).toFloatArray();
                float keep = (float) (1 / (1 - p));
                int dropped = 0;
                for (int i = 0; i < N; i++) {
                    if (y[i] == 0f) {
                        dropped++;
                    } else {
                        assertThat(y[i]).as("element %d", i).isEqualTo(x[i] * keep);
                    }
                }
                double sigma = Math.sqrt(p * (1 - p) / N);
                assertThat(Math.abs((double) dropped / N - p)).as("share dropped at p=%s", p).isLessThan(5 * sigma);
            }
        }
    }

    @Test
    void theSeedDecidesAndEveryCallAndChunkDiffers() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray ones = m.ones(new Shape(3, 50_000));
            DropoutMasks first = DropoutMasks.seeded(7);
            DropoutMasks second = DropoutMasks.seeded(7);
            float[] a1 = first.apply(ones, 0.5).toFloatArray();
            float[] a2 = first.apply(ones, 0.5).toFloatArray();
            assertThat(second.apply(ones, 0.5).toFloatArray()).isEqualTo(a1);
            assertThat(second.apply(ones, 0.5).toFloatArray()).isEqualTo(a2);
            assertThat(a2).isNotEqualTo(a1);
            assertThat(DropoutMasks.seeded(8).apply(ones, 0.5).toFloatArray()).isNotEqualTo(a1);
            // consecutive chunks (32,768 elements each) draw from different streams
            int chunk = 1 << 15;
            int same = 0;
            for (int i = 0; i < chunk; i++) {
                if (a1[i] == a1[chunk + i]) {
                    same++;
                }
            }
            assertThat((double) same / chunk).isBetween(0.45, 0.55);
        }
    }

    @Test
    void theGradientIsTheMask() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.randomNormal(new Shape(64, 100));
            x.setRequiresGradient(true);
            float[] y;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = DropoutMasks.seeded(3).apply(x, 0.2);
                y = out.toFloatArray();
                collector.backward(out.sum());
            }
            float[] gradient = x.getGradient().toFloatArray();
            float[] input = x.toFloatArray();
            float keep = (float) (1 / (1 - 0.2));
            for (int i = 0; i < y.length; i++) {
                assertThat(gradient[i]).isEqualTo(y[i] == 0f ? 0f : keep);
                assertThat(y[i]).isEqualTo(input[i] * gradient[i]);
            }
        }
    }
}
