package io.lorastream.events;

import java.time.Instant;
import java.util.List;

/** A tenant's training policy was met; names the exact shards to train on ({@code training-requested.v1.json}). */
public record TrainingRequested(
        String requestId,
        String tenant,
        List<String> shards,
        List<String> holdoutShards,
        int newExamples,
        Trigger trigger,
        Instant requestedAt) implements LoraEvent {

    public enum Trigger { MIN_EXAMPLES, MAX_WAIT, MANUAL }

    public TrainingRequested {
        shards = List.copyOf(shards);
        holdoutShards = List.copyOf(holdoutShards);
        // The schema cannot say it: a request may only name its own tenant's data.
        String prefix = "datasets/" + tenant + "/";
        for (String key : shards) {
            if (!key.startsWith(prefix)) {
                throw new IllegalArgumentException("shards: " + key + " is not under " + prefix);
            }
        }
        for (String key : holdoutShards) {
            if (!key.startsWith(prefix)) {
                throw new IllegalArgumentException("holdoutShards: " + key + " is not under " + prefix);
            }
        }
    }

    @Override public String cloudEventId() { return requestId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return requestedAt; }
}
