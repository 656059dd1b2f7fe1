package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Predictions for one scoring request, each stamped with the version that made it ({@code score-completed.v1.json}). */
public record ScoreCompleted(
        String requestId,
        String tenant,
        Source source,
        List<Prediction> predictions,
        Instant completedAt) implements LoraEvent {

    public enum Source { REST, KAFKA }

    public enum Route { STABLE, CANARY }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Prediction(String predictionId, String label, Map<String, Double> probabilities, int version, Route route) {
        public Prediction {
            probabilities = Map.copyOf(probabilities);
        }
    }

    public ScoreCompleted {
        predictions = List.copyOf(predictions);
    }

    @Override public String cloudEventId() { return "score-completed:" + requestId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return completedAt; }
}
