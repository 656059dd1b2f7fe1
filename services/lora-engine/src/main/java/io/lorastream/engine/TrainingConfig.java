package io.lorastream.engine;

/**
 * Hyper-parameters of one training run, validated on creation.
 *
 * @param warmupRatio   share of steps with a linear learning-rate warm-up; then linear decay to 0
 * @param maxGradNorm   global gradient-norm clip (0 = none)
 * @param maxExamples   use at most this many training examples (0 = all), drawn with the seed
 * @param fullFinetune  train every base weight too (a copy of the base): for benchmarks only
 */
public record TrainingConfig(int epochs, int batchSize, double learningRate, double weightDecay,
                             double warmupRatio, double maxGradNorm, long seed, int maxExamples, boolean fullFinetune) {

    public TrainingConfig {
        require(epochs >= 1 && epochs <= 1000, "epochs", epochs);
        require(batchSize >= 1 && batchSize <= 4096, "batch-size", batchSize);
        require(learningRate > 0 && learningRate < 1, "lr", learningRate);
        require(weightDecay >= 0 && weightDecay < 1, "weight-decay", weightDecay);
        require(warmupRatio >= 0 && warmupRatio < 1, "warmup-ratio", warmupRatio);
        require(maxGradNorm >= 0, "max-grad-norm", maxGradNorm);
        require(maxExamples >= 0, "max-examples", maxExamples);
    }

    /** The reference settings: 1 epoch, batch 32, lr 1e-3, weight decay 0.01, 6% warm-up, clip 1.0. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(1, 32, 1e-3, 0.01, 0.06, 1.0, 42, 0, false);
    }

    private static void require(boolean ok, String key, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid training config: " + key + "=" + value);
        }
    }
}
