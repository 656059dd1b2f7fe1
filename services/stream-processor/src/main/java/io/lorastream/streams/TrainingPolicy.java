package io.lorastream.streams;

import io.lorastream.events.TrainingRequested.Trigger;
import java.time.Duration;
import java.util.Optional;

/**
 * When a tenant's new training examples become a training request: at least {@code minExamples}
 * new examples, or {@code maxWait} since the oldest of them with at least {@code minExamplesAfterWait},
 * and never sooner than {@code minInterval} after the tenant's previous request.
 * The values are checked where they are declared ({@link StreamProcessorConfig.Policy}).
 */
public record TrainingPolicy(int minExamples, Duration maxWait, int minExamplesAfterWait, Duration minInterval) {


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
