package io.lorastream.events;

import java.time.Instant;
import java.util.List;

/** Texts to classify with a tenant's adapter ({@code score-requested.v1.json}). */
public record ScoreRequested(String requestId, String tenant, List<String> texts, Instant requestedAt) implements LoraEvent {

    public ScoreRequested {
        texts = List.copyOf(texts);
    }

    @Override public String cloudEventId() { return requestId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return requestedAt; }
}
