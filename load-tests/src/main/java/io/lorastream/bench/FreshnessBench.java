package io.lorastream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorastream.engine.Example;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventJson;
import io.lorastream.events.Topics;
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
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Freshness on the running local stack: labelled feedback for a new tenant goes in over HTTP in
 * batches; for every example, the time from its batch's 202 to the {@code adapter-published} event of
 * the first version trained on it (the version's manifest names its shards; the shards name the ids).
 * Held-out examples are never trained on and are not counted.
 */
@Command(name = "freshness-bench", mixinStandardHelpOptions = true,
        description = "Time from a feedback event to the adapter-published event of a version trained on it.")
public final class FreshnessBench implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8081") String url;
    @Option(names = "--token", required = true, description = "an admin bearer token") String token;
    @Mixin KafkaClientOptions kafka;
    @Option(names = "--s3", defaultValue = "http://127.0.0.1:9000") String s3;
    @Option(names = "--access-key", required = true, description = "the stack's S3 access key (the launcher passes its own)") String accessKey;
    @Option(names = "--secret-key", required = true) String secretKey;
    @Option(names = "--data", defaultValue = "${sys:lorastream.root:-.}/load-tests/data/uci-sentiment/amazon.tsv", description = "sentence<TAB>label file") Path data;
    @Option(names = "--batch", defaultValue = "50", description = "examples per request") int batch;
    @Option(names = "--interval-ms", defaultValue = "1000", description = "pause between requests") long intervalMs;
    @Option(names = "--quiet-seconds", defaultValue = "120", description = "stop when no new version came for this long after the last batch") int quietSeconds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FreshnessBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String tenant = "fresh-" + UUID.randomUUID().toString().substring(0, 8);
        List<Example> examples = Example.readTsv(data);
        Map<String, Long> acceptedAt = new HashMap<>();
        Map<String, Double> freshness = new LinkedHashMap<>();
        List<String> versions = new ArrayList<>();
        ObjectMapper json = EventJson.MAPPER;
        try (StackClient stack = new StackClient(token, kafka.client());
             StackClient.Follower<AdapterEvent> events = stack.follow(Topics.ADAPTER_EVENTS, AdapterEvent.class); // rollout events ride along
             MinioClient minio = MinioClient.builder().endpoint(s3).region("us-east-1").credentials(accessKey, secretKey).build()) {
            int next = 0;
            long lastEventNanos = System.nanoTime();
            long lastSendNanos = 0;
            System.err.printf("bench: %d examples for tenant %s in batches of %d every %d ms%n", examples.size(), tenant, batch, intervalMs);
            while (next < examples.size() || System.nanoTime() - Math.max(lastEventNanos, lastSendNanos) < Duration.ofSeconds(quietSeconds).toNanos()) {
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
                for (var record : events.poll(Duration.ofMillis(100))) {
                    long received = System.nanoTime();
                    if (!tenant.equals(record.key()) || !(record.value() instanceof AdapterPublished event)) {
                        continue;
                    }
                    lastEventNanos = received;
                    JsonNode manifest = json.readTree(read(minio, "adapters/" + tenant + "/v" + event.version() + "/manifest.json"));
                    int fresh = 0;
                    for (JsonNode shard : manifest.path("shards")) {
                        for (String line : new String(read(minio, shard.asText()), StandardCharsets.UTF_8).split("\n")) {
                            String id = json.readTree(line).path("id").asText();
                            if (acceptedAt.containsKey(id) && !freshness.containsKey(id)) {
                                freshness.put(id, (received - acceptedAt.get(id)) / 1e9);
                                fresh++;
                            }
                        }
                    }
                    versions.add(String.format(Locale.ROOT, "v%d: %d new examples, holdout accuracy %.4f, gate %s", event.version(), fresh,
                            event.metrics().candidate().accuracy(), event.gate().passed() ? "passed" : "failed"));
                    System.err.println("bench: " + versions.get(versions.size() - 1));
                }
            }
        }
        List<Double> sorted = new ArrayList<>(freshness.values());
        Collections.sort(sorted);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("bench", "freshness");
        summary.put("tenant", tenant);
        summary.put("examples_sent", acceptedAt.size());
        summary.put("examples_trained", sorted.size());
        summary.put("versions", versions);
        summary.put("p50_s", percentile(sorted, 0.5));
        summary.put("p90_s", percentile(sorted, 0.9));
        summary.put("max_s", sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1));
        System.out.printf(Locale.ROOT, "examples sent %d, trained on %d (the rest held out), versions %d%n", acceptedAt.size(), sorted.size(), versions.size());
        System.out.printf(Locale.ROOT, "feedback accepted -> adapter-published of a version trained on it: p50 %.1f s, p90 %.1f s, max %.1f s%n",
                percentile(sorted, 0.5), percentile(sorted, 0.9), summary.get("max_s"));
        System.out.println(new ObjectMapper().writeValueAsString(summary));
        return sorted.isEmpty() ? 1 : 0;
    }

    private static byte[] read(MinioClient minio, String key) throws Exception {
        try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket("lorastream").object(key).build())) {
            return in.readAllBytes();
        }
    }

    static double percentile(List<Double> sorted, double q) {
        return sorted.isEmpty() ? Double.NaN : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }
}
