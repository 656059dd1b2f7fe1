package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * A complete new adapter version in object storage ({@code adapter-published.v1.json}).
 *
 * @param parentVersion   the stable version it was warm-started from; null for a fresh adapter
 * @param baselineVersion the registry's stable when its job started: its line was replayed and it is the gate's
 *                        baseline; null when the tenant had none (and in events of before 2026-12-04)
 * @param timingsMs       where the job's time went ({@link #TIMINGS}, milliseconds); empty for a version published again
 *                        (and in events of before 2026-12-05)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterPublished(
        String tenant,
        int version,
        Integer parentVersion,
        Integer baselineVersion,
        String uri,
        BaseModel baseModel,
        Map<String, String> files,
        String trainingRequestId,
        Metrics metrics,
        Gate gate,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Long> timingsMs,
        Instant publishedAt) implements AdapterEvent {

    /** The phases of {@link #timingsMs}, in the order a job goes through them. */
    public static final java.util.List<String> TIMINGS = java.util.List.of("read", "train", "grade", "publish");

    /** An event without timings. */
    public AdapterPublished(String tenant, int version, Integer parentVersion, Integer baselineVersion, String uri, BaseModel baseModel,
                            Map<String, String> files, String trainingRequestId, Metrics metrics, Gate gate, Instant publishedAt) {
        this(tenant, version, parentVersion, baselineVersion, uri, baseModel, files, trainingRequestId, metrics, gate, Map.of(), publishedAt);
    }

    public record BaseModel(String id, String sha256) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Metrics(Evaluation candidate, Evaluation stable) {}

    /**
     * @param alpha  level of the test that the candidate is worse (absent in events of before 2026-11-30)
     * @param pWorse one-sided exact McNemar p-value of "the candidate is less accurate than stable" on the holdout's
     *               paired predictions; absent without a stable to compare with
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Gate(boolean passed, double margin, Double alpha, Double pWorse) {
        public Gate(boolean passed, double margin) {
            this(passed, margin, null, null);
        }
    }

    public AdapterPublished {
        files = java.util.Collections.unmodifiableMap(new TreeMap<>(files));
        timingsMs = timingsMs == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(timingsMs));
    }

    @Override public String cloudEventId() { return "adapter-published:" + tenant + ":v" + version; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return publishedAt; }
}
