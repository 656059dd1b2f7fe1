package io.lorastream.streams;

import io.lorastream.events.Sha256;
import io.lorastream.events.ShardKeys;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Compaction of a tenant's training shards into segments, and dataset retention over the segments.
 *
 * <p>A training shard is read by the job of the request that named it, and by the next request's job when that one
 * failed; after that, by nobody (what later versions replay is their own sample, in the adapter's folder). So once a
 * request has named them, shards {@code first..last} are copied, byte for byte, into one object
 * {@code datasets/{tenant}/segments/{first}-{last}.jsonl} when they hold {@code segment-examples} examples or the oldest
 * was sealed {@code segment-max-age} ago. Each shard keeps its sha256 (the same bytes at an offset of the segment), so a
 * snapshot can name it there, and its own object is deleted {@code delete-grace} after the copy.
 *
 * <p>Crash-safe: the segment is one PUT under a key its range decides, so it appears whole or not at all, and a retry
 * writes the same bytes under the same key. The shard store learns where each shard went only after that PUT, in the
 * stream's transaction; the sources are deleted only after that commits, plus the grace period.
 *
 * <p>The planning and retention rules are pure functions of the shards and segments, tested as tables
 * ({@code CompactionTest}); {@link #build} does the S3 work, off the stream thread.
 */
final class Compaction {
    private Compaction() {}

    /**
     * Training shards {@code first..last} of a tenant in one object.
     *
     * @param newestSealedAt when its newest shard was sealed: retention by age goes by it
     */
    public record Segment(String key, int first, int last, int examples, long bytes, String sha256, Instant createdAt,
                          Instant newestSealedAt) {}

    /**
     * What to compact now.
     *
     * @param shards           the shards to copy into one segment, in order; empty: not yet
     * @param examples         examples in all the shards looked at
     * @param oldestSealedAtMs when the oldest of them was sealed (0: none)
     */
    record Plan(List<TenantDatasets.Shard> shards, int examples, long oldestSealedAtMs) {}

    /**
     * @param candidates the requested, uncompacted training shards in order, from the first: as many as hold
     *                   {@code segmentExamples} examples, or all of them
     */
    static Plan plan(List<TenantDatasets.Shard> candidates, int segmentExamples, Duration maxAge, long nowMs) {
        List<TenantDatasets.Shard> taken = new ArrayList<>();
        int examples = 0;
        for (TenantDatasets.Shard s : candidates) {
            if (examples >= segmentExamples) {
                break;
            }
            taken.add(s);
            examples += s.examples();
        }
        int all = candidates.stream().mapToInt(TenantDatasets.Shard::examples).sum();
        long oldest = candidates.isEmpty() ? 0 : candidates.get(0).sealedAt().toEpochMilli();
        boolean full = examples >= segmentExamples;
        boolean old = !candidates.isEmpty() && nowMs - oldest >= maxAge.toMillis();
        return new Plan(full || old ? List.copyOf(taken) : List.of(), all, oldest);
    }

    /** A written segment, and its shards as they now are: each at its offset of the segment. */
    record Built(String tenant, Segment segment, List<TenantDatasets.Shard> located) {}

    /**
     * Reads the shards, checks each against its sha256, and writes their bytes one after another as the segment, without the
     * lines of erased examples: a shard that held one is in the segment with its other lines, and the examples and sha256 of
     * those.
     *
     * @param erased the tenant's erased feedback ids
     * @throws DatasetStore.UnavailableException S3 failed: nothing changed, try again later
     * @throws IllegalStateException a shard is missing or is not the bytes it was sealed with: compaction of the tenant stops
     *                               there (logged and counted), and its shards stay where they are
     */
    static Built build(DatasetStore store, String tenant, List<TenantDatasets.Shard> shards, java.util.Set<String> erased, long nowMs) {
        ByteArrayOutputStream segment = new ByteArrayOutputStream();
        List<TenantDatasets.Shard> located = new ArrayList<>(shards.size());
        int first = seq(shards.get(0).key());
        int last = seq(shards.get(shards.size() - 1).key());
        String key = ShardKeys.segmentKey(tenant, first, last);
        int examples = 0;
        for (TenantDatasets.Shard s : shards) {
            byte[] bytes = store.get(s.key()).orElseThrow(() -> new IllegalStateException(s.key() + " is missing: not compacted"));
            if (!Sha256.hex(bytes).equals(s.sha256())) {
                throw new IllegalStateException(s.key() + " is not the bytes it was sealed with (sha256): not compacted");
            }
            Kept kept = erased.isEmpty() ? new Kept(bytes, s.examples()) : withoutErased(bytes, erased);
            located.add(s.inSegment(key, segment.size(), kept.bytes().length, Sha256.hex(kept.bytes()), kept.examples()));
            segment.writeBytes(kept.bytes());
            examples += kept.examples();
        }
        byte[] content = segment.toByteArray();
        store.put(key, content, "application/x-ndjson");
        Segment written = new Segment(key, first, last, examples, content.length, Sha256.hex(content), Instant.ofEpochMilli(nowMs),
                shards.get(shards.size() - 1).sealedAt());
        return new Built(tenant, written, List.copyOf(located));
    }

    private record Kept(byte[] bytes, int examples) {}

    /** A shard's lines but those of erased examples. */
    private static Kept withoutErased(byte[] shard, java.util.Set<String> erased) {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        int examples = 0;
        for (String line : new String(shard, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String id;
            try {
                id = io.lorastream.events.EventJson.MAPPER.readTree(line).path("id").asText();
            } catch (java.io.IOException e) {
                throw new IllegalStateException("a shard line is not JSON: " + e.getMessage(), e);
            }
            if (!erased.contains(id)) {
                kept.writeBytes((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                examples++;
            }
        }
        return new Kept(kept.toByteArray(), examples);
    }

    /**
     * Dataset retention: the segments to drop, oldest first — those whose newest shard is older than {@code retention}, and
     * then the oldest while the rest hold more than {@code maxExamples}.
     *
     * @param segments a tenant's segments, oldest first
     */
    static List<Segment> expired(List<Segment> segments, int maxExamples, Duration retention, long nowMs) {
        List<Segment> dropped = new ArrayList<>();
        long kept = segments.stream().mapToLong(Segment::examples).sum();
        for (Segment s : segments) {
            boolean tooOld = nowMs - s.newestSealedAt().toEpochMilli() >= retention.toMillis();
            if (tooOld || kept > maxExamples) {
                dropped.add(s);
                kept -= s.examples();
            } else {
                break;
            }
        }
        return dropped;
    }

    /** The sequence number in a shard's key ({@code .../000042.jsonl} → 42). */
    static int seq(String shardKey) {
        String file = shardKey.substring(shardKey.lastIndexOf('/') + 1);
        return Integer.parseInt(file.substring(0, file.indexOf('.')));
    }
}
