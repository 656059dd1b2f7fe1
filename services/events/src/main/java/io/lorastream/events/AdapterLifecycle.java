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

    public enum Transition { REJECTED, CANARY, PROMOTED, ROLLED_BACK }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Evidence(
            String rule,
            LiveSample candidate,
            LiveSample stable,
            Holdout holdout,
            Map<String, Double> thresholds) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Holdout(Evaluation candidate, Evaluation stable) {}

    @Override public String cloudEventId() { return "adapter-" + transition.name().toLowerCase() + ":" + tenant + ":v" + version; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return at; }
}
