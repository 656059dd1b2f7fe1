package io.lorastream.trainer;

import io.lorastream.store.ObjectStore;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.engine.Example;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventType;
import io.lorastream.events.FeedbackReceived;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** A tenant's dataset shards in S3 (written by the stream-processor), read as training examples. */
public final class TenantData {
    private final ObjectStore store;

    public TenantData(ObjectStore store) {
        this.store = store;
    }

    /** The examples of the shards, in order; a shard named but missing is an error, not an empty shard. */
    public List<Example> read(List<String> shards) {
        List<Example> examples = new ArrayList<>();
        for (String key : shards) {
            byte[] content = store.get(key).orElseThrow(() -> new MissingShardException(store.uri(key) + " is named but missing"));
            for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    FeedbackReceived event = EventJson.decode(EventType.FEEDBACK_RECEIVED, line.getBytes(StandardCharsets.UTF_8), FeedbackReceived.class);
                    examples.add(new Example(event.text(), event.label()));
                }
            }
        }
        return examples;
    }

    /**
     * Up to {@code count} examples drawn from the tenant's training shards older than the first requested
     * one (shards are numbered in sealing order), shards picked at random with the seed: the replay that
     * keeps a warm-started adapter from forgetting what it learnt before. Newer shards are not touched:
     * they belong to a request still to come.
     * @return the examples and the shards they came from
     */
    public Replay replay(String tenant, List<String> requested, int count, long seed) {
        String firstRequested = requested.stream().min(String::compareTo).orElse("");
        if (count <= 0) {
            return new Replay(List.of(), List.of());
        }
        List<String> older = new ArrayList<>();
        store.get("datasets/" + tenant + "/manifest.json").ifPresent(bytes -> {
            try {
                for (JsonNode shard : EventJson.MAPPER.readTree(bytes).path("shards")) {
                    String key = shard.path("key").asText();
                    if ("TRAIN".equals(shard.path("kind").asText()) && key.compareTo(firstRequested) < 0) {
                        older.add(key);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("datasets/" + tenant + "/manifest.json is not readable: " + e.getMessage(), e);
            }
        });
        Random random = new Random(seed);
        Collections.shuffle(older, random);
        List<String> used = new ArrayList<>();
        List<Example> pool = new ArrayList<>();
        for (String key : older) {
            if (pool.size() >= count) {
                break;
            }
            pool.addAll(read(List.of(key)));
            used.add(key);
        }
        Collections.shuffle(pool, random);
        return new Replay(List.copyOf(pool.subList(0, Math.min(count, pool.size()))), used);
    }

    public record Replay(List<Example> examples, List<String> shards) {}

    /** Not retriable: the request names data that is not there. */
    public static final class MissingShardException extends RuntimeException {
        MissingShardException(String message) {
            super(message);
        }
    }
}
