package io.lorastream.trainer;

import io.lorastream.events.EventJson;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.ShardKeys;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A version's replay sample: a uniform sample of the examples its line was trained on, of at most
 * {@code replay-sample-examples}, that the versions built on it replay from so that a warm-started adapter does not forget
 * what it learnt before. Kept one version at a time (bottom-k sampling): a version's sample is the examples of smallest rank
 * (murmur2 of {@code tenant/id}) among its parent's sample and the examples it was trained on. The k smallest of random ranks
 * are a uniform k-subset of all the line's examples, so keeping it costs one bounded object per version, and no job reads
 * the tenant's history. Pure functions, tested as a table ({@code ReplaySampleTest}).
 */
final class ReplaySample {
    private ReplaySample() {}

    /** The sample a version offers: the {@code max} examples of smallest rank among its parent's sample and what it trained on, once each. */
    static List<FeedbackReceived> next(List<FeedbackReceived> parentSample, List<FeedbackReceived> trained, int max) {
        Map<String, FeedbackReceived> byId = new LinkedHashMap<>();
        parentSample.forEach(e -> byId.putIfAbsent(e.id(), e));
        trained.forEach(e -> byId.putIfAbsent(e.id(), e));
        return byId.values().stream()
                .sorted(Comparator.comparingLong(ReplaySample::rank).thenComparing(FeedbackReceived::id))
                .limit(max)
                .toList();
    }

    /**
     * What a job replays: {@code count} examples of the stable's sample, picked at random with the seed, none of them one the
     * job trains on anyway.
     */
    static List<FeedbackReceived> draw(List<FeedbackReceived> sample, List<FeedbackReceived> fresh, int count, long seed) {
        if (count <= 0) {
            return List.of();
        }
        Set<String> freshIds = new HashSet<>();
        fresh.forEach(e -> freshIds.add(e.id()));
        List<FeedbackReceived> older = new ArrayList<>(sample.stream().filter(e -> !freshIds.contains(e.id()))
                .sorted(Comparator.comparing(FeedbackReceived::id)).toList()); // sorted first: the draw depends on the seed alone
        java.util.Collections.shuffle(older, new Random(seed));
        return List.copyOf(older.subList(0, Math.min(count, older.size())));
    }

    /** The sample as its object holds it: one feedback event per line, as in a dataset shard. */
    static byte[] encode(List<FeedbackReceived> sample) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (FeedbackReceived e : sample) {
            out.writeBytes(EventJson.encode(e));
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static long rank(FeedbackReceived e) {
        return ShardKeys.rank(e.tenant() + "/" + e.id());
    }
}
