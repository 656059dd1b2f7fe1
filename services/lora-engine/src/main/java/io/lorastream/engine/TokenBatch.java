package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Token ids and attention mask of a batch, padded to its longest text (not to the maximum length).
 *
 * @param ids  (B, T) token ids, 0 = [PAD]
 * @param mask (B, T) 1 for real tokens, 0 for padding
 */
public record TokenBatch(long[][] ids, long[][] mask) {

    /** Pads token id rows to the longest one: (B, T) ids and mask. */
    public static TokenBatch pad(java.util.List<long[]> rows) {
        int length = 0;
        for (long[] row : rows) {
            length = Math.max(length, row.length);
        }
        long[][] ids = new long[rows.size()][length];
        long[][] mask = new long[rows.size()][length];
        for (int b = 0; b < rows.size(); b++) {
            System.arraycopy(rows.get(b), 0, ids[b], 0, rows.get(b).length);
            java.util.Arrays.fill(mask[b], 0, rows.get(b).length, 1L);
        }
        return new TokenBatch(ids, mask);
    }

    public int size() {
        return ids.length;
    }

    public int length() {
        return ids.length == 0 ? 0 : ids[0].length;
    }

    /** Real (non-padding) tokens in the batch. */
    public long tokens() {
        long n = 0;
        for (long[] row : mask) {
            for (long m : row) {
                n += m;
            }
        }
        return n;
    }

    NDArray idsArray(NDManager manager) {
        return manager.create(flatten(ids), new Shape(size(), length()));
    }

    NDArray maskArray(NDManager manager) {
        return manager.create(flatten(mask), new Shape(size(), length()));
    }

    private static long[] flatten(long[][] rows) {
        int t = rows.length == 0 ? 0 : rows[0].length;
        long[] flat = new long[rows.length * t];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], 0, flat, b * t, t);
        }
        return flat;
    }
}
