package io.lorastream.events;

import java.util.regex.Pattern;

/** Tenant ids become Kafka keys and S3 path segments, so they are restricted (common.v1.json#/$defs/tenantId). */
public final class TenantIds {
    /** For annotations, which need a constant string. */
    public static final String REGEX = "[a-z0-9][a-z0-9-]{0,62}";
    public static final Pattern PATTERN = Pattern.compile(REGEX);

    private TenantIds() {}

    public static boolean isValid(String tenant) {
        return tenant != null && PATTERN.matcher(tenant).matches();
    }
}
