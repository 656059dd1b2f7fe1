package io.lorastream.streams;

import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One tenant's dataset counters, kept in a state store (restored with the stream's exactly-once
 * state after a crash). Read and written for every record, so it stays a handful of numbers: the
 * shards themselves are in their own store ({@link FeedbackDatasets#SHARDS_STORE}) and in the manifest.
 * Shards of a kind are numbered 1, 2, 3 … and requested in order, so "not yet requested" is a range.
 *
 * @param arrivals              examples accepted so far; orders the pending examples
 * @param pendingTrain          accepted training examples not yet in a shard
 * @param trainShards           training shards sealed so far (their numbers are 1..trainShards)
 * @param firstUnrequestedShard the first training shard no request has named yet
 * @param unrequestedExamples   examples in shards firstUnrequestedShard..trainShards
 * @param requests              training requests emitted so far
 * @param manifestShards        shards sealed up to those the manifest last written lists (it lists those the previous
 *                              check had sealed: committed ones)
 * @param retryShards           training shards of failed requests ({@code training-failed}), named again by the next
 *                              request (at most {@link #MAX_RETRY_SHARDS}); they do not trigger one by themselves
 * @param firstUncompactedShard the first training shard not yet in a segment ({@link Compaction}); shards before it are read
 *                              from their segments (and their own objects are deleted a grace period after the copy)
 * @param compactableExamples   examples in shards firstUncompactedShard..firstUnrequestedShard-1 (requested, not compacted);
 *                              0 in states from before compaction, when the shards themselves are looked at
 * @param oldestCompactableAtMs when the oldest of those was sealed (about); 0: not known, look at the shards
 * @param lastSnapshotKey       the dataset snapshot the last request named: deleted a grace period after the next one
 * @param awaitingAnswer        the last request's job has not answered yet ({@link TrainingPolicy}); false in states stored
 *                              before answers were awaited
 */
public record TenantDatasets(
        String tenant,
        long arrivals,
        Pending pendingTrain,
        Pending pendingHoldout,
        int trainShards,
        int holdoutShards,
        int firstUnrequestedShard,
        int unrequestedExamples,
        long oldestUnrequestedAtMs,
        long lastRequestAtMs,
        int requests,
        int manifestShards,
        List<Retry> retryShards,
        int firstUncompactedShard,
        int compactableExamples,
        long oldestCompactableAtMs,
        String lastSnapshotKey,
        boolean awaitingAnswer) {

    /** Bounds the state (and a request) whatever fails: beyond it the oldest retry shards are dropped, with a log line. */
    static final int MAX_RETRY_SHARDS = 200;

    public TenantDatasets {
        retryShards = retryShards == null ? List.of() : List.copyOf(retryShards); // absent in states stored before retries existed
        firstUncompactedShard = Math.max(1, firstUncompactedShard); // absent (0) in states stored before compaction
    }

    /** Examples waiting for their shard: how many, and since when (epoch ms of the oldest). */
    public record Pending(int count, long oldestAtMs) {
        static final Pending NONE = new Pending(0, 0);

        Pending plusOne(long nowMs) {
            return new Pending(count + 1, count == 0 ? nowMs : oldestAtMs);
        }

        Pending minusOne() {
            return count <= 1 ? NONE : new Pending(count - 1, oldestAtMs);
        }
    }

    /**
     * A sealed, immutable shard: an object in S3, and once compacted also {@code length} bytes from {@code offset} of a segment
     * (the same bytes: the same sha256; without the lines of erased examples, when there were some: then examples and
     * sha256 are those of what the segment holds).
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Shard(String key, DatasetKind kind, int examples, String sha256, Instant sealedAt, Instant oldestExampleAt,
                        String segment, Long offset, Long length) {
        public Shard(String key, DatasetKind kind, int examples, String sha256, Instant sealedAt, Instant oldestExampleAt) {
            this(key, kind, examples, sha256, sealedAt, oldestExampleAt, null, null, null);
        }

        /** Where compaction put it: {@code bytes} bytes from {@code at}, with this sha256 and examples (fewer when some were erased). */
        Shard inSegment(String segmentKey, long at, long bytes, String sha256InSegment, int examplesInSegment) {
            return new Shard(key, kind, examplesInSegment, sha256InSegment, sealedAt, oldestExampleAt, segmentKey, at, bytes);
        }
    }

    public static TenantDatasets empty(String tenant) {
        return new TenantDatasets(tenant, 0, Pending.NONE, Pending.NONE, 0, 0, 1, 0, 0, 0, 0, 0, List.of(), 1, 0, 0, null, false);
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
        return (kind == DatasetKind.TRAIN ? trainShards : holdoutShards) + 1;
    }

    /** Keys of the sealed training shards no request has named yet, in order. */
    public List<String> unrequestedKeys() {
        return IntStream.rangeClosed(firstUnrequestedShard, trainShards).mapToObj(seq -> DatasetKind.TRAIN.shardKey(tenant, seq)).toList();
    }

    /** Sealed shards the manifest does not list yet. */
    public boolean manifestBehind() {
        return trainShards + holdoutShards > manifestShards;
    }

    /** @param listedShards how many shards of both kinds had been sealed when the shards it lists were */
    TenantDatasets manifestWritten(int listedShards) {
        return new TenantDatasets(tenant, arrivals, pendingTrain, pendingHoldout, trainShards, holdoutShards,
                firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, listedShards,
                retryShards, firstUncompactedShard, compactableExamples, oldestCompactableAtMs, lastSnapshotKey, awaitingAnswer);
    }

    /** An erased example left the pending ones before its shard was sealed. */
    TenantDatasets unpended(DatasetKind kind) {
        return new TenantDatasets(tenant, arrivals,
                kind == DatasetKind.TRAIN ? pendingTrain.minusOne() : pendingTrain,
                kind == DatasetKind.HOLDOUT ? pendingHoldout.minusOne() : pendingHoldout,
                trainShards, holdoutShards, firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, manifestShards,
                retryShards, firstUncompactedShard, compactableExamples, oldestCompactableAtMs, lastSnapshotKey, awaitingAnswer);
    }

    TenantDatasets accepted(DatasetKind kind, long nowMs) {
        return new TenantDatasets(tenant, arrivals + 1,
                kind == DatasetKind.TRAIN ? pendingTrain.plusOne(nowMs) : pendingTrain,
                kind == DatasetKind.HOLDOUT ? pendingHoldout.plusOne(nowMs) : pendingHoldout,
                trainShards, holdoutShards, firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, manifestShards,
                retryShards, firstUncompactedShard, compactableExamples, oldestCompactableAtMs, lastSnapshotKey, awaitingAnswer);
    }

    TenantDatasets sealed(Shard shard) {
        if (shard.kind() == DatasetKind.HOLDOUT) {
            return new TenantDatasets(tenant, arrivals, pendingTrain, Pending.NONE, trainShards, holdoutShards + 1,
                    firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, manifestShards, retryShards, firstUncompactedShard, compactableExamples, oldestCompactableAtMs, lastSnapshotKey, awaitingAnswer);
        }
        long oldest = unrequestedExamples > 0 ? oldestUnrequestedAtMs : shard.oldestExampleAt().toEpochMilli();
        return new TenantDatasets(tenant, arrivals, Pending.NONE, pendingHoldout, trainShards + 1, holdoutShards,
                firstUnrequestedShard, unrequestedExamples + shard.examples(), oldest, lastRequestAtMs, requests, manifestShards,
                retryShards, firstUncompactedShard, compactableExamples, oldestCompactableAtMs, lastSnapshotKey, awaitingAnswer);
    }

    /**
     * A request named the retry shards and the sealed shards firstUnrequestedShard..lastShard, holding {@code named} of the
     * unrequested examples; the shards after lastShard (a backlog beyond {@code request-max-examples}) wait for the next.
     *
     * @param nextOldestAtMs when the oldest example of shard lastShard + 1 arrived (when there is one)
     */
    TenantDatasets requested(long nowMs, String snapshotKey, int lastShard, int named, long nextOldestAtMs) {
        long oldestCompactable = compactableExamples > 0 ? oldestCompactableAtMs : oldestUnrequestedAtMs;
        boolean rest = lastShard < trainShards;
        return new TenantDatasets(tenant, arrivals, pendingTrain, pendingHoldout, trainShards, holdoutShards,
                lastShard + 1, rest ? Math.max(0, unrequestedExamples - named) : 0, rest ? nextOldestAtMs : 0, nowMs, requests + 1,
                manifestShards, List.of(), firstUncompactedShard, compactableExamples + named, oldestCompactable, snapshotKey, true);
    }

    /** The request id of the tenant's request number {@code number} (1, 2, 3 …). */
    static String requestId(String tenant, int number) {
        return "training:" + tenant + ":" + number;
    }

    /** The job of the tenant's last request answered ({@code adapter-published} or {@code training-failed}). */
    boolean answers(String requestId) {
        return awaitingAnswer && requestId(tenant, requests).equals(requestId);
    }

    /** The last request's job answered: the next request need not wait for it. */
    TenantDatasets answered() {
        return new TenantDatasets(tenant, arrivals, pendingTrain, pendingHoldout, trainShards, holdoutShards,
                firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, manifestShards,
                retryShards, firstUncompactedShard, compactableExamples, oldestCompactableAtMs, lastSnapshotKey, false);
    }

    /** Requested training shards not yet in a segment: the range compaction may copy. */
    public boolean hasCompactable() {
        return firstUncompactedShard < firstUnrequestedShard;
    }

    /** Shards firstUncompactedShard..last are now read from a segment, and the manifest must say so. */
    TenantDatasets compacted(int last, int examples) {
        int left = Math.max(0, compactableExamples - examples);
        return new TenantDatasets(tenant, arrivals, pendingTrain, pendingHoldout, trainShards, holdoutShards,
                firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, 0, retryShards,
                last + 1, left, 0, lastSnapshotKey, awaitingAnswer);
    }

    /** What the compactable shards hold, as looked at: examples, and when the oldest was sealed. */
    TenantDatasets compactable(int examples, long oldestAtMs) {
        return new TenantDatasets(tenant, arrivals, pendingTrain, pendingHoldout, trainShards, holdoutShards,
                firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, manifestShards, retryShards,
                firstUncompactedShard, examples, oldestAtMs, lastSnapshotKey, awaitingAnswer);
    }

    /** Something the manifest lists changed other than new shards (segments, deletions): write it at the next check. */
    TenantDatasets manifestStale() {
        return new TenantDatasets(tenant, arrivals, pendingTrain, pendingHoldout, trainShards, holdoutShards,
                firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, 0, retryShards,
                firstUncompactedShard, compactableExamples, oldestCompactableAtMs, lastSnapshotKey, awaitingAnswer);
    }

    /**
     * A failed request's shards, named again by the next request. Shards already waiting (retried, or never
     * requested) are not added twice; beyond {@link #MAX_RETRY_SHARDS} the oldest are dropped.
     */
    TenantDatasets retried(List<Retry> failed) {
        List<String> unrequested = unrequestedKeys();
        java.util.LinkedHashMap<String, Retry> next = new java.util.LinkedHashMap<>();
        retryShards.forEach(r -> next.put(r.key(), r));
        failed.stream().filter(r -> !unrequested.contains(r.key())).forEach(r -> next.putIfAbsent(r.key(), r));
        List<Retry> kept = List.copyOf(next.values());
        kept = kept.subList(Math.max(0, kept.size() - MAX_RETRY_SHARDS), kept.size());
        return new TenantDatasets(tenant, arrivals, pendingTrain, pendingHoldout, trainShards, holdoutShards,
                firstUnrequestedShard, unrequestedExamples, oldestUnrequestedAtMs, lastRequestAtMs, requests, manifestShards, kept, firstUncompactedShard, compactableExamples, oldestCompactableAtMs, lastSnapshotKey, awaitingAnswer);
    }

    /** A shard of a failed request, waiting for the next one. */
    public record Retry(String key, int examples) {}

    /** Examples in the retry shards. */
    public int retryExamples() {
        return retryShards.stream().mapToInt(Retry::examples).sum();
    }
}
