package io.lorastream.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.engine.Adapter;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Example;
import io.lorastream.engine.LoraConfig;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.Evaluation;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.ScoreCompleted;
import io.lorastream.events.ScoreRequested;
import io.lorastream.events.Topics;
import io.lorastream.store.AdapterRepository;
import io.lorastream.store.ObjectStore;
import io.lorastream.store.VersionManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * serving-service on the running local stack. (1) Hot reload: versions published as the trainer
 * publishes them (files to S3, then {@code adapter-published}), while a client scores the tenant
 * without pause; for each, the time from the event to the first answer that carries it (through the
 * stream-processor's registry and serving's background load), p50/p99. (2) Scoring under load:
 * {@code --tenants} tenants, {@code --clients} concurrent HTTP clients sending one text each, then the
 * same rate of requests over {@code score-requests}; throughput and latency p50/p99 of each.
 */
@Command(name = "serving-bench", mixinStandardHelpOptions = true)
public final class ServingBench implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8083") String url;
    @Option(names = "--token", required = true, description = "an admin bearer token") String token;
    @Mixin KafkaClientOptions kafka;
    @Mixin S3ClientOptions s3;
    @Option(names = "--data", defaultValue = "${sys:lorastream.root:-.}/load-tests/data/sst2/dev.tsv") Path data;
    @Option(names = "--reloads", defaultValue = "30") int reloads;
    @Option(names = "--tenants", defaultValue = "16") int tenants;
    @Option(names = "--clients", defaultValue = "16") int clients;
    @Option(names = "--seconds", defaultValue = "20") int seconds;
    @Option(names = "--kafka-load", defaultValue = "0.5", description = "Kafka request rate as a share of the HTTP phase's throughput") double kafkaLoad;

    private StackClient stack;

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        System.exit(new CommandLine(new ServingBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> texts = Example.readTsv(data).stream().map(Example::text).toList();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("bench", "serving");
        try (BaseModel base = BaseModel.embedded(Device.cpu());
             ObjectStore store = s3.objectStore();
             StackClient client = new StackClient(token, kafka.client())) {
            stack = client;
            String run = UUID.randomUUID().toString().substring(0, 6);
            reload(base, store, "reload-" + run, summary);
            List<String> loadTenants = new ArrayList<>();
            for (int i = 0; i < tenants; i++) {
                String tenant = "load-" + run + "-" + i;
                publish(base, store, tenant, 1);
                loadTenants.add(tenant);
            }
            for (String tenant : loadTenants) {
                awaitVersion(tenant, 1, Duration.ofSeconds(60));
            }
            double httpRate = httpLoad(loadTenants, texts, summary);
            kafkaLoad(loadTenants, texts, Math.max(1, httpRate * kafkaLoad), summary);
        }
        System.out.println(io.lorastream.events.EventJson.MAPPER.writeValueAsString(summary));
        return 0;
    }

    /** (1) event → first answer carrying the version, while a client scores without pause. */
    private void reload(BaseModel base, ObjectStore store, String tenant, Map<String, Object> summary) throws Exception {
        publish(base, store, tenant, 1);
        awaitVersion(tenant, 1, Duration.ofSeconds(60));
        Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean swapping = new AtomicBoolean();
        List<Double> quiet = Collections.synchronizedList(new ArrayList<>());
        List<Double> duringSwaps = Collections.synchronizedList(new ArrayList<>());
        Thread client = new Thread(() -> {
            while (!stop.get()) {
                try {
                    boolean swap = swapping.get();
                    long started = System.nanoTime();
                    int version = score(tenant, List.of("how fresh is this?")).path("predictions").path(0).path("version").asInt();
                    firstSeen.putIfAbsent(version, System.nanoTime());
                    (swap ? duringSwaps : quiet).add((System.nanoTime() - started) / 1e6);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        client.start();
        // where the time goes: the stream-processor's registry entry naming the version (read_committed, as serving reads it)
        Map<Integer, Long> registered = new ConcurrentHashMap<>();
        StackClient.Follower<RegistryEntry> entries = stack.follow(Topics.ADAPTER_REGISTRY, RegistryEntry.class); // from now, as serving reads it
        Thread registry = new Thread(() -> {
            try (entries) {
                while (!stop.get()) {
                    for (var record : entries.poll(Duration.ofMillis(20))) {
                        if (tenant.equals(record.key())) {
                            registered.putIfAbsent(record.value().stable().version(), System.nanoTime());
                        }
                    }
                }
            }
        });
        registry.start();
        List<Double> latencies = new ArrayList<>();
        List<Double> toRegistry = new ArrayList<>();
        for (int version = 2; version <= reloads + 1; version++) {
            AdapterPublished event = prepare(base, store, tenant, version);
            Thread.sleep(100); // quiet requests after the upload, before the announcement
            swapping.set(true);
            long sent = System.nanoTime();
            long sentWall = System.currentTimeMillis();
            stack.publish(Topics.ADAPTER_EVENTS, event).get();
            long deadline = sent + Duration.ofSeconds(30).toNanos();
            while (!firstSeen.containsKey(version) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            Long seen = firstSeen.get(version);
            if (seen == null) {
                throw new IllegalStateException(tenant + " v" + version + " was not served within 30 s");
            }
            latencies.add((seen - sent) / 1e6);
            Thread.sleep(50);
            Long registeredAt = registered.get(version);
            System.err.printf(Locale.ROOT, "bench: v%d sent at %tT.%<tL registry %s ms, first prediction %.0f ms%n", version, sentWall,
                    registeredAt == null ? "?" : String.format(Locale.ROOT, "%.0f", (registeredAt - sent) / 1e6), (seen - sent) / 1e6);
            swapping.set(false);
            Thread.sleep(150);
            Long entered = registered.get(version);
            if (entered != null) {
                toRegistry.add((entered - sent) / 1e6);
            }
        }
        stop.set(true);
        client.join();
        registry.join();
        Collections.sort(latencies);
        Collections.sort(toRegistry);
        List<Double> calm = new ArrayList<>(quiet);
        List<Double> swaps = new ArrayList<>(duringSwaps);
        Collections.sort(calm);
        Collections.sort(swaps);
        summary.put("request_ms_quiet_p50_p99", List.of(FreshnessBench.percentile(calm, 0.5), FreshnessBench.percentile(calm, 0.99)));
        summary.put("request_ms_during_swaps_p50_p99", List.of(FreshnessBench.percentile(swaps, 0.5), FreshnessBench.percentile(swaps, 0.99)));
        System.out.printf(Locale.ROOT, "one client's requests: quiet p50 %.1f / p99 %.1f ms (%d), while announcing and swapping p50 %.1f / p99 %.1f ms (%d), none failed%n",
                FreshnessBench.percentile(calm, 0.5), FreshnessBench.percentile(calm, 0.99), calm.size(),
                FreshnessBench.percentile(swaps, 0.5), FreshnessBench.percentile(swaps, 0.99), swaps.size());
        summary.put("published_to_registry_p50_ms", FreshnessBench.percentile(toRegistry, 0.5));
        summary.put("published_to_registry_p99_ms", FreshnessBench.percentile(toRegistry, 0.99));
        System.out.printf(Locale.ROOT, "adapter-published -> registry entry committed (%d): p50 %.0f ms, p99 %.0f ms%n",
                toRegistry.size(), FreshnessBench.percentile(toRegistry, 0.5), FreshnessBench.percentile(toRegistry, 0.99));
        summary.put("reloads", latencies.size());
        summary.put("published_to_first_prediction_p50_ms", FreshnessBench.percentile(latencies, 0.5));
        summary.put("published_to_first_prediction_p99_ms", FreshnessBench.percentile(latencies, 0.99));
        System.out.printf(Locale.ROOT, "adapter-published -> first prediction with it (%d versions): p50 %.0f ms, p99 %.0f ms (goal p99 <= 250 ms)%n",
                latencies.size(), FreshnessBench.percentile(latencies, 0.5), FreshnessBench.percentile(latencies, 0.99));
    }

    /** (2a) closed loop: each client sends one text to a random tenant, waits, repeats. */
    private double httpLoad(List<String> loadTenants, List<String> texts, Map<String, Object> summary) throws Exception {
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failures = new AtomicInteger();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Random random = new Random(c);
            Thread thread = new Thread(() -> {
                while (System.nanoTime() < end) {
                    long started = System.nanoTime();
                    try {
                        score(loadTenants.get(random.nextInt(loadTenants.size())), List.of(texts.get(random.nextInt(texts.size()))));
                        latencies.add((System.nanoTime() - started) / 1e6);
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        List<Double> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        double rate = sorted.size() / (double) seconds;
        summary.put("http_clients", clients);
        summary.put("http_requests_per_s", rate);
        summary.put("http_failures", failures.get());
        summary.put("http_latency_p50_ms", FreshnessBench.percentile(sorted, 0.5));
        summary.put("http_latency_p99_ms", FreshnessBench.percentile(sorted, 0.99));
        System.out.printf(Locale.ROOT, "HTTP, %d clients, %d tenants, 1 text per request: %.1f requests/s, p50 %.0f ms, p99 %.0f ms, %d failed%n",
                clients, loadTenants.size(), rate, FreshnessBench.percentile(sorted, 0.5), FreshnessBench.percentile(sorted, 0.99), failures.get());
        return rate;
    }

    /** (2b) open loop at {@code rate} requests/s over score-requests; latency = produce → result consumed. */
    private void kafkaLoad(List<String> loadTenants, List<String> texts, double rate, Map<String, Object> summary) throws Exception {
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        List<Double> latencies = new ArrayList<>();
        try (StackClient.Follower<ScoreCompleted> results = stack.follow(Topics.SCORE_RESULTS, ScoreCompleted.class)) {
            Random random = new Random(7);
            long intervalNanos = (long) (1e9 / rate);
            long start = System.nanoTime();
            long end = start + Duration.ofSeconds(seconds).toNanos();
            long next = start;
            int sent = 0;
            while (System.nanoTime() < end || (!sentAt.isEmpty() && System.nanoTime() < end + Duration.ofSeconds(30).toNanos())) {
                while (System.nanoTime() >= next && System.nanoTime() < end) {
                    String tenant = loadTenants.get(random.nextInt(loadTenants.size()));
                    ScoreRequested request = new ScoreRequested("bench-" + UUID.randomUUID(), tenant,
                            List.of(texts.get(random.nextInt(texts.size()))), Instant.now());
                    sentAt.put(request.requestId(), System.nanoTime());
                    stack.publish(Topics.SCORE_REQUESTS, request);
                    sent++;
                    next += intervalNanos;
                }
                for (var record : results.poll(Duration.ofMillis(5))) {
                    long now = System.nanoTime();
                    Long at = sentAt.remove(record.value().requestId());
                    if (at != null) {
                        latencies.add((now - at) / 1e6);
                    }
                }
            }
            Collections.sort(latencies);
            summary.put("kafka_requests_per_s", rate);
            summary.put("kafka_requests_sent", sent);
            summary.put("kafka_results", latencies.size());
            summary.put("kafka_latency_p50_ms", FreshnessBench.percentile(latencies, 0.5));
            summary.put("kafka_latency_p99_ms", FreshnessBench.percentile(latencies, 0.99));
            System.out.printf(Locale.ROOT, "Kafka, %.1f requests/s open loop, 1 text each: %d sent, %d answered, p50 %.0f ms, p99 %.0f ms%n",
                    rate, sent, latencies.size(), FreshnessBench.percentile(latencies, 0.5), FreshnessBench.percentile(latencies, 0.99));
        }
    }

    private JsonNode score(String tenant, List<String> texts) throws Exception {
        return stack.score(url, tenant, texts);
    }

    private void awaitVersion(String tenant, int version, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (score(tenant, List.of("ready?")).path("predictions").path(0).path("version").asInt() == version) {
                    return;
                }
            } catch (IllegalStateException notYet) {
                // 404/503 until the registry entry and the load arrive
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(tenant + " v" + version + " not served within " + within);
    }

    private void publish(BaseModel base, ObjectStore store, String tenant, int version) throws Exception {
        stack.publish(Topics.ADAPTER_EVENTS, prepare(base, store, tenant, version)).get();
    }

    /** The version's files and manifest in S3, as the trainer writes them (manifest last); the event that announces it. */
    private AdapterPublished prepare(BaseModel base, ObjectStore store, String tenant, int version) throws Exception {
        Path dir = Files.createTempDirectory("bench-adapter-");
        try {
            return prepare(base, store, tenant, version, dir);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }

    private AdapterPublished prepare(BaseModel base, ObjectStore store, String tenant, int version, Path dir) throws Exception {
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("negative", "positive"), version)) {
            AdapterFiles.save(adapter, dir);
        }
        VersionManifest draft = new VersionManifest(tenant, version, version > 1 ? version - 1 : null, version > 1 ? version - 1 : null, "bench:" + tenant + ":" + version,
                new AdapterPublished.BaseModel(base.id(), base.sha256()), List.of(), List.of(), List.of(), List.of(), null, Map.of(),
                new AdapterPublished.Metrics(new Evaluation(0.9, null, null, 100), null), new AdapterPublished.Gate(true, 0.02),
                Map.of(), 0, "cpu", Instant.now());
        AdapterRepository repository = new AdapterRepository(store);
        AdapterRepository.Published published = repository.publish(draft, dir);
        VersionManifest manifest = published.manifest();
        return new AdapterPublished(tenant, version, manifest.parentVersion(), manifest.baselineVersion(), repository.uri(tenant, version), manifest.baseModel(),
                published.files(), manifest.trainingRequestId(), manifest.metrics(), manifest.gate(), Instant.now());
    }
}
