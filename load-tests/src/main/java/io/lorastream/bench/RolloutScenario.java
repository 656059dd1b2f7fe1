package io.lorastream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The rollout end to end on the running local stack (started with a canary share above 0): two tenants get
 * a first version from honest feedback; then one gets more honest feedback and the other label-flipped
 * (poisoned) feedback. Live traffic is scored over REST and every prediction labelled with the truth, as a
 * tenant's users would, until the state machine decides: the honest candidate should be promoted, the
 * poisoned one rejected by the gate or rolled back before 200 labelled canary predictions, and never stable.
 * Then an admin rolls the honest tenant back (the next request must be answered by the old version),
 * promotes it again, and has a bad command refused. Every decision is read from adapter-events and the
 * admin API; the last line is a JSON summary. Exit code 0 only when all of that held.
 */
@Command(name = "rollout-scenario", mixinStandardHelpOptions = true,
        description = "Poisoned feedback rolled back, honest feedback promoted, a manual roll-back: on the local stack.")
public final class RolloutScenario implements Callable<Integer> {
    @Option(names = "--ingest", defaultValue = "http://127.0.0.1:8081") String ingest;
    @Option(names = "--serving", defaultValue = "http://127.0.0.1:8083") String serving;
    @Option(names = "--token", required = true, description = "an admin bearer token") String token;
    @Option(names = "--kafka", defaultValue = "127.0.0.1:9092") String kafka;
    @Option(names = "--honest-data", required = true, description = "sentence<TAB>label file of the honest tenant") Path honestData;
    @Option(names = "--poisoned-data", required = true, description = "sentence<TAB>label file of the poisoned tenant") Path poisonedData;
    @Option(names = "--phase-examples", defaultValue = "400", description = "feedback per tenant and phase") int phaseExamples;
    @Option(names = "--poisoned-examples", defaultValue = "1000",
            description = "label-flipped feedback of the poisoned tenant in phase 2 (cycling through its file): enough to poison its holdout too, so the offline gate is fooled and only live labels can catch it")
    int poisonedExamples;
    @Option(names = "--max-live-labels", defaultValue = "1500", description = "labelled live predictions per tenant at most") int maxLiveLabels;
    @Option(names = "--timeout-minutes", defaultValue = "10") int timeoutMinutes;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = EventJson.MAPPER;
    private final List<AdapterLifecycle> decisions = new ArrayList<>();
    private final List<AdapterPublished> published = new ArrayList<>();
    private final long started = System.nanoTime();
    private KafkaConsumer<String, byte[]> events;
    private long deadline;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RolloutScenario()).execute(args));
    }

    record Example(String text, String label) {}

    record Tenant(String id, List<Example> examples, boolean poisoned) {}

    @Override
    public Integer call() throws Exception {
        deadline = System.nanoTime() + Duration.ofMinutes(timeoutMinutes).toNanos();
        String run = UUID.randomUUID().toString().substring(0, 6);
        Tenant honest = new Tenant("honest-" + run, read(honestData), false);
        Tenant poisoned = new Tenant("poisoned-" + run, read(poisonedData), true);
        List<String> failures = new ArrayList<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = eventsFromNow()) {
            events = consumer;
            log("phase 1: %d honest examples each for %s and %s", phaseExamples, honest.id(), poisoned.id());
            for (Tenant t : List.of(honest, poisoned)) {
                sendFeedback(t, t.examples().subList(0, phaseExamples), false);
            }
            for (Tenant t : List.of(honest, poisoned)) {
                AdapterLifecycle first = awaitDecision(t.id(), 1, l -> l.transition() == Transition.PROMOTED);
                log("%s v1 %s: %s", t.id(), first.transition(), first.reason());
                awaitServed(t, 1);
            }
            log("phase 2: %d more honest examples for %s, %d label-flipped for %s", phaseExamples, honest.id(), poisonedExamples, poisoned.id());
            sendFeedback(honest, honest.examples().subList(phaseExamples, 2 * phaseExamples), false);
            List<Example> poison = new ArrayList<>();
            for (int i = 0; i < poisonedExamples; i++) {
                poison.add(poisoned.examples().get((phaseExamples + i) % poisoned.examples().size()));
            }
            sendFeedback(poisoned, poison, true);

            Map<String, Integer> canaryLabels = new LinkedHashMap<>();
            for (Tenant t : List.of(honest, poisoned)) {
                AdapterLifecycle gate = awaitDecision(t.id(), 2, l -> l.transition() == Transition.CANARY || l.transition() == Transition.REJECTED
                        || l.transition() == Transition.PROMOTED);
                log("%s v2 %s: %s", t.id(), gate.transition(), gate.reason());
                summary.put(t.id() + ".v2.gate", gate.transition().name());
                if (gate.transition() == Transition.PROMOTED) {
                    failures.add(t.id() + " v2 was promoted without a canary: start the stack with LORASTREAM_ROLLOUT_CANARY_SHARE above 0");
                    continue;
                }
                if (gate.transition() == Transition.CANARY) {
                    Live live = liveTraffic(t, 2, List.copyOf(t.examples().subList(2 * phaseExamples, t.examples().size())));
                    canaryLabels.put(t.id(), live.canaryLabels());
                    log("%s v2 %s after %d labelled predictions (%d of them the canary's): %s", t.id(), live.decision().transition(),
                            live.labels(), live.canaryLabels(), live.decision().reason());
                    summary.put(t.id() + ".v2.decision", live.decision().transition().name());
                    summary.put(t.id() + ".v2.canaryLabels", live.canaryLabels());
                    summary.put(t.id() + ".v2.labels", live.labels());
                    if (live.decision().evidence() != null && live.decision().evidence().candidate() != null) {
                        summary.put(t.id() + ".v2.liveAccuracy", live.decision().evidence().candidate().accuracy());
                        summary.put(t.id() + ".v1.liveAccuracy", live.decision().evidence().stable().accuracy());
                    }
                }
            }
            // what the stories must show
            AdapterLifecycle honestV2 = last(honest.id(), 2);
            if (honestV2 == null || honestV2.transition() != Transition.PROMOTED) {
                failures.add(honest.id() + " v2 (honest feedback) was not promoted: " + (honestV2 == null ? "no decision" : honestV2.reason()));
            }
            AdapterLifecycle poisonedV2 = last(poisoned.id(), 2);
            if (poisonedV2 == null || (poisonedV2.transition() != Transition.REJECTED && poisonedV2.transition() != Transition.ROLLED_BACK)) {
                failures.add(poisoned.id() + " v2 (poisoned) was neither rejected nor rolled back: " + (poisonedV2 == null ? "no decision" : poisonedV2.reason()));
            }
            if (canaryLabels.getOrDefault(poisoned.id(), 0) >= 200) {
                failures.add(poisoned.id() + " needed " + canaryLabels.get(poisoned.id()) + " labelled canary predictions (goal < 200)");
            }
            decisions.stream().filter(d -> d.tenant().equals(poisoned.id()) && d.version() >= 2 && d.transition() == Transition.PROMOTED)
                    .forEach(d -> failures.add(poisoned.id() + " v" + d.version() + " (poisoned) became stable: " + d.reason()));

            if (honestV2 != null && honestV2.transition() == Transition.PROMOTED) {
                manualRollback(honest, summary, failures);
            }
            for (Tenant t : List.of(honest, poisoned)) {
                JsonNode view = admin("GET", "/v1/tenants/" + t.id() + "/adapters", null).body();
                log("admin view of %s: stable v%s, candidate %s, split %s", t.id(), view.path("stable").asText(), view.path("candidate").asText("none"),
                        view.path("trafficSplit"));
                for (JsonNode v : view.path("versions")) {
                    log("  v%d %-12s holdout %s live %s", v.path("version").asInt(), v.path("status").asText(),
                            !v.path("holdoutAccuracy").isNumber() ? "-" : String.format(Locale.ROOT, "%.4f", v.path("holdoutAccuracy").asDouble()),
                            v.path("live").isObject() ? v.path("live").path("correct").asLong() + "/" + v.path("live").path("predictions").asLong() : "-");
                }
            }
        }
        published.forEach(p -> summary.put(p.tenant() + ".v" + p.version() + ".holdout", p.metrics().candidate().accuracy()));
        summary.put("seconds", (System.nanoTime() - started) / 1e9);
        summary.put("failures", failures);
        failures.forEach(f -> log("FAILED: %s", f));
        System.out.println(json.writeValueAsString(summary));
        return failures.isEmpty() ? 0 : 1;
    }

    record Live(AdapterLifecycle decision, int labels, int canaryLabels) {}

    /** One text per request (routing is per request), each prediction labelled with the truth, until the rule decides {@code version}. */
    private Live liveTraffic(Tenant t, int version, List<Example> texts) throws Exception {
        int labels = 0;
        int canary = 0;
        for (int i = 0; labels < maxLiveLabels; i++) {
            Example e = texts.get(i % texts.size());
            JsonNode answer = post(serving + "/v1/tenants/" + t.id() + "/score", json.writeValueAsString(Map.of("texts", List.of(e.text()))));
            JsonNode prediction = answer.path("predictions").get(0);
            String label = json.writeValueAsString(Map.of("text", e.text(), "label", e.label(), "predictionId", prediction.path("predictionId").asText()));
            post(ingest + "/v1/tenants/" + t.id() + "/feedback", label);
            labels++;
            if ("CANARY".equals(prediction.path("route").asText())) {
                canary++;
            }
            poll();
            AdapterLifecycle decided = last(t.id(), version);
            if (decided != null && (decided.transition() == Transition.PROMOTED || decided.transition() == Transition.ROLLED_BACK)) {
                return new Live(decided, labels, canary);
            }
        }
        AdapterLifecycle decided = awaitDecision(t.id(), version, l -> l.transition() == Transition.PROMOTED || l.transition() == Transition.ROLLED_BACK);
        return new Live(decided, labels, canary);
    }

    private void manualRollback(Tenant t, Map<String, Object> summary, List<String> failures) throws Exception {
        Admin rollback = admin("POST", "/v1/tenants/" + t.id() + "/adapters/rollback", "{\"reason\": \"scenario: manual roll-back\"}");
        int next = post(serving + "/v1/tenants/" + t.id() + "/score", "{\"texts\": [\"the request right after the roll-back\"]}")
                .path("predictions").get(0).path("version").asInt();
        log("manual roll-back of %s: HTTP %d %s, served v%s; the next request was answered by v%d", t.id(), rollback.status(),
                rollback.body().path("outcome").asText(), rollback.body().path("servedVersion").asText(), next);
        summary.put(t.id() + ".rollback.http", rollback.status());
        summary.put(t.id() + ".rollback.nextRequestVersion", next);
        if (rollback.status() != 200 || next != 1) {
            failures.add("manual roll-back of " + t.id() + ": HTTP " + rollback.status() + ", next request answered by v" + next + " (expected 200 and v1)");
        }
        Admin promote = admin("POST", "/v1/tenants/" + t.id() + "/adapters/v2/promote", "{\"reason\": \"scenario: promote again\"}");
        log("promote %s v2 again: HTTP %d %s", t.id(), promote.status(), promote.body().path("outcome").asText());
        Admin refused = admin("POST", "/v1/tenants/" + t.id() + "/adapters/v99/pin", "{}");
        log("pin %s v99: HTTP %d %s", t.id(), refused.status(), refused.body().path("detail").asText());
        summary.put(t.id() + ".promoteAgain.http", promote.status());
        summary.put(t.id() + ".refusedPin.http", refused.status());
        if (promote.status() != 200 || refused.status() != 409) {
            failures.add("admin commands on " + t.id() + ": promote HTTP " + promote.status() + " (expected 200), pin v99 HTTP " + refused.status() + " (expected 409)");
        }
    }

    private void awaitServed(Tenant t, int version) throws Exception {
        while (true) {
            HttpResponse<String> r = http.send(request(serving + "/v1/tenants/" + t.id() + "/score").POST(
                    HttpRequest.BodyPublishers.ofString("{\"texts\": [\"warm up\"]}")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200 && json.readTree(r.body()).path("predictions").get(0).path("version").asInt() >= version) {
                return;
            }
            checkDeadline("serving " + t.id() + " v" + version + " (last answer " + r.statusCode() + ")");
            Thread.sleep(200);
        }
    }

    private void sendFeedback(Tenant t, List<Example> examples, boolean flip) throws Exception {
        for (int from = 0; from < examples.size(); from += 100) {
            ArrayNode batch = json.createArrayNode();
            for (Example e : examples.subList(from, Math.min(examples.size(), from + 100))) {
                String label = flip ? (e.label().equals("1") ? "0" : "1") : e.label();
                batch.addObject().put("text", e.text()).put("label", label);
            }
            post(ingest + "/v1/tenants/" + t.id() + "/feedback", json.writeValueAsString(batch));
        }
    }

    private AdapterLifecycle awaitDecision(String tenant, int version, Predicate<AdapterLifecycle> wanted) throws Exception {
        while (true) {
            poll();
            for (AdapterLifecycle d : decisions) {
                if (d.tenant().equals(tenant) && d.version() == version && wanted.test(d)) {
                    return d;
                }
            }
            checkDeadline("a decision on " + tenant + " v" + version);
        }
    }

    private AdapterLifecycle last(String tenant, int version) {
        AdapterLifecycle found = null;
        for (AdapterLifecycle d : decisions) {
            if (d.tenant().equals(tenant) && d.version() == version && d.commandId() == null) {
                found = d;
            }
        }
        return found;
    }

    private void poll() {
        var deserializer = EventSerde.of(AdapterEvent.class, "/bench").deserializer();
        for (var record : events.poll(Duration.ofMillis(100))) {
            AdapterEvent event = deserializer.deserialize(record.topic(), record.headers(), record.value());
            if (event instanceof AdapterLifecycle l) {
                decisions.add(l);
            } else if (event instanceof AdapterPublished p) {
                published.add(p);
                log("%s v%d published: holdout %.4f (stable %s), gate %s", p.tenant(), p.version(), p.metrics().candidate().accuracy(),
                        p.metrics().stable() == null ? "-" : String.format(Locale.ROOT, "%.4f", p.metrics().stable().accuracy()),
                        p.gate().passed() ? "passed" : "failed");
            }
        }
    }

    private KafkaConsumer<String, byte[]> eventsFromNow() {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(Topics.ADAPTER_EVENTS).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    record Admin(int status, JsonNode body) {}

    private Admin admin(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder builder = request(serving + path);
        builder = body == null ? builder.GET() : builder.method(method, HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        return new Admin(r.statusCode(), r.body().isEmpty() ? json.createObjectNode() : json.readTree(r.body()));
    }

    private JsonNode post(String url, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request(url).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST " + url + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return json.readTree(r.body());
    }

    private HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60));
    }

    private void checkDeadline(String waitingFor) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("gave up after " + timeoutMinutes + " min waiting for " + waitingFor);
        }
    }

    private static List<Example> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Example> examples = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            int tab = line.lastIndexOf('\t');
            examples.add(new Example(line.substring(0, tab), line.substring(tab + 1).strip()));
        }
        return examples;
    }

    private void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - started) / 1e9, String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
