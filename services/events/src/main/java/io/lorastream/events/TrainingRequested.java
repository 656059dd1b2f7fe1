package io.lorastream.events;

import java.time.Instant;
import java.util.List;

/**
 * A training request with its shards inline ({@code training-requested.v1.json}): what a job reads. Version 1 of the
 * event, which listed every holdout shard of the tenant and so grew with its history; the stream-processor now
 * writes {@link TrainingSnapshotRequested}, which the trainer resolves into this. Old records are still read.
 */
public record TrainingRequested(
        String requestId,
        String tenant,
        List<String> shards,
        List<String> holdoutShards,
        int newExamples,
        Trigger trigger,
        Instant requestedAt) implements TrainingRequest {

    public enum Trigger { MIN_EXAMPLES, MAX_WAIT, MANUAL }

    public TrainingRequested {
        shards = List.copyOf(shards);
        holdoutShards = List.copyOf(holdoutShards);
        // The schema checks the grammar; it cannot say that a request may only name its own tenant's data.
        for (String key : shards) {
            if (!ShardKeys.isTrainingShard(tenant, key)) {
                throw new IllegalArgumentException("shards: " + key + " is not a training shard of " + tenant
                        + " (datasets/" + tenant + "/shards/NNNNNN.jsonl)");
            }
        }
        for (String key : holdoutShards) {
            if (!ShardKeys.isHoldoutShard(tenant, key)) {
                throw new IllegalArgumentException("holdoutShards: " + key + " is not a holdout shard of " + tenant
                        + " (datasets/" + tenant + "/holdout/NNNNNN.jsonl)");
            }
        }
    }

    @Override public String cloudEventId() { return requestId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return requestedAt; }
}
