package io.lorastream.serving;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Which requests a canary answers: murmur2 of the request id, so the split is deterministic (a
 * redelivered Kafka request goes where it went before) and independent of tenant and text.
 */
final class Routing {
    private static final int BUCKETS = 10_000;

    private Routing() {}

    static boolean toCandidate(String requestId, double share) {
        if (share <= 0) {
            return false;
        }
        int bucket = Utils.toPositive(Utils.murmur2(requestId.getBytes(StandardCharsets.UTF_8))) % BUCKETS;
        return bucket < share * BUCKETS;
    }
}
