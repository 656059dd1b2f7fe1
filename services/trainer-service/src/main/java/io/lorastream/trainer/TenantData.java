package io.lorastream.trainer;

import io.lorastream.store.ObjectStore;

import io.lorastream.engine.Example;
import io.lorastream.events.DatasetSnapshot;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventType;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.TrainingRequest;
import io.lorastream.events.TrainingRequested;
import io.lorastream.events.TrainingSnapshotRequested;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A tenant's dataset shards in S3 (written by the stream-processor), read as training examples. */
public final class TenantData {
    private final ObjectStore store;

    public TenantData(ObjectStore store) {
        this.store = store;
    }

    /**
     * The request as a job reads it: a version-1 request as it is; a version-2 request with the shard lists of the
     * snapshot it names, read from S3 and checked against the sha256 the request carries.
     *
     * @throws IllegalArgumentException the snapshot is missing, is not the bytes the request names, or is not the
     *                                  tenant's: the request can never succeed
     * @throws ObjectStore.UnavailableException S3 is unreachable: retry
     */
    public Resolved resolve(TrainingRequest request) {
        if (request instanceof TrainingRequested inline) {
            return new Resolved(inline, Map.of(), java.util.Set.of());
        }
        TrainingSnapshotRequested r = (TrainingSnapshotRequested) request;
        String key = r.snapshot().key();
        byte[] bytes = store.get(key).orElseThrow(() -> new IllegalArgumentException(store.uri(key) + " named but missing"));
        DatasetSnapshot snapshot = DatasetSnapshot.decode(r.tenant(), key, bytes, r.snapshot().sha256());
        Map<String, DatasetSnapshot.Shard> named = new HashMap<>();
        snapshot.shards().forEach(s -> named.put(s.key(), s));
        snapshot.holdout().forEach(s -> named.put(s.key(), s));
        return new Resolved(r.resolve(snapshot), Map.copyOf(named), java.util.Set.copyOf(snapshot.erased()));
    }

    /**
     * A request as a job reads it, each shard as its snapshot names it (sha256, and where compaction put it), and the tenant's
     * erased feedback ids, which the job uses nowhere (none for a version-1 request).
     */
    public record Resolved(TrainingRequested request, Map<String, DatasetSnapshot.Shard> named, java.util.Set<String> erased) {}

    /**
     * The examples of the shards, in order; a shard named but missing is an error, not an empty shard.
     *
     * @throws MissingShardException naming every missing shard
     */
    public List<Example> read(List<String> shards) {
        return read(shards, Map.of());
    }

    /** The examples of the shards, in order: {@link #events} without their ids. */
    public List<Example> read(List<String> shards, Map<String, DatasetSnapshot.Shard> named) {
        return events(shards, named).stream().map(TenantData::example).toList();
    }

    public static Example example(FeedbackReceived event) {
        return new Example(event.text(), event.label());
    }

    /**
     * The feedback events of the shards, in order. A shard the snapshot places in a segment is read from there (a range of
     * the segment's bytes). A shard named but missing, or whose bytes are not the sha256 its snapshot gives (a key the
     * snapshot does not name is not checked), is an error naming every such shard.
     *
     * @throws MissingShardException naming every missing or altered shard
     */
    public List<FeedbackReceived> events(List<String> shards, Map<String, DatasetSnapshot.Shard> named) {
        List<FeedbackReceived> events = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> altered = new ArrayList<>();
        for (String key : shards) {
            DatasetSnapshot.Shard shard = named.get(key);
            Optional<byte[]> found = shard == null || shard.segment() == null
                    ? store.get(key) : store.get(shard.segment(), shard.offset(), shard.length());
            if (found.isEmpty()) {
                missing.add(key);
                continue;
            }
            byte[] content = found.get();
            if (shard != null && !shard.sha256().equals(io.lorastream.events.Sha256.hex(content))) {
                altered.add(key);
                continue;
            }
            events.addAll(parse(content));
        }
        if (!missing.isEmpty() || !altered.isEmpty()) {
            List<String> bad = new ArrayList<>(missing);
            bad.addAll(altered);
            throw new MissingShardException(bad, (missing.isEmpty() ? "" : missing.stream().map(k -> where(k, named.get(k))).toList() + " named but missing")
                    + (missing.isEmpty() || altered.isEmpty() ? "" : "; ")
                    + (altered.isEmpty() ? "" : altered.stream().map(store::uri).toList() + " not the bytes the snapshot names (sha256)"));
        }
        return events;
    }

    private String where(String key, DatasetSnapshot.Shard shard) {
        return shard == null || shard.segment() == null ? store.uri(key)
                : store.uri(key) + " (bytes " + shard.offset() + "+" + shard.length() + " of " + store.uri(shard.segment()) + ")";
    }

    /** Feedback events, one JSON object per line (a shard, a segment's range, a replay sample). */
    public static List<FeedbackReceived> parse(byte[] jsonl) {
        List<FeedbackReceived> events = new ArrayList<>();
        for (String line : new String(jsonl, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                events.add(EventJson.decode(EventType.FEEDBACK_RECEIVED, line.getBytes(StandardCharsets.UTF_8), FeedbackReceived.class));
            }
        }
        return events;
    }

    /**
     * The shards of a stable published on 2026-12-04, when a version kept a replay pool of shard keys instead of a sample
     * of examples: read once, as that stable's sample. A pool shard compaction has since removed is skipped.
     */
    public List<FeedbackReceived> legacyPool(List<String> pool) {
        List<FeedbackReceived> events = new ArrayList<>();
        for (String key : pool) {
            store.get(key).ifPresent(content -> events.addAll(parse(content)));
        }
        return events;
    }

    /** Not retriable: the request names data that is not there. */
    public static final class MissingShardException extends RuntimeException {
        private final List<String> missing;

        MissingShardException(List<String> missing, String message) {
            super(message);
            this.missing = List.copyOf(missing);
        }

        /** The keys that are not there. */
        public List<String> missing() {
            return missing;
        }
    }
}
