package io.lorastream.trainer;

import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Family;
import io.lorastream.engine.LoraConfig;
import io.lorastream.engine.TrainingConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import java.util.Optional;
import org.hibernate.validator.constraints.time.DurationMin;

/**
 * Everything the trainer-service reads from configuration, each setting declared once with its rule: the
 * start fails on a value that breaks one, naming the key and the value. Kafka settings are SmallRye's own
 * (application.properties).
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
        @Pattern(regexp = "auto|cpu|gpu")
        String device();

        @WithDefault("3")
        @Min(1)
        @Max(1000)
        int epochs();

        @WithDefault("16")
        @Min(1)
        @Max(4096)
        int batchSize();

        /** Higher than the engine's 1e-3 default: continual jobs see a few hundred examples, so few steps. */
        @WithDefault("0.002")
        @DecimalMin(value = "0", inclusive = false)
        @DecimalMax(value = "1", inclusive = false)
        double learningRate();

        @WithDefault("8")
        @Min(1)
        @Max(1024)
        int rank();

        @WithDefault("16")
        @DecimalMin(value = "0", inclusive = false)
        @DecimalMax("1e6")
        double alpha();

        /** Older training examples mixed in, as a share of the new ones (against forgetting). */
        @WithDefault("1.0")
        @DecimalMin("0")
        @DecimalMax("10")
        double replayRatio();

        /** Retention: the newest versions of a tenant that are never deleted ... */
        @WithDefault("10")
        @Min(1)
        @Max(10000)
        int keepVersions();

        /** ... and how old any other version must be before it is (stable, candidate, pinned and promoted versions stay). */
        @WithDefault("P1D")
        @DurationMin(nanos = 0, message = "{lorastream.duration.not-negative}")
        Duration retentionGrace();

        /**
         * Examples a version's replay sample keeps: a uniform sample of its line's data, which the versions built on it replay
         * from ({@code replay-ratio} × the new examples of a job, at most this many).
         */
        @WithDefault("2000")
        @Min(1)
        @Max(1000000)
        int replaySampleExamples();

        /**
         * The offline gate: a candidate more than this much less accurate than stable on the holdout is rejected
         * when the holdout also shows it worse beyond chance ({@code gate-alpha}).
         */
        @WithDefault("0.02")
        @DecimalMin("0")
        @DecimalMax("1")
        double gateMargin();

        /** Level of the gate's one-sided exact McNemar test on the paired holdout predictions ({@link OfflineGate}). */
        @WithDefault("0.01")
        @DecimalMin(value = "0", inclusive = false)
        @DecimalMax(value = "0.5", inclusive = false)
        double gateAlpha();

        @WithDefault("42")
        long seed();

        /**
         * How many tenants' waiting requests one job may train together ({@link io.lorastream.engine.FusedTrainer}: one
         * forward and one backward per step over all their batches); each is still graded, gated, published and answered on
         * its own. Unset: 1 on a CPU, where training together measured no faster on 2 cores and would hold each tenant's
         * version back until the others' are trained too; 8 on a GPU, where a larger batch costs little more.
         */
        Optional<@Min(1) @Max(64) Integer> fuseTenants();

        /** {@link #fuseTenants()}, or its default for the base's device. */
        default int fuseTenants(BaseModel base) {
            return fuseTenants().orElse(base.device().isGpu() ? 8 : 1);
        }

        /**
         * When tenants train together, their batches of a step share one forward only while the longest is at most this
         * factor longer than the shortest (padding costs; {@link io.lorastream.engine.FusedTrainer#DEFAULT_MAX_PADDING}).
         * Unset: 1.1 on a CPU, as measured on 2 cores; 2 on a GPU (not measured here).
         */
        Optional<@DecimalMin("1") @DecimalMax("100") Double> fuseMaxPadding();

        /** {@link #fuseMaxPadding()}, or its default for the base's device. */
        default double fuseMaxPadding(BaseModel base) {
            return fuseMaxPadding().orElse(base.device().isGpu() ? 2.0 : io.lorastream.engine.FusedTrainer.DEFAULT_MAX_PADDING);
        }

        /** The engine's training settings: these, with its defaults for the rest (weight decay 0.01, 6 % warm-up, clip 1.0). */
        default TrainingConfig training() {
            TrainingConfig defaults = TrainingConfig.defaults();
            return new TrainingConfig(epochs(), batchSize(), learningRate(), defaults.weightDecay(), defaults.warmupRatio(),
                    defaults.maxGradNorm(), seed(), 0, false);
        }

        /**
         * The head of every new adapter (a tenant's first, or a fresh one when its labels grow): one of the base's heads,
         * docs/engine.md. Unset: the base's own (its Hugging Face head; the mean for a sentence-transformers base, such as
         * the embedded MiniLM). Versions trained from a parent keep the parent's head.
         */
        Optional<String> head();

        /** {@link #head()} on {@code base}, refused at start with the key and the value when the base has no such head. */
        default Family.Head head(BaseModel base) {
            return head().map(name -> {
                try {
                    return base.config().family().head(name);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("lorastream.trainer.head=" + name + ": " + e.getMessage(), e);
                }
            }).orElse(base.defaultHead());
        }

        /** The engine's LoRA settings: rank and alpha from here, the rest the engine's defaults (query and value, dropout 0.1). */
        default LoraConfig lora() {
            LoraConfig defaults = LoraConfig.defaults();
            return new LoraConfig(rank(), alpha(), defaults.loraDropout(), defaults.targetModules(), defaults.useRslora(), defaults.modulesToSave());
        }
    }
}
