package io.lorastream.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * Everything the trainer-service reads from configuration; checked at start by {@link JobSettings#from}.
 * Kafka settings are SmallRye's own (application.properties).
 */
@ConfigMapping(prefix = "lorastream")
public interface TrainerConfig {

    S3 s3();

    Trainer trainer();

    interface S3 {
        String endpoint();

        @WithDefault("us-east-1")
        String region();

        String accessKey();

        String secretKey();

        @WithDefault("lorastream")
        String bucket();
    }

    interface Trainer {
        /** auto (CUDA when present, else CPU), cpu or gpu. */
        @WithDefault("auto")
        String device();

        /** A Hugging Face model directory; absent: the embedded all-MiniLM-L6-v2. */
        Optional<String> baseDir();

        @WithDefault("3")
        int epochs();

        @WithDefault("16")
        int batchSize();

        /** Higher than the engine's 1e-3 default: continual jobs see a few hundred examples, so few steps. */
        @WithDefault("0.002")
        double learningRate();

        @WithDefault("8")
        int rank();

        @WithDefault("16")
        double alpha();

        /** Older training examples mixed in, as a share of the new ones (against forgetting). */
        @WithDefault("1.0")
        double replayRatio();

        /**
         * The offline gate: a candidate more than this much less accurate than stable on the holdout is rejected
         * when the holdout also shows it worse beyond chance ({@code gate-alpha}).
         */
        @WithDefault("0.02")
        double gateMargin();

        /** Level of the gate's one-sided exact McNemar test on the paired holdout predictions ({@link OfflineGate}). */
        @WithDefault("0.01")
        double gateAlpha();

        @WithDefault("42")
        long seed();
    }
}
