package io.lorastream.serving;

import io.lorastream.engine.Classifier;
import io.lorastream.events.ScoreCompleted;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * One scoring request, REST or Kafka alike: lease the tenant's served adapter, score in the shared
 * micro-batches, stamp every prediction with its id and the version that made it, return the lease.
 */
final class Scoring {
    private final ServedAdapters adapters;
    private final ScoringQueue queue;
    private final ServingMetrics metrics;
    private final Clock clock;

    Scoring(ServedAdapters adapters, ScoringQueue queue, ServingMetrics metrics, Clock clock) {
        this.adapters = adapters;
        this.queue = queue;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Prediction {@code i} gets the id {@code requestId:i}: unique, and the same again for a redelivered request. */
    ScoreCompleted score(String requestId, String tenant, List<String> texts, ScoreCompleted.Source source) throws InterruptedException {
        boolean canary = Routing.toCandidate(requestId, adapters.canaryShare(tenant));
        ResidentAdapter lease = canary ? adapters.leaseCandidate(tenant) : adapters.lease(tenant);
        ScoreCompleted.Route route = Slots.isCandidate(lease.slot()) ? ScoreCompleted.Route.CANARY : ScoreCompleted.Route.STABLE;
        List<Classifier.Prediction> predictions;
        try {
            predictions = queue.submit(lease.adapter(), texts).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } finally {
            lease.release();
        }
        List<ScoreCompleted.Prediction> stamped = new ArrayList<>(predictions.size());
        for (int i = 0; i < predictions.size(); i++) {
            Classifier.Prediction p = predictions.get(i);
            stamped.add(new ScoreCompleted.Prediction(requestId + ":" + i, p.label(), p.probabilities(), lease.version(), route));
        }
        metrics.scored(source.name().toLowerCase(java.util.Locale.ROOT), texts.size());
        return new ScoreCompleted(requestId, tenant, source, stamped, clock.instant());
    }
}
