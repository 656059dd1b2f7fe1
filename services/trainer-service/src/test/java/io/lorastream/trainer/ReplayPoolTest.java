package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.AdapterPublished;
import io.lorastream.events.Evaluation;
import io.lorastream.store.VersionManifest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReplayPoolTest {
    static String shard(int seq) {
        return String.format("datasets/acme/shards/%06d.jsonl", seq);
    }

    static VersionManifest version(int n, Integer parent, List<String> shards, List<String> replayPool) {
        return new VersionManifest("acme", n, parent, parent, "training:acme:" + n, new AdapterPublished.BaseModel("base", "0".repeat(64)),
                shards, List.of(), List.of(), replayPool, Map.of(), new AdapterPublished.Metrics(new Evaluation(0.9, null, null, 1), null),
                new AdapterPublished.Gate(true, 0.02), Map.of(), 1, "cpu", Instant.EPOCH);
    }

    /** Each row: versions of {@code shardsEach} new shards, one after another, each pool kept to {@code max}; the last pool's size. */
    @ParameterizedTest(name = "{0} versions of {1} shards, pool of {2}: {3}")
    @CsvSource({
            "1,    3,  256, 3",
            "10,   3,  256, 30",
            "100,  3,  256, 256",
            "2000, 25, 256, 256",   // a year of versions: the same size
            "50,   1,  10,  10",
    })
    void thePoolIsTheLinesDataUpToItsBound(int versions, int shardsEach, int max, int expected) {
        List<String> pool = List.of();
        List<String> all = new ArrayList<>();
        int seq = 0;
        for (int v = 0; v < versions; v++) {
            List<String> trained = new ArrayList<>();
            for (int i = 0; i < shardsEach; i++) {
                trained.add(shard(++seq));
            }
            all.addAll(trained);
            pool = TrainingJob.nextReplayPool(pool, trained, max);
        }
        assertThat(pool).hasSize(expected).isSorted().doesNotHaveDuplicates();
        assertThat(all).containsAll(pool);
        // the same as sampling the whole line at once: kept one version at a time, it loses nothing a one-off sample would keep
        assertThat(pool).isEqualTo(TrainingJob.nextReplayPool(List.of(), all, max));
    }

    @Test
    void aStableWithAPoolIsReplayedFromItAndOnePublishedBeforePoolsFromItsWalkedLine() {
        VersionManifest v1 = version(1, null, List.of(shard(1)), null);
        VersionManifest v2 = version(2, 1, List.of(shard(2)), null);
        VersionManifest v3 = version(3, 2, List.of(shard(3)), List.of(shard(1), shard(3)));
        List<VersionManifest> versions = List.of(v1, v2, v3);
        assertThat(TrainingJob.replayPool(Optional.of(v2), versions)).containsExactly(shard(1), shard(2));
        assertThat(TrainingJob.replayPool(Optional.of(v3), versions)).containsExactly(shard(1), shard(3));
        assertThat(TrainingJob.replayPool(Optional.empty(), versions)).isEmpty();
    }

    @Test
    void aSampleOfALongLineSpreadsOverItsHistory() {
        List<String> all = new ArrayList<>();
        for (int seq = 1; seq <= 10_000; seq++) {
            all.add(shard(seq));
        }
        List<String> pool = TrainingJob.nextReplayPool(List.of(), all, 256);
        long firstHalf = pool.stream().filter(k -> k.compareTo(shard(5_000)) <= 0).count();
        // a uniform sample of 256 of 10,000: about half from each half; the ranks are fixed, so this is exact, not chance
        assertThat(firstHalf).isBetween(100L, 156L);
    }
}
