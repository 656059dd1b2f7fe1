package io.lorastream.streams;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One tenant's dataset bookkeeping, kept in a state store (so it is restored with the stream's
 * exactly-once state after a crash) and mirrored to {@code datasets/{tenant}/manifest.json}.
 *
 * @param arrivals     examples accepted so far; orders the pending examples
 * @param pendingTrain accepted training examples not yet in a shard
 * @param shards       every sealed shard, both kinds, in sealing order
 * @param unrequested  sealed training shards not yet named in a training request
 * @param requests     training requests emitted so far
 */
public record TenantDatasets(
        String tenant,
        long arrivals,
        Pending pendingTrain,
        Pending pendingHoldout,
        List<Shard> shards,
        List<String> unrequested,
        int unrequestedExamples,
        long oldestUnrequestedAtMs,
        long lastRequestAtMs,
        int requests) {

    /** Examples waiting for their shard: how many, and since when (epoch ms of the oldest). */
    public record Pending(int count, long oldestAtMs) {
        static final Pending NONE = new Pending(0, 0);

        Pending plusOne(long nowMs) {
            return new Pending(count + 1, count == 0 ? nowMs : oldestAtMs);
        }
    }

    /** A sealed, immutable shard: an object in S3. */
    public record Shard(String key, DatasetKind kind, int examples, String sha256, Instant sealedAt, long oldestExampleAtMs) {}

    public TenantDatasets {
        shards = List.copyOf(shards);
        unrequested = List.copyOf(unrequested);
    }

    public static TenantDatasets empty(String tenant) {
        return new TenantDatasets(tenant, 0, Pending.NONE, Pending.NONE, List.of(), List.of(), 0, 0, 0, 0);
    }

    public Pending pending(DatasetKind kind) {
        return kind == DatasetKind.TRAIN ? pendingTrain : pendingHoldout;
    }

    /** Training examples not yet named in a request, sealed or not. */
    public int newExamples() {
        return unrequestedExamples + pendingTrain.count();
    }

    /** Epoch ms of the oldest training example not yet named in a request (0 when there is none). */
    public long oldestNewExampleAtMs() {
        if (unrequestedExamples > 0) {
            return oldestUnrequestedAtMs;
        }
        return pendingTrain.count() > 0 ? pendingTrain.oldestAtMs() : 0;
    }

    public int nextSeq(DatasetKind kind) {
        return (int) shards.stream().filter(s -> s.kind() == kind).count() + 1;
    }

    public List<String> keys(DatasetKind kind) {
        return shards.stream().filter(s -> s.kind() == kind).map(Shard::key).toList();
    }

    TenantDatasets accepted(DatasetKind kind, long nowMs) {
        return new TenantDatasets(tenant, arrivals + 1,
                kind == DatasetKind.TRAIN ? pendingTrain.plusOne(nowMs) : pendingTrain,
                kind == DatasetKind.HOLDOUT ? pendingHoldout.plusOne(nowMs) : pendingHoldout,
                shards, unrequested, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests);
    }

    TenantDatasets sealed(Shard shard) {
        List<Shard> allShards = new ArrayList<>(shards);
        allShards.add(shard);
        if (shard.kind() == DatasetKind.HOLDOUT) {
            return new TenantDatasets(tenant, arrivals, pendingTrain, Pending.NONE, allShards, unrequested,
                    unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests);
        }
        List<String> waiting = new ArrayList<>(unrequested);
        waiting.add(shard.key());
        long oldest = unrequestedExamples > 0 ? oldestUnrequestedAtMs : shard.oldestExampleAtMs();
        return new TenantDatasets(tenant, arrivals, Pending.NONE, pendingHoldout, allShards, waiting,
                unrequestedExamples + shard.examples(), oldest, lastRequestAtMs, requests);
    }

    TenantDatasets requested(long nowMs) {
        return new TenantDatasets(tenant, arrivals, pendingTrain, pendingHoldout, shards, List.of(), 0, 0, nowMs, requests + 1);
    }
}
