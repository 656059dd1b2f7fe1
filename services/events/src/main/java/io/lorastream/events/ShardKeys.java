package io.lorastream.events;

import java.util.regex.Pattern;

/**
 * The grammar of a tenant's dataset shard keys ({@code common.v1.json#/$defs/trainingShardKey} and
 * {@code holdoutShardKey}): {@code datasets/{tenant}/shards/{sequence}.jsonl} and
 * {@code datasets/{tenant}/holdout/{sequence}.jsonl}. A key that does not match exactly — another
 * tenant's, {@code ..}, another folder — is never read.
 */
public final class ShardKeys {
    private static final Pattern TRAINING = Pattern.compile("datasets/([a-z0-9][a-z0-9-]{0,62})/shards/[0-9]{6,12}\\.jsonl");
    private static final Pattern HOLDOUT = Pattern.compile("datasets/([a-z0-9][a-z0-9-]{0,62})/holdout/[0-9]{6,12}\\.jsonl");

    private ShardKeys() {}

    public static boolean isTrainingShard(String tenant, String key) {
        return matchesTenant(TRAINING, tenant, key);
    }

    public static boolean isHoldoutShard(String tenant, String key) {
        return matchesTenant(HOLDOUT, tenant, key);
    }

    private static boolean matchesTenant(Pattern grammar, String tenant, String key) {
        var m = key == null ? null : grammar.matcher(key);
        return m != null && m.matches() && m.group(1).equals(tenant);
    }
}
