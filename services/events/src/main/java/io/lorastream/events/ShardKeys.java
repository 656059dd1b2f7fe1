package io.lorastream.events;

import java.util.regex.Pattern;

/**
 * The grammar of a tenant's dataset shard keys ({@code common.v1.json#/$defs/trainingShardKey} and
 * {@code holdoutShardKey}): {@code datasets/{tenant}/shards/{sequence}.jsonl} and
 * {@code datasets/{tenant}/holdout/{sequence}.jsonl}, and of the snapshots that list them for a request. A key that does not match exactly — another
 * tenant's, {@code ..}, another folder — is never read.
 */
public final class ShardKeys {
    private static final Pattern TRAINING = Pattern.compile("datasets/([a-z0-9][a-z0-9-]{0,62})/shards/[0-9]{6,12}\\.jsonl");
    private static final Pattern HOLDOUT = Pattern.compile("datasets/([a-z0-9][a-z0-9-]{0,62})/holdout/[0-9]{6,12}\\.jsonl");
    private static final Pattern SNAPSHOT = Pattern.compile("datasets/([a-z0-9][a-z0-9-]{0,62})/snapshots/[0-9]{6,12}-[0-9a-f]{16}\\.json");

    private static final Pattern SEGMENT = Pattern.compile("datasets/([a-z0-9][a-z0-9-]{0,62})/segments/[0-9]{6,12}-[0-9]{6,12}\\.jsonl");

    private ShardKeys() {}

    /** {@code datasets/{tenant}/segments/{first}-{last}.jsonl}: training shards first..last, compacted into one object. */
    public static String segmentKey(String tenant, int first, int last) {
        return String.format("datasets/%s/segments/%06d-%06d.jsonl", tenant, first, last);
    }

    public static boolean isSegment(String tenant, String key) {
        return matchesTenant(SEGMENT, tenant, key);
    }

    public static boolean isTrainingShard(String tenant, String key) {
        return matchesTenant(TRAINING, tenant, key);
    }

    public static boolean isHoldoutShard(String tenant, String key) {
        return matchesTenant(HOLDOUT, tenant, key);
    }

    /** {@code datasets/{tenant}/snapshots/{request number}-{first 16 hex of its sha256}.json}: see {@link DatasetSnapshot}. */
    public static boolean isSnapshot(String tenant, String key) {
        return matchesTenant(SNAPSHOT, tenant, key);
    }

    /**
     * A shard's rank for bottom-k sampling: murmur2 of its key, non-negative. The shards of smallest rank are a uniform
     * random sample of those offered, the same on every replica and after every restart.
     */
    public static long rank(String shardKey) {
        return org.apache.kafka.common.utils.Utils.toPositive(
                org.apache.kafka.common.utils.Utils.murmur2(shardKey.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static boolean matchesTenant(Pattern grammar, String tenant, String key) {
        var m = key == null ? null : grammar.matcher(key);
        return m != null && m.matches() && m.group(1).equals(tenant);
    }
}
