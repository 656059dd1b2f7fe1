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
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

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
            return new Resolved(inline, java.util.Map.of());
        }
        TrainingSnapshotRequested r = (TrainingSnapshotRequested) request;
        String key = r.snapshot().key();
        byte[] bytes = store.get(key).orElseThrow(() -> new IllegalArgumentException(store.uri(key) + " named but missing"));
        DatasetSnapshot snapshot = DatasetSnapshot.decode(r.tenant(), key, bytes, r.snapshot().sha256());
        java.util.Map<String, String> sha256 = new java.util.HashMap<>();
        snapshot.shards().forEach(s -> sha256.put(s.key(), s.sha256()));
        snapshot.holdout().forEach(s -> sha256.put(s.key(), s.sha256()));
        return new Resolved(r.resolve(snapshot), java.util.Map.copyOf(sha256));
    }

    /** A request as a job reads it, and the sha256 its snapshot gives each shard (none for a version-1 request). */
    public record Resolved(TrainingRequested request, java.util.Map<String, String> sha256) {}

    /**
     * The examples of the shards, in order; a shard named but missing is an error, not an empty shard.
     *
     * @throws MissingShardException naming every missing shard
     */
    public List<Example> read(List<String> shards) {
        return read(shards, java.util.Map.of());
    }

    /**
     * The examples of the shards, in order; a shard named but missing, or whose bytes are not the sha256 its snapshot gives
     * ({@code sha256}: key → hex; a key without one is not checked), is an error naming every such shard.
     *
     * @throws MissingShardException naming every missing or altered shard
     */
    public List<Example> read(List<String> shards, java.util.Map<String, String> sha256) {
        List<Example> examples = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> altered = new ArrayList<>();
        for (String key : shards) {
            Optional<byte[]> found = store.get(key);
            if (found.isEmpty()) {
                missing.add(key);
                continue;
            }
            byte[] content = found.get();
            String expected = sha256.get(key);
            if (expected != null && !expected.equals(io.lorastream.events.Sha256.hex(content))) {
                altered.add(key);
                continue;
            }
            for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    FeedbackReceived event = EventJson.decode(EventType.FEEDBACK_RECEIVED, line.getBytes(StandardCharsets.UTF_8), FeedbackReceived.class);
                    examples.add(new Example(event.text(), event.label()));
                }
            }
        }
        if (!missing.isEmpty() || !altered.isEmpty()) {
            List<String> bad = new ArrayList<>(missing);
            bad.addAll(altered);
            throw new MissingShardException(bad, (missing.isEmpty() ? "" : missing.stream().map(store::uri).toList() + " named but missing")
                    + (missing.isEmpty() || altered.isEmpty() ? "" : "; ")
                    + (altered.isEmpty() ? "" : altered.stream().map(store::uri).toList() + " not the bytes the snapshot names (sha256)"));
        }
        return examples;
    }

    /**
     * Up to {@code count} examples drawn from {@code pool} (the shards of the stable version's line), shards
     * picked at random with the seed: the replay that keeps a warm-started adapter from forgetting what it
     * learnt before. The requested shards themselves are not replayed.
     * @return the examples and the shards they came from
     */
    public Replay replay(java.util.Collection<String> pool, List<String> requested, int count, long seed) {
        if (count <= 0) {
            return new Replay(List.of(), List.of());
        }
        List<String> older = new ArrayList<>(new java.util.TreeSet<>(pool)); // sorted first: the shuffle depends on the seed alone
        older.removeAll(requested);
        Random random = new Random(seed);
        Collections.shuffle(older, random);
        List<String> used = new ArrayList<>();
        List<Example> examples = new ArrayList<>();
        for (String key : older) {
            if (examples.size() >= count) {
                break;
            }
            examples.addAll(read(List.of(key)));
            used.add(key);
        }
        Collections.shuffle(examples, random);
        return new Replay(List.copyOf(examples.subList(0, Math.min(count, examples.size()))), used);
    }

    public record Replay(List<Example> examples, List<String> shards) {}

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
