package io.lorastream.engine;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Which texts share a forward: sorted by length, then cut where the padding a longer neighbour would
 * force costs more than a forward of its own. A forward costs its padded tokens (rows × longest row)
 * plus a fixed cost per forward, counted in tokens; the cheapest cut into runs of at most
 * {@code maxRows} is found exactly by dynamic programming (rows × maxRows steps).
 */
public final class LengthBuckets {
    /**
     * A forward's fixed cost on the CPU in tokens of batched work: one text's forward (~230 small
     * operations) takes 6–7 ms on these cores, a token in a batch about 0.13 ms (forward bench, 7,700
     * tokens/s).
     */
    static final int CPU_FORWARD_COST_TOKENS = 48;
    /** On a GPU a forward's launch costs dwarf its tokens: one forward per {@code maxRows}, as before. */
    static final int GPU_FORWARD_COST_TOKENS = 1 << 20;

    private LengthBuckets() {}

    /** Groups of indices into {@code ids}, each sorted by length, every index once. */
    public static List<int[]> of(List<long[]> ids, int maxRows, Device device) {
        return of(ids, maxRows, device.isGpu() ? GPU_FORWARD_COST_TOKENS : CPU_FORWARD_COST_TOKENS);
    }

    static List<int[]> of(List<long[]> ids, int maxRows, int forwardCostTokens) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be at least 1, got " + maxRows);
        }
        int n = ids.size();
        int[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> ids.get(i).length))
                .mapToInt(Integer::intValue).toArray();
        long[] best = new long[n + 1];   // cheapest cost of the first k sorted rows
        int[] start = new int[n + 1];    // where the last run of that cost starts
        for (int end = 1; end <= n; end++) {
            best[end] = Long.MAX_VALUE;
            long longest = ids.get(order[end - 1]).length; // sorted: the run's last row is its longest
            for (int from = Math.max(0, end - maxRows); from < end; from++) {
                long cost = best[from] + forwardCostTokens + (end - from) * longest;
                if (cost < best[end]) {
                    best[end] = cost;
                    start[end] = from;
                }
            }
        }
        List<int[]> runs = new ArrayList<>();
        for (int end = n; end > 0; end = start[end]) {
            runs.add(Arrays.copyOfRange(order, start[end], end));
        }
        java.util.Collections.reverse(runs);
        return runs;
    }
}
