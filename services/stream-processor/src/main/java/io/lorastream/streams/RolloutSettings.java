package io.lorastream.streams;

import io.lorastream.events.RolloutRule;
import java.time.Duration;

/**
 * The rollout's settings, validated at start (errors name the key and the value).
 *
 * @param canaryShare share of a tenant's traffic a candidate gets; 0 promotes a gate-passed version at once
 * @param shadow      the candidate also scores the stable's requests, answering with stable
 * @param labelWindow how long a prediction waits for its label
 */
public record RolloutSettings(double canaryShare, boolean shadow, RolloutRule rule, Duration labelWindow) {
    public RolloutSettings {
        if (!(canaryShare >= 0 && canaryShare < 1)) {
            throw new IllegalArgumentException("lorastream.rollout.canary-share=" + canaryShare + ": must be in [0, 1)");
        }
        if (labelWindow.isNegative() || labelWindow.isZero()) {
            throw new IllegalArgumentException("lorastream.rollout.label-window=" + labelWindow + ": must be positive");
        }
    }

    public static RolloutSettings from(StreamProcessorConfig.Rollout c) {
        return new RolloutSettings(c.canaryShare(), c.shadow(),
                new RolloutRule(c.minSamples(), c.minRollbackSamples(), c.maxSamples(), c.alpha(), c.margin(), c.effectScale()), c.labelWindow());
    }
}
