package io.lorastream.events;

import java.time.Instant;
import java.util.List;

/**
 * The trainer deleted every adapter object of an offboarded tenant ({@code tenant-offboarded.v1.json}). The rollout then
 * forgets the tenant (a tombstone on {@code adapter-registry}: serving unloads it and drops its metrics) and answers the
 * admin's command.
 *
 * @param versions the versions whose objects were deleted (empty: the tenant had none)
 */
public record TenantOffboarded(String tenant, String commandId, List<Integer> versions, Instant offboardedAt) implements AdapterEvent {

    public TenantOffboarded {
        versions = List.copyOf(versions);
    }

    @Override public String cloudEventId() { return "tenant-offboarded:" + commandId; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return offboardedAt; }
}
