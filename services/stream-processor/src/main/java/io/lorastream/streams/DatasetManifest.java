package io.lorastream.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.lorastream.events.EventJson;
import java.time.Instant;
import java.util.List;

/**
 * {@code datasets/{tenant}/manifest.json}: what the tenant's dataset holds now. Its segments (training shards compacted into
 * one object each, oldest first, as dataset retention keeps them), and the shards the shard store holds: those not yet
 * compacted, those compacted within the grace period (with the segment that holds them too), and the holdout shards the
 * holdout selects. Both lists are bounded (see docs/bounds.md), so the manifest is. Rewritten at the first check after a
 * change. Readers go by it (or by a training request's snapshot): an object under {@code shards/} or {@code holdout/} that
 * it does not list is what a crashed, uncommitted attempt left, or one whose grace period is running out.
 */
public record DatasetManifest(String tenant, Instant updatedAt, int trainExamples, int holdoutExamples,
                              List<Compaction.Segment> segments, List<TenantDatasets.Shard> shards) {

    public static String key(String tenant) {
        return "datasets/" + tenant + "/manifest.json";
    }

    /** @param trainExamples counts each training example once: in its segment, or in its shard until compacted */
    static byte[] of(String tenant, List<Compaction.Segment> segments, List<TenantDatasets.Shard> shards, long nowMs) {
        int train = segments.stream().mapToInt(Compaction.Segment::examples).sum()
                + shards.stream().filter(s -> s.kind() == DatasetKind.TRAIN && s.segment() == null).mapToInt(TenantDatasets.Shard::examples).sum();
        int holdout = shards.stream().filter(s -> s.kind() == DatasetKind.HOLDOUT).mapToInt(TenantDatasets.Shard::examples).sum();
        try {
            return EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                    new DatasetManifest(tenant, Instant.ofEpochMilli(nowMs), train, holdout, segments, shards));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest of " + tenant + " is not writable as JSON", e);
        }
    }
}
