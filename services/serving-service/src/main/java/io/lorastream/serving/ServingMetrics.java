package io.lorastream.serving;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** What /q/metrics shows of serving: resident adapters and bytes, loads, evictions, batches, versions served. */
public final class ServingMetrics {
    private static final String PREDICTIONS = "lorastream.serving.predictions";

    private final MeterRegistry registry;
    private final Timer loadLatency;
    private final Counter evictions;
    private final Counter coldLoads;
    private final DistributionSummary batchTexts;
    private final DistributionSummary batchAdapters;
    private final Map<String, AtomicInteger> servedVersion = new ConcurrentHashMap<>();

    public ServingMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.loadLatency = Timer.builder("lorastream.serving.adapter.load")
                .description("registry entry to swap: fetch, check and load, or the wait for a prefetch")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.evictions = Counter.builder("lorastream.serving.adapter.evictions").register(registry);
        this.coldLoads = Counter.builder("lorastream.serving.adapter.cold.loads").description("evicted adapters loaded again by a request")
                .register(registry);
        this.batchTexts = DistributionSummary.builder("lorastream.serving.batch.texts").register(registry);
        this.batchAdapters = DistributionSummary.builder("lorastream.serving.batch.adapters").description("distinct adapters in one forward")
                .register(registry);
    }

    void residentGauges(Supplier<Number> adapters, Supplier<Number> bytes) {
        // strong references: a gauge holds its object weakly, and these suppliers are referenced nowhere else
        Gauge.builder("lorastream.serving.adapters.resident", adapters, s -> s.get().doubleValue()).strongReference(true).register(registry);
        Gauge.builder("lorastream.serving.adapters.resident.bytes", bytes, s -> s.get().doubleValue())
                .strongReference(true).register(registry);
    }

    void loaded(String slot, int version, Duration took, boolean prefetched) {
        loadLatency.record(took);
        registry.counter("lorastream.serving.adapter.swaps", "prefetched", String.valueOf(prefetched)).increment();
        String role = Slots.isCandidate(slot) ? "candidate" : "stable";
        servedVersion.computeIfAbsent(slot, t -> registry.gauge("lorastream.serving.version",
                io.micrometer.core.instrument.Tags.of("tenant", Slots.tenant(slot), "role", role), new AtomicInteger())).set(version);
    }

    void refused(String tenant) {
        registry.counter("lorastream.serving.adapter.refused", "tenant", tenant).increment();
    }

    void evicted() {
        evictions.increment();
    }

    void coldLoad() {
        coldLoads.increment();
    }

    void batch(int texts, int adapters) {
        batchTexts.record(texts);
        batchAdapters.record(adapters);
    }

    void scored(String source, int texts) {
        registry.counter("lorastream.serving.texts.scored", "source", source).increment(texts);
    }

    /** Predictions by version and route: a metric, and the observed traffic split the admin API shows. */
    void predictions(String tenant, int version, io.lorastream.events.ScoreCompleted.Route route, int n) {
        registry.counter(PREDICTIONS, "tenant", tenant, "version", String.valueOf(version), "route", route.name()).increment(n);
    }

    /** Retention deleted these versions: their series go, so that the series do not grow with a tenant's history. */
    void retired(String tenant, java.util.Collection<Integer> versions) {
        for (int version : versions) {
            registry.find(PREDICTIONS).tag("tenant", tenant).tag("version", String.valueOf(version)).meters().forEach(registry::remove);
        }
    }

    /** This replica's predictions for a tenant since it started: version → route → count. */
    /** An offboarded tenant: every series tagged with it goes (predictions, served versions, refusals). */
    void forget(String tenant) {
        registry.getMeters().stream().filter(m -> tenant.equals(m.getId().getTag("tenant"))).toList().forEach(registry::remove);
        servedVersion.keySet().removeIf(slot -> Slots.tenant(slot).equals(tenant));
    }

    Map<Integer, Map<String, Long>> predictionCounts(String tenant) {
        Map<Integer, Map<String, Long>> counts = new java.util.TreeMap<>();
        for (Counter c : registry.find(PREDICTIONS).tag("tenant", tenant).counters()) {
            counts.computeIfAbsent(Integer.valueOf(c.getId().getTag("version")), v -> new java.util.TreeMap<>())
                    .put(c.getId().getTag("route"), (long) c.count());
        }
        return counts;
    }

    void rejected(String reason) {
        registry.counter("lorastream.serving.requests.rejected", "reason", reason).increment();
    }

    void unrecorded(int predictions) {
        registry.counter("lorastream.serving.results.unrecorded").increment(predictions);
    }
}
