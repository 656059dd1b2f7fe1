package io.lorastream.streams;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Train or holdout, decided by the feedback id alone: the same example lands on the same side on
 * every replica, after every restart, and when it is sent twice.
 */
public record HoldoutSplit(double fraction) {
    private static final int BUCKETS = 10_000;

    public HoldoutSplit {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("holdout fraction " + fraction + ": must be at least 0 and below 1");
        }
    }

    public boolean isHoldout(String id) {
        // murmur2: Kafka's own partitioning hash, stable across versions and JVMs
        int bucket = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % BUCKETS;
        return bucket < fraction * BUCKETS;
    }
}
