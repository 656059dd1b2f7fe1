package io.lorastream.streams;

import io.lorastream.events.TenantIds;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The feedback topology's settings, validated: every error names the configuration key and value. */
public record FeedbackSettings(
        HoldoutSplit split,
        Duration dedupWindow,
        int shardMaxExamples,
        Duration shardMaxAge,
        Duration checkInterval,
        TrainingPolicy defaultPolicy,
        Map<String, TrainingPolicy> tenantPolicies) {


    public FeedbackSettings {
        positive("lorastream.feedback.dedup-window", dedupWindow);
        if (shardMaxExamples < 1) {
            throw new IllegalArgumentException("lorastream.feedback.shard-max-examples=" + shardMaxExamples + ": must be at least 1");
        }
        positive("lorastream.feedback.shard-max-age", shardMaxAge);
        positive("lorastream.feedback.check-interval", checkInterval);
        tenantPolicies = Map.copyOf(tenantPolicies);
    }

    public static FeedbackSettings from(StreamProcessorConfig config) {
        StreamProcessorConfig.Feedback feedback = config.feedback();
        StreamProcessorConfig.Policy d = config.trainingPolicy().defaults();
        String defaultsKey = "lorastream.training-policy.defaults";
        TrainingPolicy defaults = new TrainingPolicy(defaultsKey, d.minExamples(), d.maxWait(), d.minExamplesAfterWait(), d.minInterval());
        Map<String, TrainingPolicy> tenants = new HashMap<>();
        config.trainingPolicy().tenants().forEach((tenant, o) -> {
            String key = "lorastream.training-policy.tenants.\"" + tenant + "\"";
            if (!TenantIds.isValid(tenant)) {
                throw new IllegalArgumentException(key + ": " + tenant + " is not a tenant id (" + TenantIds.PATTERN.pattern() + ")");
            }
            tenants.put(tenant, new TrainingPolicy(key,
                    o.minExamples().orElse(defaults.minExamples()),
                    o.maxWait().orElse(defaults.maxWait()),
                    o.minExamplesAfterWait().orElse(Math.min(defaults.minExamplesAfterWait(), o.minExamples().orElse(Integer.MAX_VALUE))),
                    o.minInterval().orElse(defaults.minInterval())));
        });
        return new FeedbackSettings(new HoldoutSplit(feedback.holdoutFraction()), feedback.dedupWindow(),
                feedback.shardMaxExamples(), feedback.shardMaxAge(), feedback.checkInterval(), defaults, tenants);
    }

    public TrainingPolicy policy(String tenant) {
        return tenantPolicies.getOrDefault(tenant, defaultPolicy);
    }

    private static void positive(String key, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + "=" + value + ": must be positive");
        }
    }
}
