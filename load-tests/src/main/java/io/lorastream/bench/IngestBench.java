package io.lorastream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Feedback accepted over HTTP into Kafka: NDJSON batches posted by concurrent clients to a running
 * ingest-service for a fixed time; events/s counts only items answered 202 (after Kafka's acks=all),
 * latency is per request. The clients run on the same machine as the service and the broker.
 */
@Command(name = "ingest-bench", mixinStandardHelpOptions = true,
        description = "Events/s accepted by ingest-service (202 after Kafka acks) and request latency.")
public final class IngestBench implements Callable<Integer> {
    static final double GOAL_EVENTS_PER_S = 50_000;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8081", description = "ingest-service base URL")
    String url;

    @Option(names = "--token", required = true, description = "an admin bearer token (./lorastream token bench --admin)")
    String token;

    @Option(names = "--tenants", defaultValue = "8")
    int tenants;

    @Option(names = "--batch-sizes", defaultValue = "1,100,1000", split = ",", description = "items per request, one phase each")
    List<Integer> batchSizes;

    @Option(names = "--concurrency", defaultValue = "8", description = "requests in flight")
    int concurrency;

    @Option(names = "--seconds", defaultValue = "20", description = "measured seconds per phase (after a 5 s warm-up)")
    int seconds;

    @Mixin
    KafkaClientOptions kafka; // to read the stream-processor's lag afterwards

    @Option(names = "--drain-timeout", defaultValue = "600", description = "seconds to wait for the stream-processor to catch up")
    int drainTimeout;

    public static void main(String[] args) {
        System.exit(new CommandLine(new IngestBench()).execute(args));
    }

    /** The stream-processor working off what the phases sent, with nothing else running. */
    record Drain(long backlog, double seconds, double eventsPerSecond) {}

    record Phase(int batchSize, long requests, long events, long failures, double seconds, double eventsPerSecond,
                 double p50Ms, double p99Ms) {}

    @Override
    public Integer call() throws Exception {
        List<Phase> phases = new ArrayList<>();
        try (StackClient client = new StackClient(token, kafka.client(), HttpClient.Version.HTTP_1_1)) { // one connection per client thread
            for (int batchSize : batchSizes) {
                List<String> bodies = bodies(batchSize);
                run(client, bodies, batchSize, Duration.ofSeconds(5)); // warm-up: JIT, connections, producer buffers
                System.err.printf("bench: batches of %d ...%n", batchSize);
                phases.add(run(client, bodies, batchSize, Duration.ofSeconds(seconds)));
            }
        }
        Drain drain = drain();
        report(phases, drain);
        return phases.stream().allMatch(p -> p.failures() == 0) ? 0 : 1;
    }

    /** Pre-built NDJSON bodies, one per tenant, so the clients spend their time on HTTP, not on JSON. */
    private List<String> bodies(int batchSize) {
        List<String> bodies = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < batchSize; i++) {
                body.append("{\"text\":\"bench sentence ").append(i).append(" of a tenant's labelled feedback, about as long as a review line\",")
                        .append("\"label\":\"").append(i % 2 == 0 ? "positive" : "negative").append("\"}\n");
            }
            bodies.add(body.toString());
        }
        return bodies;
    }

    private Phase run(StackClient client, List<String> bodies, int batchSize, Duration duration) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicLong events = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<List<Long>> latencies = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            List<Long> mine = new ArrayList<>();
            latencies.add(mine);
            int worker = w;
            workers.add(pool.submit(() -> {
                int n = worker;
                while (System.nanoTime() < end) {
                    String tenant = "bench-" + (n % bodies.size());
                    HttpRequest request = client.request(url + "/v1/tenants/" + tenant + "/feedback", "application/x-ndjson")
                            .POST(HttpRequest.BodyPublishers.ofString(bodies.get(n % bodies.size()), StandardCharsets.UTF_8))
                            .build();
                    long sent = System.nanoTime();
                    try {
                        HttpResponse<String> response = client.send(request);
                        if (response.statusCode() == 202) {
                            events.addAndGet(batchSize);
                            mine.add(System.nanoTime() - sent);
                        } else {
                            failures.incrementAndGet();
                            System.err.println("bench: " + response.statusCode() + " " + response.body());
                        }
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                    n += concurrency;
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        List<Long> all = new ArrayList<>();
        latencies.forEach(all::addAll);
        Collections.sort(all);
        return new Phase(batchSize, all.size(), events.get(), failures.get(), elapsed, events.get() / elapsed,
                percentile(all, 0.50), percentile(all, 0.99));
    }

    private static double percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1)) / 1e6;
    }

    /** How fast the stream-processor's committed offsets on feedback advance until it has caught up. */
    private Drain drain() throws Exception {
        try (Admin admin = Admin.create(kafka.client())) {
            String group = "lorastream-stream-processor";
            if (admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().isEmpty()) {
                System.err.println("bench: no stream-processor offsets: drain not measured");
                return null;
            }
            System.err.println("bench: waiting for the stream-processor to catch up ...");
            long[] start = offsets(admin, group);
            long startNanos = System.nanoTime();
            long deadline = startNanos + Duration.ofSeconds(drainTimeout).toNanos();
            long[] now = start;
            while (now[0] < now[1] && System.nanoTime() < deadline) {
                Thread.sleep(500);
                now = offsets(admin, group);
            }
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            return new Drain(start[1] - start[0], elapsed, (now[0] - start[0]) / elapsed);
        }
    }

    /** {committed offsets summed, end offsets summed} of the feedback topic. */
    private static long[] offsets(Admin admin, String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        committed.keySet().stream().filter(tp -> tp.topic().equals("feedback")).forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        long ends = 0;
        for (var info : admin.listOffsets(latest).all().get().values()) {
            ends += info.offset();
        }
        long done = 0;
        for (TopicPartition tp : latest.keySet()) {
            done += committed.get(tp).offset();
        }
        return new long[] {done, ends};
    }

    private void report(List<Phase> phases, Drain drain) throws Exception {
        System.out.printf(Locale.ROOT, "%-12s %10s %12s %10s %10s %10s %12s %6s%n",
                "batch size", "requests", "events/s", "p50 ms", "p99 ms", "failures", "goal", "met");
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("bench", "ingest");
        summary.put("cores", Runtime.getRuntime().availableProcessors());
        summary.put("concurrency", concurrency);
        summary.put("phases", phases);
        summary.put("stream_processor_drain", drain);
        for (Phase p : phases) {
            boolean batched = p.batchSize() >= 100;
            System.out.printf(Locale.ROOT, "%-12d %10d %12.0f %10.1f %10.1f %10d %12s %6s%n", p.batchSize(), p.requests(),
                    p.eventsPerSecond(), p.p50Ms(), p.p99Ms(), p.failures(),
                    batched ? String.format(Locale.ROOT, "≥ %.0f", GOAL_EVENTS_PER_S) : "",
                    batched ? (p.eventsPerSecond() >= GOAL_EVENTS_PER_S ? "yes" : "no") : "");
        }
        if (drain != null && drain.eventsPerSecond() == 0) {
            System.out.println("stream-processor: no progress on its backlog (is it running?): drain not measured");
        } else if (drain != null) {
            System.out.printf(Locale.ROOT, "stream-processor alone: %d records behind, worked off in %.1f s: %.0f events/s%n",
                    drain.backlog(), drain.seconds(), drain.eventsPerSecond());
        }
        System.out.println(new ObjectMapper().writeValueAsString(summary));
    }
}
