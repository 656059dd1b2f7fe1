package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import org.junit.jupiter.api.Test;

/** DJL's AdamW, as the trainer configures it, against PyTorch's AdamW written out in plain Java. */
class AdamWTest {
    @Test
    void djlAdamWMatchesTheDecoupledWeightDecayFormula() {
        float[] w = {0.5f, -1.0f, 2.0f, 0.0f};
        float[][] grads = {{0.1f, -0.2f, 0.3f, 0.0f}, {0.05f, 0.1f, -0.3f, 1.0f}, {-0.2f, 0.0f, 0.1f, 0.5f}};
        double lr = 1e-2;
        double wd = 0.1;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;

        double[] expected = new double[w.length];
        double[] m = new double[w.length];
        double[] v = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            expected[i] = w[i];
        }
        for (int t = 1; t <= grads.length; t++) {
            for (int i = 0; i < w.length; i++) {
                expected[i] -= lr * wd * expected[i]; // decoupled weight decay
                m[i] = b1 * m[i] + (1 - b1) * grads[t - 1][i];
                v[i] = b2 * v[i] + (1 - b2) * grads[t - 1][i] * grads[t - 1][i];
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                expected[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }

        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray weight = manager.create(w.clone());
            Optimizer adamW = Optimizer.adamW()
                    .optLearningRateTracker(Trainer.schedule(lr, 0, 1_000_000))
                    .optWeightDecays((float) wd).optBeta1((float) b1).optBeta2((float) b2).optEpsilon((float) eps)
                    .build();
            for (float[] g : grads) {
                adamW.update("w", weight, manager.create(g));
            }
            float[] actual = weight.toFloatArray();
            for (int i = 0; i < w.length; i++) {
                System.out.printf("w[%d] expected %.7f actual %.7f%n", i, expected[i], actual[i]);
            }
            for (int i = 0; i < w.length; i++) {
                assertThat((double) actual[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }
}
