package io.lorastream.serving;

import io.lorastream.events.TenantIds;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The same rule as ingest's: a token's subject is its tenant ({@code groups: ["tenant"]}); {@code
 * groups: ["admin"]} reaches every tenant. A tenant's token reaches only its own adapters.
 */
final class TenantAccess {
    static final String TENANT_ROLE = "tenant";
    static final String ADMIN_ROLE = "admin";

    private TenantAccess() {}

    /** @throws InvalidRequestException for a malformed tenant id, {@link ForbiddenException} for another tenant's token */
    static void check(JsonWebToken token, String tenant) {
        if (!TenantIds.isValid(tenant)) {
            throw new InvalidRequestException("tenant id " + tenant + " is not valid: it must match " + TenantIds.PATTERN.pattern());
        }
        if (!token.getGroups().contains(ADMIN_ROLE) && !tenant.equals(token.getSubject())) {
            throw new ForbiddenException("this token is for tenant " + token.getSubject() + ", not " + tenant);
        }
    }

    /** 403. */
    static final class ForbiddenException extends RuntimeException {
        ForbiddenException(String message) {
            super(message);
        }
    }

    /** 400. */
    static final class InvalidRequestException extends RuntimeException {
        InvalidRequestException(String message) {
            super(message);
        }
    }
}
