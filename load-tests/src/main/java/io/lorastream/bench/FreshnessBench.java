package io.lorastream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.Example;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventJson;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingRequest;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Freshness on the running local stack: labelled feedback for a new tenant goes in over HTTP in
 * batches; for every example, the time from its batch's 202 to the first prediction served by the
 * version trained on it, and where that time went.
 * <ul>
 *   <li>The version that first trained on an example: its manifest names its shards; the shards name the ids.
 *       Held-out examples are never trained on and are not counted.</li>
 *   <li>Served: from the {@code adapter-published} event of a version that passed its gate, the bench asks serving
 *       for a prediction for the tenant (about every 100 ms) until one comes from that version or a later one. An
 *       example whose version was never served (its gate failed) is counted apart.</li>
 *   <li>The breakdown, per example, on the bench's clock: <b>wait</b> (202 → its request on {@code training-requests}),
 *       <b>queue</b> (request → published, less the job's own phases: the trainer's queue and Kafka), the job's
 *       <b>read</b>, <b>train</b>, <b>grade</b> and <b>publish</b> (the event's {@code timingsMs}), and <b>reload</b>
 *       (published → served: the rollout, the registry, serving's load).</li>
 * </ul>
 */
@Command(name = "freshness-bench", mixinStandardHelpOptions = true,
        description = "Time from a feedback event to a prediction served by the version trained on it, and where it went.")
public final class FreshnessBench implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8081", description = "ingest") String url;
    @Option(names = "--serving", defaultValue = "http://127.0.0.1:8083") String serving;
    @Option(names = "--token", required = true, description = "an admin bearer token") String token;
    @Mixin KafkaClientOptions kafka;
    @Mixin S3ClientOptions s3;
    @Option(names = "--data", defaultValue = "${sys:lorastream.root:-.}/load-tests/data/uci-sentiment/amazon.tsv", description = "sentence<TAB>label file") Path data;
    @Option(names = "--batch", defaultValue = "50", description = "examples per request") int batch;
    @Option(names = "--interval-ms", defaultValue = "1000", description = "pause between requests") long intervalMs;
    @Option(names = "--quiet-seconds", defaultValue = "120", description = "stop when no new version came for this long after the last batch") int quietSeconds;

    /** The parts of an example's time, in order; they add up to its freshness. */
    static final List<String> PARTS = List.of("wait", "queue", "read", "train", "grade", "publish", "reload");
    private static final long PROBE_EVERY_NANOS = 100_000_000;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FreshnessBench()).execute(args));
    }

    /** A published version of the bench's tenant, on the bench's clock. */
    private record Published(AdapterPublished event, long receivedNanos, List<String> freshIds) {}

    @Override
    public Integer call() throws Exception {
        String tenant = "fresh-" + UUID.randomUUID().toString().substring(0, 8);
        List<Example> examples = Example.readTsv(data);
        Map<String, Long> acceptedAt = new HashMap<>();
        Map<String, Long> requestedAt = new HashMap<>(); // request id -> when it was seen
        Map<String, Integer> firstVersion = new HashMap<>(); // example id -> the version that first trained on it
        Map<Integer, Published> published = new TreeMap<>();
        Map<Integer, Long> servedAt = new TreeMap<>();
        List<String> versions = new ArrayList<>();
        ObjectMapper json = EventJson.MAPPER;
        try (StackClient stack = new StackClient(token, kafka.client());
             StackClient.Follower<AdapterEvent> events = stack.follow(Topics.ADAPTER_EVENTS, AdapterEvent.class); // rollout events ride along
             StackClient.Follower<TrainingRequest> requests = stack.follow(Topics.TRAINING_REQUESTS, TrainingRequest.class);
             MinioClient minio = s3.minio()) {
            int next = 0;
            long lastEventNanos = System.nanoTime();
            long lastSendNanos = 0;
            long lastProbeNanos = 0;
            System.err.printf("bench: %d examples for tenant %s in batches of %d every %d ms%n", examples.size(), tenant, batch, intervalMs);
            while (next < examples.size()
                    || System.nanoTime() - Math.max(lastEventNanos, lastSendNanos) < Duration.ofSeconds(quietSeconds).toNanos()) {
                if (next < examples.size() && System.nanoTime() - lastSendNanos >= intervalMs * 1_000_000) {
                    StringBuilder body = new StringBuilder();
                    List<String> ids = new ArrayList<>();
                    for (int i = next; i < Math.min(next + batch, examples.size()); i++) {
                        String id = tenant + "-" + i;
                        ids.add(id);
                        body.append(json.writeValueAsString(Map.of("id", id, "text", examples.get(i).text(), "label", examples.get(i).label()))).append('\n');
                    }
                    HttpResponse<String> response = stack.send(stack.request(url + "/v1/tenants/" + tenant + "/feedback", "application/x-ndjson")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
                    if (response.statusCode() != 202) {
                        throw new IllegalStateException("ingest answered " + response.statusCode() + ": " + response.body());
                    }
                    long now = System.nanoTime();
                    ids.forEach(id -> acceptedAt.put(id, now));
                    next += ids.size();
                    lastSendNanos = now;
                }
                for (var record : requests.poll(Duration.ofMillis(20))) {
                    if (tenant.equals(record.key()) && record.value() != null) {
                        requestedAt.putIfAbsent(record.value().requestId(), System.nanoTime());
                    }
                }
                for (var record : events.poll(Duration.ofMillis(50))) {
                    long received = System.nanoTime();
                    if (!tenant.equals(record.key()) || !(record.value() instanceof AdapterPublished event) || published.containsKey(event.version())) {
                        continue;
                    }
                    lastEventNanos = received;
                    List<String> fresh = new ArrayList<>();
                    JsonNode manifest = json.readTree(read(minio, s3.bucket(), "adapters/" + tenant + "/v" + event.version() + "/manifest.json"));
                    for (JsonNode shard : manifest.path("shards")) {
                        for (String line : new String(read(minio, s3.bucket(), shard.asText()), StandardCharsets.UTF_8).split("\n")) {
                            String id = json.readTree(line).path("id").asText();
                            if (acceptedAt.containsKey(id) && firstVersion.putIfAbsent(id, event.version()) == null) {
                                fresh.add(id);
                            }
                        }
                    }
                    published.put(event.version(), new Published(event, received, fresh));
                    versions.add(String.format(Locale.ROOT, "v%d: %d new examples, holdout accuracy %.4f, gate %s, job %s ms", event.version(),
                            fresh.size(), event.metrics().candidate().accuracy(), event.gate().passed() ? "passed" : "failed", event.timingsMs()));
                    System.err.println("bench: " + versions.get(versions.size() - 1));
                }
                if (unserved(published, servedAt) && System.nanoTime() - lastProbeNanos >= PROBE_EVERY_NANOS) {
                    lastProbeNanos = System.nanoTime();
                    // before the tenant's first version is loaded serving has no model of it: any answer but 200 is "not yet"
                    StackClient.Response answer = stack.call("POST", serving + "/v1/tenants/" + tenant + "/score",
                            "{\"texts\":[\"is this fresh?\"]}");
                    int version = answer.ok() ? answer.body().path("predictions").path(0).path("version").asInt(0) : 0;
                    long now = System.nanoTime();
                    for (Published p : published.values()) {
                        if (p.event().gate().passed() && p.event().version() <= version) {
                            servedAt.putIfAbsent(p.event().version(), now);
                        }
                    }
                }
            }
        }
        return report(tenant, acceptedAt, requestedAt, firstVersion, published, servedAt, versions);
    }

    /** A version that passed its gate and was not seen served yet. */
    private static boolean unserved(Map<Integer, Published> published, Map<Integer, Long> servedAt) {
        return published.values().stream().anyMatch(p -> p.event().gate().passed() && !servedAt.containsKey(p.event().version()));
    }

    private static int report(String tenant, Map<String, Long> acceptedAt, Map<String, Long> requestedAt, Map<String, Integer> firstVersion,
                              Map<Integer, Published> published, Map<Integer, Long> servedAt, List<String> versions) throws Exception {
        List<Double> toPublished = new ArrayList<>();
        List<Double> toServed = new ArrayList<>();
        Map<String, List<Double>> parts = new LinkedHashMap<>();
        PARTS.forEach(p -> parts.put(p, new ArrayList<>()));
        int neverServed = 0;
        for (var e : firstVersion.entrySet()) {
            Published p = published.get(e.getValue());
            long accepted = acceptedAt.get(e.getKey());
            toPublished.add((p.receivedNanos() - accepted) / 1e9);
            Long served = servedAt.get(e.getValue());
            if (served == null) {
                neverServed++;
                continue;
            }
            toServed.add((served - accepted) / 1e9);
            Long requested = requestedAt.get(p.event().trainingRequestId());
            Map<String, Long> job = p.event().timingsMs();
            double jobS = job.values().stream().mapToLong(Long::longValue).sum() / 1e3;
            if (requested != null) {
                parts.get("wait").add((requested - accepted) / 1e9);
                parts.get("queue").add(Math.max(0, (p.receivedNanos() - requested) / 1e9 - jobS));
            }
            for (String phase : AdapterPublished.TIMINGS) {
                parts.get(phase).add(job.getOrDefault(phase, 0L) / 1e3);
            }
            parts.get("reload").add((served - p.receivedNanos()) / 1e9);
        }
        Collections.sort(toPublished);
        Collections.sort(toServed);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("bench", "freshness");
        summary.put("tenant", tenant);
        summary.put("examples_sent", acceptedAt.size());
        summary.put("examples_trained", firstVersion.size());
        summary.put("examples_never_served", neverServed);
        summary.put("versions", versions);
        summary.put("p50_s", percentile(toServed, 0.5));
        summary.put("p90_s", percentile(toServed, 0.9));
        summary.put("max_s", toServed.isEmpty() ? Double.NaN : toServed.get(toServed.size() - 1));
        summary.put("published_p50_s", percentile(toPublished, 0.5));
        summary.put("published_p90_s", percentile(toPublished, 0.9));
        Map<String, Double> medians = new LinkedHashMap<>();
        parts.forEach((part, values) -> {
            Collections.sort(values);
            medians.put(part, percentile(values, 0.5));
        });
        summary.put("breakdown_p50_s", medians);
        System.out.printf(Locale.ROOT, "examples sent %d, trained on %d (the rest held out), versions %d, examples whose version was never served %d%n",
                acceptedAt.size(), firstVersion.size(), published.size(), neverServed);
        System.out.printf(Locale.ROOT, "feedback accepted -> a prediction served by a version trained on it: p50 %.1f s, p90 %.1f s, max %.1f s%n",
                percentile(toServed, 0.5), percentile(toServed, 0.9), summary.get("max_s"));
        System.out.printf(Locale.ROOT, "feedback accepted -> adapter-published of that version: p50 %.1f s, p90 %.1f s%n",
                percentile(toPublished, 0.5), percentile(toPublished, 0.9));
        StringBuilder line = new StringBuilder("where it went (median per example, s):");
        medians.forEach((part, value) -> line.append(String.format(Locale.ROOT, " %s %.2f", part, value)));
        System.out.println(line);
        System.out.println(new ObjectMapper().writeValueAsString(summary));
        return toServed.isEmpty() ? 1 : 0;
    }

    private static byte[] read(MinioClient minio, String bucket, String key) throws Exception {
        try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        }
    }

    static double percentile(List<Double> sorted, double q) {
        return sorted.isEmpty() ? Double.NaN : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }
}
