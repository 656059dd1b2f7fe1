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
        Instant requestedAt) implements LoraEvent {

    /** OFFBOARD: forget the tenant — its datasets, adapters, registry entry, state and metrics (no version). */
    public enum Action { ROLLBACK, PROMOTE, PIN, UNPIN, OFFBOARD }

    @Override public String cloudEventId() { return commandId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return requestedAt; }
}
