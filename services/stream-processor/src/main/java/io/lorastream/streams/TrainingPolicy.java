package io.lorastream.streams;

import io.lorastream.events.TrainingRequested.Trigger;
import java.time.Duration;
import java.util.Optional;

/**
 * When a tenant's new training examples become a training request: at least {@code minExamples}
 * new examples, or {@code maxWait} since the oldest of them with at least {@code minExamplesAfterWait},
 * and never sooner than {@code minInterval} after the tenant's previous request.
 *
 * @param key where the values came from, named in validation errors (e.g. {@code lorastream.training-policy.defaults})
 */
public record TrainingPolicy(String key, int minExamples, Duration maxWait, int minExamplesAfterWait, Duration minInterval) {

    public TrainingPolicy {
        if (minExamples < 1) {
            throw new IllegalArgumentException(key + ".min-examples=" + minExamples + ": must be at least 1");
        }
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException(key + ".max-wait=" + maxWait + ": must be positive");
        }
        if (minExamplesAfterWait < 1 || minExamplesAfterWait > minExamples) {
            throw new IllegalArgumentException(key + ".min-examples-after-wait=" + minExamplesAfterWait
                    + ": must be between 1 and min-examples (" + minExamples + ")");
        }
        if (minInterval.isNegative()) {
            throw new IllegalArgumentException(key + ".min-interval=" + minInterval + ": must not be negative");
        }
    }

    /**
     * @param newExamples      training examples not yet named in a request
     * @param oldestWaitingMs  how long the oldest of them has waited (0 when there are none)
     * @param sinceLastRequestMs time since the tenant's previous request ({@link Long#MAX_VALUE} for none)
     */
    public Optional<Trigger> decide(int newExamples, long oldestWaitingMs, long sinceLastRequestMs) {
        if (newExamples == 0 || sinceLastRequestMs < minInterval.toMillis()) {
            return Optional.empty();
        }
        if (newExamples >= minExamples) {
            return Optional.of(Trigger.MIN_EXAMPLES);
        }
        if (newExamples >= minExamplesAfterWait && oldestWaitingMs >= maxWait.toMillis()) {
            return Optional.of(Trigger.MAX_WAIT);
        }
        return Optional.empty();
    }
}
