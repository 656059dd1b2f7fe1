package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/** What a tenant is served: the latest record per tenant on the compacted registry ({@code registry-entry.v1.json}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RegistryEntry(
        String tenant,
        long revision,
        VersionRef stable,
        Candidate candidate,
        Integer pinnedVersion,
        List<HistoryItem> history,
        Instant updatedAt) implements LoraEvent {

    /** A version and what proves its files: the manifest's sha256. */
    public record VersionRef(int version, String uri, String manifestSha256) {}

    public record Candidate(VersionRef ref, double trafficShare, boolean shadow) {}

    public record HistoryItem(int version, AdapterStatus status, Instant at) {}

    public RegistryEntry {
        history = List.copyOf(history);
    }

    @Override public String cloudEventId() { return "registry:" + tenant + ":" + revision; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return updatedAt; }
}
