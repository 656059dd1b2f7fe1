package io.lorastream.streams;

import io.lorastream.events.ShardKeys;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The holdout shards a training request names: bounded whatever the tenant's history, and representative of it.
 * <ul>
 *   <li><b>Window</b>: the newest holdout shards, as few as hold at least {@code window} examples — what the tenant
 *       sends now;</li>
 *   <li><b>Reservoir</b>: a uniform sample of the older shards, at most {@code reservoir} examples — what it sent
 *       before. A shard leaving the window is offered to it; the reservoir keeps the shards with the smallest rank
 *       (a hash of the shard's key) whose examples fit. The k smallest of random ranks are a uniform random
 *       k-subset, and a hash gives the same sample on every replica and after every restart, kept one shard at a
 *       time (bottom-k sampling).</li>
 * </ul>
 * Both lists stay bounded: the window by {@code window} examples plus one shard, the reservoir by {@code reservoir}
 * examples. A pure function of the shards sealed so far, tested as a table ({@code HoldoutSelectionTest}).
 */
public record HoldoutSelection(List<Entry> window, List<Entry> reservoir) {

    /** A sealed holdout shard: its sequence number, examples and rank. */
    public record Entry(int seq, int examples, long rank) {}

    public static final HoldoutSelection EMPTY = new HoldoutSelection(List.of(), List.of());

    public HoldoutSelection {
        window = List.copyOf(window);
        reservoir = List.copyOf(reservoir);
    }

    /** With one more sealed shard: it joins the window, and what the window no longer needs is offered to the reservoir. */
    public HoldoutSelection sealed(Entry shard, int windowExamples, int reservoirExamples) {
        List<Entry> nextWindow = new ArrayList<>(window);
        nextWindow.add(shard);
        List<Entry> nextReservoir = new ArrayList<>(reservoir);
        int inWindow = nextWindow.stream().mapToInt(Entry::examples).sum();
        while (nextWindow.size() > 1 && inWindow - nextWindow.get(0).examples() >= windowExamples) {
            Entry leaving = nextWindow.remove(0);
            inWindow -= leaving.examples();
            nextReservoir.add(leaving);
        }
        nextReservoir.sort(Comparator.comparingLong(Entry::rank).thenComparingInt(Entry::seq));
        List<Entry> kept = new ArrayList<>();
        int inReservoir = 0;
        for (Entry e : nextReservoir) {
            if (inReservoir + e.examples() <= reservoirExamples) {
                kept.add(e);
                inReservoir += e.examples();
            }
        }
        return new HoldoutSelection(nextWindow, kept);
    }

    /** The selected shards' sequence numbers, ascending. */
    public List<Integer> seqs() {
        List<Integer> seqs = new ArrayList<>();
        reservoir.forEach(e -> seqs.add(e.seq()));
        window.forEach(e -> seqs.add(e.seq()));
        seqs.sort(Integer::compare);
        return seqs;
    }
}
