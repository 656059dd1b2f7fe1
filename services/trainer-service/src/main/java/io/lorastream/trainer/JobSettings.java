package io.lorastream.trainer;

import io.lorastream.engine.LoraConfig;
import io.lorastream.engine.TrainingConfig;

/** The training-job settings, validated: every error names the configuration key and the value. */
public record JobSettings(TrainingConfig training, LoraConfig lora, double replayRatio, double gateMargin, double gateAlpha) {

    public JobSettings {
        if (!(replayRatio >= 0 && replayRatio <= 10)) {
            throw new IllegalArgumentException("lorastream.trainer.replay-ratio=" + replayRatio + ": must be between 0 and 10");
        }
        if (!(gateMargin >= 0 && gateMargin <= 1)) {
            throw new IllegalArgumentException("lorastream.trainer.gate-margin=" + gateMargin + ": must be between 0 and 1");
        }
        if (!(gateAlpha > 0 && gateAlpha < 0.5)) {
            throw new IllegalArgumentException("lorastream.trainer.gate-alpha=" + gateAlpha + ": must be in (0, 0.5)");
        }
    }

    public static JobSettings from(TrainerConfig.Trainer c) {
        TrainingConfig training;
        LoraConfig lora;
        try {
            training = new TrainingConfig(c.epochs(), c.batchSize(), c.learningRate(), 0.01, 0.06, 1.0, c.seed(), 0, false);
            LoraConfig defaults = LoraConfig.defaults();
            lora = new LoraConfig(c.rank(), c.alpha(), defaults.loraDropout(), defaults.targetModules(),
                    defaults.useRslora(), defaults.modulesToSave());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("lorastream.trainer.*: " + e.getMessage(), e);
        }
        return new JobSettings(training, lora, c.replayRatio(), c.gateMargin(), c.gateAlpha());
    }
}
