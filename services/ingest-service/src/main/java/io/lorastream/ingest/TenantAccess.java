package io.lorastream.ingest;

import io.lorastream.events.TenantIds;
import java.util.List;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who may touch a tenant: a bearer token's subject is its tenant ({@code groups: ["tenant"]}),
 * and {@code groups: ["admin"]} may touch every tenant. Tokens are RS256 JWTs from
 * {@code ./lorastream token TENANT [--admin]} (or the deployment's issuer).
 */
public final class TenantAccess {
    public static final String TENANT_ROLE = "tenant";
    public static final String ADMIN_ROLE = "admin";

    private TenantAccess() {}

    /** @throws InvalidBatchException for a malformed tenant id, {@link ForbiddenException} for another tenant's token */
    public static void check(JsonWebToken token, String tenant) {
        if (!TenantIds.isValid(tenant)) {
            throw new InvalidBatchException("tenant id " + tenant + " is not valid",
                    List.of(new FieldError(null, null, "tenant", "must match " + TenantIds.PATTERN.pattern() + " (it becomes a Kafka key and an S3 path)")));
        }
        if (token.getGroups().contains(ADMIN_ROLE)) {
            return;
        }
        if (!tenant.equals(token.getSubject())) {
            throw new ForbiddenException("this token is for tenant " + token.getSubject() + ", not " + tenant);
        }
    }

    /** 403. */
    public static final class ForbiddenException extends RuntimeException {
        public ForbiddenException(String message) {
            super(message);
        }
    }
}
