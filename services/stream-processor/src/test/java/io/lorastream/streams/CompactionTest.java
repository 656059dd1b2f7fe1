package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CompactionTest {
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

    /** Shards 1..n of these sizes, shard i sealed {@code hoursAgo[i]} hours before now. */
    private static List<TenantDatasets.Shard> shards(String sizes, String hoursAgo) {
        int[] examples = Arrays.stream(sizes.split(" ")).mapToInt(Integer::parseInt).toArray();
        int[] ages = Arrays.stream(hoursAgo.split(" ")).mapToInt(Integer::parseInt).toArray();
        List<TenantDatasets.Shard> shards = new ArrayList<>();
        for (int i = 0; i < examples.length; i++) {
            Instant sealed = NOW.minus(Duration.ofHours(ages[i]));
            shards.add(new TenantDatasets.Shard(DatasetKind.TRAIN.shardKey("acme", i + 1), DatasetKind.TRAIN, examples[i], "0".repeat(64),
                    sealed, sealed));
        }
        return shards;
    }

    /** Each row: the candidates' sizes and ages; segment-examples 100, segment-max-age 24 h; how many shards are compacted. */
    @ParameterizedTest(name = "[{0}] sealed [{1}] h ago: {2} compacted")
    @CsvSource({
            "50 40,            3 2,        0",  // 90 examples, young: not yet
            "50 50,            3 2,        2",  // 100: full
            "50 50 50,         3 2 1,      2",  // full at two: the third waits for the next segment
            "500,              1,          1",  // one big shard is a segment of its own
            "1 1 1,            24 20 1,    3",  // a trickle: a day old, all of it
            "1 1 1,            23 20 1,    0",
            "99 1 1,           30 2 1,     2",  // old and full: as many as fill it
    })
    void aSegmentIsCutAtItsSizeOrWhenItsOldestShardIsADayOld(String sizes, String hoursAgo, int compacted) {
        List<TenantDatasets.Shard> candidates = shards(sizes, hoursAgo);
        Compaction.Plan plan = Compaction.plan(candidates, 100, Duration.ofHours(24), NOW.toEpochMilli());
        assertThat(plan.shards()).hasSize(compacted).isEqualTo(candidates.subList(0, compacted));
        assertThat(plan.examples()).isEqualTo(candidates.stream().mapToInt(TenantDatasets.Shard::examples).sum());
        assertThat(plan.oldestSealedAtMs()).isEqualTo(candidates.get(0).sealedAt().toEpochMilli());
    }

    /** Each row: segments of these sizes, newest shard sealed {@code daysAgo} days before now; keep 1,000 examples and 365 days. */
    @ParameterizedTest(name = "[{0}] [{1}] days old: {2} dropped")
    @CsvSource({
            "500 500,           10 5,            0",
            "500 500 10,        10 5 1,          1",  // 1,010 examples: the oldest goes
            "100 100 100,       400 366 1,       2",  // older than a year
            "100 100 100,       400 10 1,        1",  // only what is too old, not what is merely older
            "2000,              1,               1",  // one segment beyond the size: dropped too
    })
    void retentionDropsTheOldestSegmentsBeyondTheAgeOrSize(String sizes, String daysAgo, int dropped) {
        int[] examples = Arrays.stream(sizes.split(" ")).mapToInt(Integer::parseInt).toArray();
        int[] ages = Arrays.stream(daysAgo.split(" ")).mapToInt(Integer::parseInt).toArray();
        List<Compaction.Segment> segments = new ArrayList<>();
        for (int i = 0; i < examples.length; i++) {
            segments.add(new Compaction.Segment("datasets/acme/segments/" + i, i, i, examples[i], 1, "0".repeat(64), NOW,
                    NOW.minus(Duration.ofDays(ages[i]))));
        }
        assertThat(Compaction.expired(segments, 1000, Duration.ofDays(365), NOW.toEpochMilli()))
                .isEqualTo(segments.subList(0, dropped));
    }
}
