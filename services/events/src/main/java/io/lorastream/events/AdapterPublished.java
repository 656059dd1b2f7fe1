package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** A complete new adapter version in object storage ({@code adapter-published.v1.json}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterPublished(
        String tenant,
        int version,
        Integer parentVersion,
        String uri,
        BaseModel baseModel,
        Map<String, String> files,
        String trainingRequestId,
        Metrics metrics,
        Gate gate,
        Instant publishedAt) implements AdapterEvent {

    public record BaseModel(String id, String sha256) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Metrics(Evaluation candidate, Evaluation stable) {}

    public record Gate(boolean passed, double margin) {}

    public AdapterPublished {
        files = java.util.Collections.unmodifiableMap(new TreeMap<>(files));
    }

    @Override public String cloudEventId() { return "adapter-published:" + tenant + ":v" + version; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return publishedAt; }
}
