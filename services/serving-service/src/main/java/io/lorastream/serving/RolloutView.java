package io.lorastream.serving;

import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.TrainingFailed;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this replica knows of the rollout, for the admin API: the latest registry entry per tenant, the
 * tenant's last training requests that made no version (seen since this replica started), and the answers
 * (lifecycle events under a command id) to the admin commands it sent and still waits for.
 */
final class RolloutView {
    /** Failed training requests kept per tenant: the newest. */
    static final int MAX_FAILURES = 5;

    private final Map<String, RegistryEntry> entries = new ConcurrentHashMap<>();
    private final Map<String, List<TrainingFailed>> failures = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<AdapterLifecycle>> awaited = new ConcurrentHashMap<>();

    void entry(RegistryEntry entry) {
        entries.merge(entry.tenant(), entry, (old, now) -> now.revision() >= old.revision() ? now : old);
    }

    void removed(String tenant) {
        entries.remove(tenant);
        failures.remove(tenant);
    }

    void trainingFailed(TrainingFailed failed) {
        failures.merge(failed.tenant(), List.of(failed), (old, now) -> {
            List<TrainingFailed> all = new java.util.ArrayList<>(old);
            all.addAll(now);
            return List.copyOf(all.subList(Math.max(0, all.size() - MAX_FAILURES), all.size()));
        });
    }

    /** The tenant's newest failed training requests, oldest first. */
    List<TrainingFailed> trainingFailures(String tenant) {
        return failures.getOrDefault(tenant, List.of());
    }

    /** Every tenant in the registry, by id. */
    List<RegistryEntry> entries() {
        return entries.values().stream().sorted(Comparator.comparing(RegistryEntry::tenant)).toList();
    }

    Optional<RegistryEntry> entry(String tenant) {
        return Optional.ofNullable(entries.get(tenant));
    }

    /** Call before the command is sent: its answer may arrive before the send is acknowledged. */
    CompletableFuture<AdapterLifecycle> await(String commandId) {
        return awaited.computeIfAbsent(commandId, id -> new CompletableFuture<>());
    }

    void forget(String commandId) {
        awaited.remove(commandId);
    }

    /** A lifecycle event on adapter-events: completes the wait for its command, if this replica sent it. */
    void answered(AdapterLifecycle event) {
        if (event.commandId() != null) {
            CompletableFuture<AdapterLifecycle> waiting = awaited.remove(event.commandId());
            if (waiting != null) {
                waiting.complete(event);
            }
        }
    }
}
