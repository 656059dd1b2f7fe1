package io.lorastream.serving;

import io.lorastream.events.TenantIds;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;

/** The serving settings, validated at start: every error names the configuration key and the value. */
public record ServingSettings(long cacheMaxBytes, Set<String> pinnedTenants, int maxBatchTexts, int maxTextsPerRequest,
                             int maxTextLength, int loadThreads, String replica) {

    public ServingSettings {
        require(cacheMaxBytes >= 1 << 20, "cache-max-bytes", cacheMaxBytes, "at least 1048576 (1 MiB)");
        for (String tenant : pinnedTenants) {
            require(TenantIds.isValid(tenant), "pinned-tenants", tenant, "tenant ids matching " + TenantIds.PATTERN.pattern());
        }
        require(maxBatchTexts >= 1 && maxBatchTexts <= 4096, "max-batch-texts", maxBatchTexts, "in 1..4096");
        require(maxTextsPerRequest >= 1 && maxTextsPerRequest <= 100_000, "max-texts-per-request", maxTextsPerRequest, "in 1..100000");
        require(maxTextLength >= 1, "max-text-length", maxTextLength, "at least 1");
        require(loadThreads >= 1 && loadThreads <= 64, "load-threads", loadThreads, "in 1..64");
        require(replica != null && !replica.isBlank() && replica.length() <= 128, "replica", replica, "1..128 characters");
        pinnedTenants = Set.copyOf(pinnedTenants);
    }

    public static ServingSettings from(ServingConfig.Serving c) {
        return new ServingSettings(c.cacheMaxBytes(), c.pinnedTenants().orElse(Set.of()), c.maxBatchTexts(), c.maxTextsPerRequest(),
                c.maxTextLength(), c.loadThreads(), c.replica().orElseGet(ServingSettings::hostName));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "serving";
        }
    }

    private static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("lorastream.serving." + key + "=" + value + ": must be " + expected);
        }
    }
}
