package io.lorastream.events;

import java.time.Instant;
import java.util.List;

/**
 * A training request produced no version ({@code training-failed.v1.json}). The trainer acknowledged it and
 * went on with other work; the stream-processor puts {@code retryShards} back among the tenant's new
 * examples, so that the tenant's next request holds them.
 *
 * @param kind        REFUSED: the data cannot make a version as it is; FAILED: the job broke for another reason
 * @param retryShards the request's training shards that exist
 */
public record TrainingFailed(String requestId, String tenant, Kind kind, String reason, List<String> retryShards, Instant failedAt)
        implements AdapterEvent {

    public enum Kind { REFUSED, FAILED }

    /** The schema's limit on {@link #reason}. */
    static final int MAX_REASON = 4000;

    public TrainingFailed {
        retryShards = List.copyOf(retryShards);
        reason = reason == null || reason.isBlank() ? "(no reason given)" : reason;
        reason = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON - 3) + "..." : reason;
        String prefix = "datasets/" + tenant + "/";
        for (String key : retryShards) {
            if (!ShardKeys.isTrainingShard(tenant, key)) {
                throw new IllegalArgumentException("retryShards: " + key + " is not a training shard under " + prefix);
            }
        }
    }

    @Override public String cloudEventId() { return "training-failed:" + requestId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return failedAt; }
}
