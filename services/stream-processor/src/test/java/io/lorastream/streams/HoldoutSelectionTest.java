package io.lorastream.streams;

import io.lorastream.events.ShardKeys;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HoldoutSelectionTest {

    /** Shards 1..n of {@code examples} each, ranked by their key as the stream-processor ranks them. */
    static HoldoutSelection sealed(int n, int examples, int window, int reservoir) {
        HoldoutSelection s = HoldoutSelection.EMPTY;
        for (int seq = 1; seq <= n; seq++) {
            s = s.sealed(entry(seq, examples), window, reservoir);
        }
        return s;
    }

    static HoldoutSelection.Entry entry(int seq, int examples) {
        return new HoldoutSelection.Entry(seq, examples, ShardKeys.rank(DatasetKind.HOLDOUT.shardKey("acme", seq)));
    }

    /** Each row: shards sealed, examples each, window and reservoir sizes; the window's shards and the reservoir's size. */
    @ParameterizedTest(name = "{0} shards of {1}, window {2}, reservoir {3}: window holds the last {4}, reservoir {5} shards")
    @CsvSource({
            "1,      100, 1000, 1000, 1,  0",   // one shard: the window
            "10,     100, 1000, 1000, 10, 0",   // exactly the window
            "11,     100, 1000, 1000, 10, 1",   // the oldest leaves for the reservoir
            "30,     100, 1000, 1000, 10, 10",  // the reservoir is full: 1,000 examples
            "50000,  100, 1000, 1000, 10, 10",  // a year of shards: the same size
            "5,      500, 1000, 1000, 2,  2",   // three older shards of 500: two fit the reservoir
            "3,      1500, 1000, 1000, 1, 0",   // a shard larger than the reservoir never fits it
            "40,     100, 1000, 0,    10, 0",   // no reservoir
    })
    void theSelectionIsBoundedWhateverTheHistory(int n, int examples, int window, int reservoir, int windowShards, int reservoirShards) {
        HoldoutSelection s = sealed(n, examples, window, reservoir);
        assertThat(s.window()).extracting(HoldoutSelection.Entry::seq).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(n - windowShards + 1, n).boxed().toList());
        assertThat(s.reservoir()).hasSize(reservoirShards);
        assertThat(s.reservoir()).allSatisfy(e -> assertThat(e.seq()).isLessThanOrEqualTo(n - windowShards));
        assertThat(s.reservoir().stream().mapToInt(HoldoutSelection.Entry::examples).sum()).isLessThanOrEqualTo(reservoir);
        assertThat(s.seqs()).isSorted().doesNotHaveDuplicates().hasSize(windowShards + reservoirShards);
    }

    @Test
    void theReservoirIsTheOlderShardsOfSmallestRankTheSameEveryTimeAndSpreadOverTheHistory() {
        HoldoutSelection s = sealed(2_000, 100, 1_000, 1_000);
        List<HoldoutSelection.Entry> older = new ArrayList<>();
        for (int seq = 1; seq <= 1_990; seq++) {
            older.add(entry(seq, 100));
        }
        older.sort(java.util.Comparator.comparingLong(HoldoutSelection.Entry::rank).thenComparingInt(HoldoutSelection.Entry::seq));
        assertThat(s.reservoir()).containsExactlyElementsOf(older.subList(0, 10));
        assertThat(sealed(2_000, 100, 1_000, 1_000)).isEqualTo(s);
        // a uniform sample of 10 of 1,990: not all from one end of the history (each half holds some with high probability:
        // the chance that all 10 fall in one half is 2 * 0.5^10, and the ranks are fixed, so this cannot flake)
        long early = s.reservoir().stream().filter(e -> e.seq() <= 995).count();
        assertThat(early).isBetween(1L, 9L);
    }
}
