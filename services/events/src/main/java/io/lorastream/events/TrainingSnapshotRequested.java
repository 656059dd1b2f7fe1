package io.lorastream.events;

import java.time.Instant;
import java.util.List;

/**
 * A tenant's training policy was met ({@code training-requested.v2.json}): the request names the
 * {@link DatasetSnapshot} in S3 that lists what the job may read, with its sha256 and counts, so the record stays
 * a few hundred bytes whatever the tenant's history. Version 1 ({@link TrainingRequested}) listed every shard in
 * the record; old records are still read.
 */
public record TrainingSnapshotRequested(
        String requestId,
        String tenant,
        Snapshot snapshot,
        int newExamples,
        TrainingRequested.Trigger trigger,
        Instant requestedAt) implements TrainingRequest {

    /** The snapshot object: its key, sha256, and how many training and holdout shards it lists. */
    public record Snapshot(String key, String sha256, int shards, int holdoutShards) {}

    public TrainingSnapshotRequested {
        if (snapshot == null || !ShardKeys.isSnapshot(tenant, snapshot.key())) {
            throw new IllegalArgumentException("snapshot: " + (snapshot == null ? null : snapshot.key()) + " is not a snapshot of " + tenant
                    + " (datasets/" + tenant + "/snapshots/NNNNNN-<16 hex>.json)");
        }
    }

    /** The request as a job reads it, with the shard lists of its snapshot. */
    public TrainingRequested resolve(DatasetSnapshot s) {
        if (s.shards().size() != snapshot.shards() || s.holdout().size() != snapshot.holdoutShards()) {
            throw new IllegalArgumentException(snapshot.key() + " lists " + s.shards().size() + " training and " + s.holdout().size()
                    + " holdout shards; the request says " + snapshot.shards() + " and " + snapshot.holdoutShards());
        }
        List<String> training = s.shards().stream().map(DatasetSnapshot.Shard::key).toList();
        List<String> holdout = s.holdout().stream().map(DatasetSnapshot.Shard::key).toList();
        return new TrainingRequested(requestId, tenant, training, holdout, newExamples, trigger, requestedAt);
    }

    @Override public String cloudEventId() { return requestId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return requestedAt; }
}
