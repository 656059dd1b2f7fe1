package io.lorastream.serving;

import io.lorastream.events.TenantIds;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.OptionalInt;
import java.util.Set;

/** The serving settings, validated at start: every error names the configuration key and the value. */
public record ServingSettings(long cacheMaxBytes, Set<String> pinnedTenants, int maxBatchTexts, int maxTextsPerRequest,
                             int maxTextLength, int loadThreads, String replica, java.time.Duration commandTimeout,
                             OptionalInt intraOpThreads) {

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
        require(commandTimeout.compareTo(java.time.Duration.ofMillis(100)) >= 0 && commandTimeout.compareTo(java.time.Duration.ofMinutes(5)) <= 0,
                "command-timeout", commandTimeout, "between 0.1 s and 5 min");
        intraOpThreads.ifPresent(n -> require(n >= 1 && n <= 1024, "intra-op-threads", n, "in 1..1024"));
        pinnedTenants = Set.copyOf(pinnedTenants);
    }

    /**
     * The texts of one request, REST or Kafka, within this replica's limits.
     *
     * @throws TenantAccess.InvalidRequestException naming {@code texts} or {@code texts[i]} and the limit
     */
    void checkTexts(java.util.List<String> texts) {
        if (texts == null || texts.isEmpty()) {
            throw new TenantAccess.InvalidRequestException("texts: a non-empty array of strings is required, e.g. {\"texts\": [\"great product\"]}");
        }
        if (texts.size() > maxTextsPerRequest) {
            throw new TenantAccess.InvalidRequestException("texts: " + texts.size() + " texts, at most "
                    + maxTextsPerRequest + " per request (lorastream.serving.max-texts-per-request)");
        }
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text == null || text.isBlank()) {
                throw new TenantAccess.InvalidRequestException("texts[" + i + "]: must be a non-blank string");
            }
            if (text.length() > maxTextLength) {
                throw new TenantAccess.InvalidRequestException("texts[" + i + "]: " + text.length() + " characters, at most "
                        + maxTextLength + " (lorastream.serving.max-text-length)");
            }
        }
    }

    public static ServingSettings from(ServingConfig.Serving c) {
        return new ServingSettings(c.cacheMaxBytes(), c.pinnedTenants().orElse(Set.of()), c.maxBatchTexts(), c.maxTextsPerRequest(),
                c.maxTextLength(), c.loadThreads(), c.replica().orElseGet(ServingSettings::hostName), c.commandTimeout(), c.intraOpThreads());
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
