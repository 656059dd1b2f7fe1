package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;

/** One labelled example from a tenant ({@code feedback-received.v1.json}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeedbackReceived(
        String id,
        String tenant,
        String text,
        String label,
        String predictionId,
        Map<String, String> metadata,
        Instant timestamp) implements LoraEvent {

    public FeedbackReceived {
        metadata = metadata == null ? null : Map.copyOf(metadata);
    }

    @Override public String cloudEventId() { return id; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return timestamp; }
}
