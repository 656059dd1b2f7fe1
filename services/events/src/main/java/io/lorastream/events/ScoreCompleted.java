package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Predictions for one scoring request, each stamped with the version that made it ({@code score-completed.v1.json}).
 * In shadow mode the candidate's predictions of the same texts ride along under the same prediction ids.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScoreCompleted(
        String requestId,
        String tenant,
        Source source,
        List<Prediction> predictions,
        List<Prediction> shadowPredictions,
        Instant completedAt) implements LoraEvent {

    public enum Source { REST, KAFKA }

    /** STABLE or CANARY answered; SHADOW: the candidate scored the same text beside stable, and its answer was not returned. */
    public enum Route { STABLE, CANARY, SHADOW }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Prediction(String predictionId, String label, Map<String, Double> probabilities, int version, Route route) {
        public Prediction {
            probabilities = Map.copyOf(probabilities);
        }
    }

    public ScoreCompleted {
        predictions = List.copyOf(predictions);
        shadowPredictions = shadowPredictions == null || shadowPredictions.isEmpty() ? null : List.copyOf(shadowPredictions);
    }

    /** The answer's predictions only (no shadow). */
    public ScoreCompleted(String requestId, String tenant, Source source, List<Prediction> predictions, Instant completedAt) {
        this(requestId, tenant, source, predictions, null, completedAt);
    }

    @Override public String cloudEventId() { return "score-completed:" + requestId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return completedAt; }
}
