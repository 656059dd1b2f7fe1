package io.lorastream.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.util.List;

/**
 * What one training request may read: its training shards and the holdout, each with its example count and
 * sha256, and the ids of the tenant's erased examples, which the job must not use wherever they still are. The stream-processor writes it to S3 before it emits the request, under a key that ends in the first
 * 16 hex digits of its own sha256 ({@code datasets/{tenant}/snapshots/{request number}-{sha}.json}), so an object
 * under a key is never replaced by other content: a retry after an aborted transaction, or a fenced instance's
 * late write, lands under another key, and the request names the one whose transaction committed. The request
 * record on Kafka carries only the key, the sha256 and counts ({@link TrainingSnapshotRequested}): its size does
 * not grow with the tenant's history.
 */
public record DatasetSnapshot(String tenant, String requestId, List<Shard> shards, List<Shard> holdout,
                              @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
                              List<String> erased) {

    public DatasetSnapshot(String tenant, String requestId, List<Shard> shards, List<Shard> holdout) {
        this(tenant, requestId, shards, holdout, List.of());
    }


    /**
     * A sealed shard as the request may read it: its bytes must have this sha256. A shard that compaction has copied into a
     * segment is read there: {@code length} bytes from {@code offset} of {@code segment} (the same bytes, so the same sha256),
     * since its own object is deleted a grace period after the copy.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Shard(String key, int examples, String sha256, String segment, Long offset, Long length) {
        public Shard(String key, int examples, String sha256) {
            this(key, examples, sha256, null, null, null);
        }

        public Shard {
            if ((segment == null) != (offset == null) || (segment == null) != (length == null)) {
                throw new IllegalArgumentException(key + ": a shard in a segment names the segment, its offset and its length");
            }
        }
    }

    public DatasetSnapshot {
        shards = List.copyOf(shards);
        holdout = List.copyOf(holdout);
        erased = erased == null ? List.of() : List.copyOf(erased);
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("a snapshot of " + tenant + " names no training shard");
        }
        for (Shard s : shards) {
            if (!ShardKeys.isTrainingShard(tenant, s.key())) {
                throw new IllegalArgumentException("shards: " + s.key() + " is not a training shard of " + tenant);
            }
            if (s.segment() != null && !ShardKeys.isSegment(tenant, s.segment())) {
                throw new IllegalArgumentException("shards: " + s.key() + " is read from " + s.segment() + ", not a segment of " + tenant);
            }
        }
        for (Shard s : holdout) {
            if (!ShardKeys.isHoldoutShard(tenant, s.key())) {
                throw new IllegalArgumentException("holdout: " + s.key() + " is not a holdout shard of " + tenant);
            }
        }
    }

    /** The bytes written to S3 (compact JSON, fields in declaration order: the same snapshot gives the same bytes). */
    public byte[] encode() {
        try {
            return EventJson.MAPPER.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("snapshot of " + tenant + " is not writable as JSON", e);
        }
    }

    /** Where these bytes go: the request's number and the start of their sha256. */
    public static String key(String tenant, int requestNumber, String sha256) {
        return String.format("datasets/%s/snapshots/%06d-%s.json", tenant, requestNumber, sha256.substring(0, 16));
    }

    /**
     * The snapshot a request names, from the object's bytes.
     *
     * @throws IllegalArgumentException when the bytes are not the ones the request names (sha256), not a snapshot of the
     *                                  tenant, or name a key outside the tenant's shard grammar: the request can never succeed
     */
    public static DatasetSnapshot decode(String tenant, String key, byte[] bytes, String sha256) {
        String actual = Sha256.hex(bytes);
        if (!actual.equals(sha256)) {
            throw new IllegalArgumentException(key + ": sha256 " + actual + " is not the request's " + sha256);
        }
        DatasetSnapshot snapshot;
        try {
            snapshot = EventJson.MAPPER.readValue(bytes, DatasetSnapshot.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + " is not a dataset snapshot: " + e.getMessage(), e);
        }
        if (!tenant.equals(snapshot.tenant())) {
            throw new IllegalArgumentException(key + " is a snapshot of " + snapshot.tenant() + ", not of " + tenant);
        }
        return snapshot;
    }
}
