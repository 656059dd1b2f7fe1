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
    public TrainingRequested resolve(TrainingRequest request) {
        if (request instanceof TrainingRequested inline) {
            return inline;
        }
        TrainingSnapshotRequested r = (TrainingSnapshotRequested) request;
        String key = r.snapshot().key();
        byte[] bytes = store.get(key).orElseThrow(() -> new IllegalArgumentException(store.uri(key) + " named but missing"));
        return r.resolve(DatasetSnapshot.decode(r.tenant(), key, bytes, r.snapshot().sha256()));
    }

    /**
     * The examples of the shards, in order; a shard named but missing is an error, not an empty shard.
     *
     * @throws MissingShardException naming every missing shard
     */
    public List<Example> read(List<String> shards) {
        List<Example> examples = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String key : shards) {
            Optional<byte[]> found = store.get(key);
            if (found.isEmpty()) {
                missing.add(key);
                continue;
            }
            byte[] content = found.get();
            for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    FeedbackReceived event = EventJson.decode(EventType.FEEDBACK_RECEIVED, line.getBytes(StandardCharsets.UTF_8), FeedbackReceived.class);
                    examples.add(new Example(event.text(), event.label()));
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new MissingShardException(missing, missing.stream().map(store::uri).toList() + " named but missing");
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
