package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The trainer's AdamW — fused on the CPU, and in tensor ops as on a GPU — against PyTorch's AdamW with global
 * gradient-norm clipping written out in plain Java (double precision).
 */
class AdamWTest {
    private static final double WEIGHT_DECAY = 0.1;
    private static final IntToDoubleFunction LEARNING_RATE = t -> 1e-2 / t; // changes every step
    /** Sizes: a parameter over several chunks, one that ends mid-chunk, a tiny one. */
    private static final int[] SIZES = {150_000, 70_001, 3};

    @Test
    void fusedAdamWMatchesTheFormula() {
        check(true);
    }

    @Test
    void tensorOpsAdamWMatchesTheFormula() {
        check(false);
    }

    /** Four steps; the gradients of steps 1 and 3 are large enough to be clipped, 2 and 4 are not. */
    private static void check(boolean fused) {
        Random random = new Random(5);
        int steps = 4;
        double maxNorm = 1.0;
        float[][] initial = new float[SIZES.length][];
        float[][][] gradients = new float[steps][SIZES.length][];
        for (int p = 0; p < SIZES.length; p++) {
            initial[p] = gaussian(random, SIZES[p], 1.0);
            for (int t = 0; t < steps; t++) {
                double scale = t % 2 == 0 ? 0.05 : 1e-4; // global norm ≈ 24 and ≈ 0.05
                gradients[t][p] = gaussian(random, SIZES[p], scale);
            }
        }
        double[][] expected = reference(initial, gradients, maxNorm);

        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> parameters = new LinkedHashMap<>();
            for (int p = 0; p < SIZES.length; p++) {
                NDArray parameter = manager.create(initial[p]);
                parameter.setRequiresGradient(true);
                parameters.put("p" + p, parameter);
            }
            try (AdamW adamW = new AdamW(parameters, LEARNING_RATE, WEIGHT_DECAY, maxNorm, fused)) {
                for (int t = 0; t < steps; t++) {
                    try (NDManager scope = manager.newSubManager()) {
                        // loss = Σ p·G, so each parameter's gradient is exactly G
                        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                            NDArray loss = null;
                            int p = 0;
                            for (NDArray parameter : parameters.values()) {
                                NDArray term = parameter.mul(scope.create(gradients[t][p++])).sum();
                                loss = loss == null ? term : loss.add(term);
                            }
                            collector.backward(loss);
                        }
                        double norm = adamW.step(scope);
                        assertThat(norm).isCloseTo(globalNorm(gradients[t]), within(1e-4 * globalNorm(gradients[t])));
                    }
                    for (NDArray parameter : parameters.values()) {
                        float[] gradient = parameter.getGradient().toFloatArray();
                        assertThat(maxAbs(gradient)).as("gradient zeroed after the step").isZero();
                    }
                }
            }
            int p = 0;
            for (NDArray parameter : parameters.values()) {
                float[] actual = parameter.toFloatArray();
                double worst = 0;
                for (int i = 0; i < actual.length; i++) {
                    worst = Math.max(worst, Math.abs(actual[i] - expected[p][i]));
                }
                assertThat(worst).as("parameter %d (%d values), max abs difference", p, actual.length).isLessThan(5e-6);
                p++;
            }
        }
    }

    /** PyTorch: clip_grad_norm_(max_norm) then AdamW(lr_t, betas (0.9, 0.999), eps 1e-8, weight_decay). */
    private static double[][] reference(float[][] initial, float[][][] gradients, double maxNorm) {
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double[][] w = new double[initial.length][];
        double[][] m = new double[initial.length][];
        double[][] v = new double[initial.length][];
        for (int p = 0; p < initial.length; p++) {
            w[p] = new double[initial[p].length];
            for (int i = 0; i < w[p].length; i++) {
                w[p][i] = initial[p][i];
            }
            m[p] = new double[w[p].length];
            v[p] = new double[w[p].length];
        }
        for (int t = 1; t <= gradients.length; t++) {
            double norm = globalNorm(gradients[t - 1]);
            double clip = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
            double lr = LEARNING_RATE.applyAsDouble(t);
            for (int p = 0; p < w.length; p++) {
                for (int i = 0; i < w[p].length; i++) {
                    double g = gradients[t - 1][p][i] * clip;
                    w[p][i] *= 1 - lr * WEIGHT_DECAY; // decoupled weight decay
                    m[p][i] = b1 * m[p][i] + (1 - b1) * g;
                    v[p][i] = b2 * v[p][i] + (1 - b2) * g * g;
                    double mHat = m[p][i] / (1 - Math.pow(b1, t));
                    double vHat = v[p][i] / (1 - Math.pow(b2, t));
                    w[p][i] -= lr * mHat / (Math.sqrt(vHat) + eps);
                }
            }
        }
        return w;
    }

    private static double globalNorm(float[][] gradients) {
        double squares = 0;
        for (float[] g : gradients) {
            for (float x : g) {
                squares += (double) x * x;
            }
        }
        return Math.sqrt(squares);
    }

    private static float[] gaussian(Random random, int n, double scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float x : values) {
            max = Math.max(max, Math.abs(x));
        }
        return max;
    }
}
