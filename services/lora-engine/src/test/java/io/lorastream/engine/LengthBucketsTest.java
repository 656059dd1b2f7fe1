package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LengthBucketsTest {
    static List<long[]> lengths(int... lengths) {
        List<long[]> ids = new ArrayList<>();
        for (int length : lengths) {
            ids.add(new long[length]);
        }
        return ids;
    }

    static long cost(List<long[]> ids, List<int[]> runs, int forwardCost) {
        long total = 0;
        for (int[] run : runs) {
            total += forwardCost + (long) run.length * Arrays.stream(run).map(i -> ids.get(i).length).max().orElseThrow();
        }
        return total;
    }

    @Test
    void shortTextsAreNotPaddedToALongOneWhenAForwardOfTheirOwnIsCheaper() {
        List<long[]> ids = lengths(40, 5, 5, 40, 5, 5);
        List<int[]> runs = LengthBuckets.of(ids, 64, 48);
        // one forward: 48 + 6·40 = 288 tokens; two: (48 + 4·5) + (48 + 2·40) = 196
        assertThat(runs).hasSize(2);
        assertThat(runs.get(0)).containsExactlyInAnyOrder(1, 2, 4, 5);
        assertThat(runs.get(1)).containsExactlyInAnyOrder(0, 3);
        assertThat(LengthBuckets.of(lengths(10, 12, 11), 64, 48)).as("little padding: one forward").hasSize(1);
    }

    @Test
    void theCutIsTheCheapestOfAllCutsOfTheSortedRows() {
        Random random = new Random(5);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + random.nextInt(10);
            int[] lengths = random.ints(n, 1, 60).toArray();
            int maxRows = 1 + random.nextInt(6);
            int forwardCost = random.nextInt(80);
            List<long[]> ids = lengths(lengths);
            List<int[]> runs = LengthBuckets.of(ids, maxRows, forwardCost);

            int[] seen = new int[n];
            for (int[] run : runs) {
                assertThat(run.length).isBetween(1, maxRows);
                for (int k = 0; k < run.length; k++) {
                    seen[run[k]]++;
                    if (k > 0) {
                        assertThat(ids.get(run[k]).length).isGreaterThanOrEqualTo(ids.get(run[k - 1]).length);
                    }
                }
            }
            assertThat(seen).as("every row once").containsOnly(1);
            // brute force: every way to cut the sorted lengths into runs of at most maxRows
            int[] sorted = lengths.clone();
            Arrays.sort(sorted);
            long brute = Long.MAX_VALUE;
            for (int mask = 0; mask < 1 << (n - 1); mask++) {
                long total = 0;
                int from = 0;
                boolean fits = true;
                for (int end = 1; end <= n; end++) {
                    if (end == n || (mask & 1 << (end - 1)) != 0) {
                        fits &= end - from <= maxRows;
                        total += forwardCost + (long) (end - from) * sorted[end - 1];
                        from = end;
                    }
                }
                if (fits) {
                    brute = Math.min(brute, total);
                }
            }
            assertThat(cost(ids, runs, forwardCost)).as("lengths %s, maxRows %d, cost %d", Arrays.toString(lengths), maxRows, forwardCost)
                    .isEqualTo(brute);
        }
    }

    @Test
    void aForwardCostBeyondAnyPaddingGivesFullBatchesAsBefore() {
        List<long[]> ids = lengths(3, 50, 7, 20, 9, 31, 2);
        List<int[]> runs = LengthBuckets.of(ids, 3, LengthBuckets.GPU_FORWARD_COST_TOKENS);
        // fewest forwards (3), and of those the least padding: sorted 2 3 7 | 9 20 | 31 50 = 21 + 40 + 100 tokens
        assertThat(runs).extracting(r -> r.length).containsExactly(3, 2, 2);
        assertThatThrownBy(() -> LengthBuckets.of(ids, 0, 48)).hasMessageContaining("maxRows must be at least 1, got 0");
    }
}
