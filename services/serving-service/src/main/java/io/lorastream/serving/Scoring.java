package io.lorastream.serving;

import io.lorastream.engine.Classifier;
import io.lorastream.events.ScoreCompleted;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * One scoring request, REST or Kafka alike: lease the tenant's served adapter, score in the shared
 * micro-batches, stamp every prediction with its id and the version that made it, return the lease.
 */
final class Scoring {
    private final ServedAdapters adapters;
    private final ScoringQueue queue;
    private final ServingMetrics metrics;
    private final Clock clock;
    /** How long a request waits for its predictions (lorastream.serving.request-timeout). */
    private final java.time.Duration timeout;

    Scoring(ServedAdapters adapters, ScoringQueue queue, ServingMetrics metrics, Clock clock, java.time.Duration timeout) {
        this.adapters = adapters;
        this.queue = queue;
        this.timeout = timeout;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * The texts of one request, REST or Kafka, within this replica's limits.
     *
     * @throws TenantAccess.InvalidRequestException naming {@code texts} or {@code texts[i]} and the limit
     */
    static void checkTexts(ServingConfig.Serving limits, List<String> texts) {
        if (texts == null || texts.isEmpty()) {
            throw new TenantAccess.InvalidRequestException("texts: a non-empty array of strings is required, e.g. {\"texts\": [\"great product\"]}");
        }
        if (texts.size() > limits.maxTextsPerRequest()) {
            throw new TenantAccess.InvalidRequestException("texts: " + texts.size() + " texts, at most "
                    + limits.maxTextsPerRequest() + " per request (lorastream.serving.max-texts-per-request)");
        }
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text == null || text.isBlank()) {
                throw new TenantAccess.InvalidRequestException("texts[" + i + "]: must be a non-blank string");
            }
            if (text.length() > limits.maxTextLength()) {
                throw new TenantAccess.InvalidRequestException("texts[" + i + "]: " + text.length() + " characters, at most "
                        + limits.maxTextLength() + " (lorastream.serving.max-text-length)");
            }
        }
    }

    /**
     * Prediction {@code i} gets the id {@code requestId:i}: unique, and the same again for a redelivered request.
     * A shadowing candidate scores the same texts in the same micro-batches; its predictions ride along
     * under the same ids and are never the answer.
     */
    ScoreCompleted score(String requestId, String tenant, List<String> texts, ScoreCompleted.Source source) throws InterruptedException {
        boolean canary = Routing.toCandidate(requestId, adapters.canaryShare(tenant));
        ResidentAdapter lease = canary ? adapters.leaseCandidate(tenant) : adapters.lease(tenant);
        ResidentAdapter shadow = adapters.leaseShadow(tenant).orElse(null);
        ScoreCompleted.Route route = Slots.isCandidate(lease.slot()) ? ScoreCompleted.Route.CANARY : ScoreCompleted.Route.STABLE;
        List<ScoreCompleted.Prediction> answered;
        List<ScoreCompleted.Prediction> shadowed = null;
        try {
            Future<List<Classifier.Prediction>> answer = queue.submit(lease.adapter(), texts);
            Future<List<Classifier.Prediction>> alongside = shadow == null ? null : queue.submit(shadow.adapter(), texts);
            long deadline = System.nanoTime() + timeout.toNanos();
            answered = stamp(requestId, await(answer, deadline), lease.version(), route);
            if (alongside != null) {
                shadowed = stamp(requestId, await(alongside, deadline), shadow.version(), ScoreCompleted.Route.SHADOW);
            }
        } finally {
            lease.release();
            if (shadow != null) {
                shadow.release();
            }
        }
        metrics.scored(source.name().toLowerCase(java.util.Locale.ROOT), texts.size());
        metrics.predictions(tenant, lease.version(), route, texts.size());
        if (shadowed != null) {
            metrics.predictions(tenant, shadow.version(), ScoreCompleted.Route.SHADOW, texts.size());
        }
        return new ScoreCompleted(requestId, tenant, source, answered, shadowed, clock.instant());
    }

    private List<Classifier.Prediction> await(Future<List<Classifier.Prediction>> predictions, long deadline) throws InterruptedException {
        try {
            return predictions.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            predictions.cancel(false); // not scored once its batch comes
            throw new TimedOutException(timeout);
        }
    }

    /** Retriable: the predictions did not come within lorastream.serving.request-timeout (the replica is saturated). */
    static final class TimedOutException extends RuntimeException {
        TimedOutException(java.time.Duration timeout) {
            super("no predictions within " + timeout.toMillis() + " ms (lorastream.serving.request-timeout): the replica is saturated; try again");
        }
    }

    private static List<ScoreCompleted.Prediction> stamp(String requestId, List<Classifier.Prediction> predictions, int version,
                                                         ScoreCompleted.Route route) {
        List<ScoreCompleted.Prediction> stamped = new ArrayList<>(predictions.size());
        for (int i = 0; i < predictions.size(); i++) {
            Classifier.Prediction p = predictions.get(i);
            stamped.add(new ScoreCompleted.Prediction(requestId + ":" + i, p.label(), p.probabilities(), version, route));
        }
        return stamped;
    }
}
