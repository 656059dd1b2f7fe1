package io.lorastream.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.lorastream.events.EventJson;
import java.time.Instant;
import java.util.List;

/**
 * {@code datasets/{tenant}/manifest.json}: every sealed shard of the tenant with its example count
 * and sha256. Rewritten at the first check after a seal. Readers go by it (or by a training request): an object under
 * {@code shards/} or {@code holdout/} that it does not list is what a crashed, uncommitted attempt
 * left, and the next seal of that number overwrites it.
 */
public record DatasetManifest(String tenant, Instant updatedAt, int trainExamples, int holdoutExamples,
                              List<TenantDatasets.Shard> shards) {

    public static String key(String tenant) {
        return "datasets/" + tenant + "/manifest.json";
    }

    static byte[] of(String tenant, List<TenantDatasets.Shard> shards, long nowMs) {
        int train = shards.stream().filter(s -> s.kind() == DatasetKind.TRAIN).mapToInt(TenantDatasets.Shard::examples).sum();
        int holdout = shards.stream().filter(s -> s.kind() == DatasetKind.HOLDOUT).mapToInt(TenantDatasets.Shard::examples).sum();
        try {
            return EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                    new DatasetManifest(tenant, Instant.ofEpochMilli(nowMs), train, holdout, shards));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest of " + tenant + " is not writable as JSON", e);
        }
    }
}
