package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/** An admin request for the rollout state machine ({@code adapter-command.v1.json}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterCommand(
        String commandId,
        String tenant,
        Action action,
        Integer version,
        String requestedBy,
        String reason,
        Instant requestedAt,
        String feedbackId) implements LoraEvent {

    /** A command on the tenant's versions (every action but ERASE). */
    public AdapterCommand(String commandId, String tenant, Action action, Integer version, String requestedBy, String reason, Instant requestedAt) {
        this(commandId, tenant, action, version, requestedBy, reason, requestedAt, null);
    }

    /**
     * OFFBOARD: forget the tenant — its datasets, adapters, registry entry, state and metrics (no version). ERASE: one example
     * ({@code feedbackId}) leaves the tenant's future training (a right-to-erasure request; docs/feedback.md says how fast).
     */
    public enum Action { ROLLBACK, PROMOTE, PIN, UNPIN, OFFBOARD, ERASE }

    @Override public String cloudEventId() { return commandId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return requestedAt; }
}
