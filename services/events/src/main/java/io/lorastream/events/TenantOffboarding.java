package io.lorastream.events;

import java.time.Instant;

/**
 * An admin's offboarding of a tenant, passed on to the trainer on {@code training-requests} ({@code tenant-offboarding.v1.json})
 * by the stream-processor once it has forgotten the tenant's dataset. Behind the tenant's earlier requests in its partition,
 * so the trainer deletes the tenant's adapters after the last job that could publish one; it answers with
 * {@link TenantOffboarded}.
 *
 * @param commandId the admin's {@code adapter-commands} command: the answers carry it
 */
public record TenantOffboarding(String tenant, String commandId, String requestedBy, Instant requestedAt) implements TrainingRequest {

    @Override public String requestId() { return "offboarding:" + commandId; }
    @Override public String cloudEventId() { return requestId(); }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return requestedAt; }
}
