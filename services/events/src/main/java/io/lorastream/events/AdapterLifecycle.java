package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;

/** A rollout decision on one version, with its evidence ({@code adapter-lifecycle.v1.json}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterLifecycle(
        String tenant,
        int version,
        Transition transition,
        Integer stableVersion,
        String reason,
        String commandId,
        Evidence evidence,
        Instant at) implements AdapterEvent {

    /**
     * The rollout's transitions of a version; PINNED / UNPINNED apply an admin's pin; REFUSED answers an admin
     * command the machine did not apply (the reason says why; version is the command's, else the stable's, else 0).
     */
    /** WATCH_PASSED: the regression watch after a promotion is over without a regression; the promoted version stays. */
    /** OFFBOARDED: the tenant is forgotten, answering the admin's OFFBOARD command; ERASED answers ERASE (both version 0). */
    public enum Transition { REJECTED, CANARY, PROMOTED, ROLLED_BACK, WATCH_PASSED, PINNED, UNPINNED, REFUSED, OFFBOARDED, ERASED }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Evidence(
            String rule,
            LiveSample candidate,
            LiveSample stable,
            Holdout holdout,
            Map<String, Double> thresholds) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Holdout(Evaluation candidate, Evaluation stable) {}

    /** One decision per version, or one answer per admin command. */
    @Override public String cloudEventId() {
        String what = transition.name().toLowerCase(java.util.Locale.ROOT);
        return commandId != null ? "adapter-" + what + ":" + commandId : "adapter-" + what + ":" + tenant + ":v" + version;
    }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return at; }
}
