package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * What a tenant is served: the latest record per tenant on the compacted registry ({@code registry-entry.v1.json}).
 * A {@code pinned} version, set by an admin, serves all traffic instead of stable and candidate until unpinned;
 * {@code live} holds the labelled live samples of the phase in progress (a canary, or the watch after a promotion).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RegistryEntry(
        String tenant,
        long revision,
        VersionRef stable,
        Candidate candidate,
        VersionRef pinned,
        List<LiveSample> live,
        List<HistoryItem> history,
        Instant updatedAt) implements LoraEvent {

    /** A version and what proves its files: the manifest's sha256. */
    public record VersionRef(int version, String uri, String manifestSha256) {}

    public record Candidate(VersionRef ref, double trafficShare, boolean shadow) {}

    /**
     * One transition of a version.
     *
     * @param holdoutAccuracy the version's accuracy on the tenant's holdout (offline gate), on the transition that admitted or rejected it
     * @param live            its labelled live predictions when the decision was taken, if live evidence decided
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HistoryItem(int version, AdapterStatus status, Instant at, Double holdoutAccuracy, LiveSample live) {
        public HistoryItem(int version, AdapterStatus status, Instant at) {
            this(version, status, at, null, null);
        }
    }

    public RegistryEntry {
        history = List.copyOf(history);
        live = live == null || live.isEmpty() ? null : List.copyOf(live);
    }

    @Override public String cloudEventId() { return "registry:" + tenant + ":" + revision; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return updatedAt; }
}
