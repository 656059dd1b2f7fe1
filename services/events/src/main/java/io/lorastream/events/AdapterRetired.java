package io.lorastream.events;

import java.time.Instant;
import java.util.List;

/**
 * Versions of a tenant whose objects were deleted from S3 by retention ({@code adapter-retired.v1.json}): never the
 * stable, the candidate, a pinned version, a version the registry's history shows promoted, one of the newest
 * versions kept, or one younger than the grace period. The rollout marks them RETIRED; serving drops their metrics.
 */
public record AdapterRetired(String tenant, List<Integer> versions, String reason, Instant retiredAt) implements AdapterEvent {

    public AdapterRetired {
        versions = List.copyOf(versions);
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("an adapter-retired event names at least one version");
        }
    }

    @Override public String cloudEventId() { return "adapter-retired:" + tenant + ":" + versions; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return retiredAt; }
}
