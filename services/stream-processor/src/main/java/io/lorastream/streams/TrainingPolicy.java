package io.lorastream.streams;

import io.lorastream.events.TrainingRequested.Trigger;
import java.time.Duration;
import java.util.Optional;

/**
 * When a tenant's new training examples become a training request: at least {@code minExamples}
 * new examples, or {@code maxWait} since the oldest of them with at least {@code minExamplesAfterWait};
 * never sooner than {@code minInterval} after the tenant's previous request; and not while that request's
 * job has not answered ({@code adapter-published} or {@code training-failed}), unless {@code answerTimeout}
 * has passed since it was made ({@link Duration#ZERO}: the answer is not waited for).
 * <p>
 * Waiting for the answer is what makes the trigger event-driven: what arrives while a job trains goes
 * into the request made as soon as it is done, not into one a fixed interval later, and a tenant never
 * has more than one job queued (or a stale one, after the timeout) however slow the trainer is.
 * The values are checked where they are declared ({@link StreamProcessorConfig.Policy}).
 */
public record TrainingPolicy(int minExamples, Duration maxWait, int minExamplesAfterWait, Duration minInterval, Duration answerTimeout) {

    /**
     * @param newExamples        training examples not yet named in a request
     * @param oldestWaitingMs    how long the oldest of them has waited (0 when there are none)
     * @param sinceLastRequestMs time since the tenant's previous request ({@link Long#MAX_VALUE} for none)
     * @param awaitingAnswer     the previous request's job has not answered yet
     */
    public Optional<Trigger> decide(int newExamples, long oldestWaitingMs, long sinceLastRequestMs, boolean awaitingAnswer) {
        if (newExamples == 0 || sinceLastRequestMs < minInterval.toMillis()
                || awaitingAnswer && sinceLastRequestMs < answerTimeout.toMillis()) {
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
