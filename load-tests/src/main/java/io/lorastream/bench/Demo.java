package io.lorastream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.lorastream.engine.Example;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The main job, on the running local stack (started with canaries on; {@code ./lorastream demo} does
 * that): three tenants (UCI Amazon, IMDb, Yelp) stream labelled feedback and get first versions; more
 * feedback trains second versions that run as canaries while live traffic is scored over REST and every
 * prediction labelled with the truth, until the rule promotes them (each canary phase on texts of its own
 * that no feedback carried: {@link #liveWindow}); then one tenant is fed label-flipped
 * (poisoned) feedback — enough to poison its holdout too, so the offline gate is fooled and only live
 * labels can catch it — and a candidate trained on it must be rolled back by live labels before 200
 * labelled canary predictions, none stable (a poisoned version the gate rejects while the holdout is still
 * mostly honest is shown, and more poison follows); finally an admin rolls one tenant back (the next request must be answered
 * by the old version), promotes it again, and has a bad command refused. Progress is printed as it
 * happens, from adapter-events and the admin API; a summary table and one JSON line end it. Exit code 0
 * only when all of that held.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Three tenants from feedback to promoted versions, a poisoned one rolled back, an admin roll-back.")
public final class Demo implements Callable<Integer> {
    @Option(names = "--ingest", defaultValue = "http://127.0.0.1:8081") String ingest;
    @Option(names = "--serving", defaultValue = "http://127.0.0.1:8083") String serving;
    @Option(names = "--token", required = true, description = "an admin bearer token") String token;
    @Option(names = "--kafka", defaultValue = "127.0.0.1:9092") String kafka;
    @Option(names = "--data", required = true,
            description = "directory with amazon, imdb and yelp as .tsv (sentence<TAB>label) or .json (the npm package sentiment's test/fixtures)") Path data;
    @Option(names = "--first-examples", defaultValue = "300", description = "feedback per tenant for its first version") int firstExamples;
    @Option(names = "--more-examples", defaultValue = "400", description = "feedback per tenant for its second version") int moreExamples;
    @Option(names = "--live-texts", defaultValue = "100",
            description = "distinct texts scored in one canary phase, each phase its own from the texts never sent as feedback")
    int liveTexts;
    @Option(names = "--poisoned", defaultValue = "yelp", description = "the data set whose tenant gets poisoned feedback last") String poisonedName;
    @Option(names = "--poisoned-examples", defaultValue = "2000",
            description = "label-flipped feedback for the poisoned tenant (cycling through its file): more than its honest feedback, so its holdout is poisoned too")
    int poisonedExamples;

    /** Rounds of more poison after the gate rejected a poisoned version, before the demo gives up on showing a roll-back. */
    static final int MAX_MORE_POISON = 3;
    @Option(names = "--max-live-labels", defaultValue = "1500", description = "labelled live predictions per canary at most") int maxLiveLabels;
    @Option(names = "--timeout-minutes", defaultValue = "12") int timeoutMinutes;

    private static final List<String> DATA_SETS = List.of("amazon", "imdb", "yelp");

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = EventJson.MAPPER;
    private final List<AdapterLifecycle> decisions = new ArrayList<>();
    private final List<AdapterPublished> published = new ArrayList<>();
    /** Canary phases with live traffic so far, per tenant: which window of live texts is next. */
    private final Map<String, Integer> livePhases = new HashMap<>();
    private final long started = System.nanoTime();
    private KafkaConsumer<String, byte[]> events;
    private long deadline;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Demo()).execute(args));
    }

    record Tenant(String id, String dataSet, List<Example> examples) {}

    /**
     * The texts of a tenant's {@code phase}-th canary (0 first): the next {@code size} of {@code pool}, the
     * texts never sent as feedback. Live labels are feedback too, so a later candidate trains on the texts
     * an earlier canary was judged on; judged on them again, it would be scored on what it memorised, not on
     * what it learnt (a poisoned candidate that had seen their honest labels looked almost right). Only when
     * the pool runs out do windows come round again.
     */
    static List<Example> liveWindow(List<Example> pool, int phase, int size) {
        if (size < 1 || size > pool.size()) {
            throw new IllegalArgumentException("a window of " + size + " live texts from a pool of " + pool.size());
        }
        int windows = pool.size() / size;
        int from = (phase % windows) * size;
        return List.copyOf(pool.subList(from, from + size));
    }

    /**
     * A data set of the demo: {@code NAME.tsv} (sentence, label), or {@code NAME.json} as the npm package
     * sentiment@5.0.2 ships the same UCI sets in test/fixtures: {@code [{"text": …, "class": 0|1}, …]}.
     */
    static List<Example> readDataSet(Path dir, String name) throws IOException {
        Path tsv = dir.resolve(name + ".tsv");
        if (Files.isRegularFile(tsv)) {
            return Example.readTsv(tsv);
        }
        Path json = dir.resolve(name + ".json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException("--data " + dir + ": neither " + name + ".tsv nor " + name + ".json is there");
        }
        List<Example> examples = new ArrayList<>();
        JsonNode items = new ObjectMapper().readTree(json.toFile());
        for (int index = 0; index < items.size(); index++) {
            JsonNode item = items.get(index);
            JsonNode text = item.path("text");
            JsonNode label = item.path("class");
            if (text.asText().isBlank() && label.isNull()) {
                continue; // the package's files end with one such empty item
            }
            if (!text.isTextual() || !label.isIntegralNumber()) {
                throw new IllegalArgumentException(json + " item " + index + ": expected {\"text\": string, \"class\": integer}, got " + item);
            }
            // a tab would end the sentence in the TSV the rest of the platform reads
            examples.add(new Example(text.asText().replace('\t', ' ').strip(), label.asText()));
        }
        return examples;
    }

    @Override
    public Integer call() throws Exception {
        deadline = System.nanoTime() + Duration.ofMinutes(timeoutMinutes).toNanos();
        String run = UUID.randomUUID().toString().substring(0, 4);
        List<Tenant> tenants = new ArrayList<>();
        for (String name : DATA_SETS) {
            tenants.add(new Tenant(name + "-" + run, name, readDataSet(data, name)));
        }
        Tenant poisoned = tenants.stream().filter(t -> t.dataSet().equals(poisonedName)).findFirst()
                .orElseThrow(() -> new CommandLine.ParameterException(new CommandLine(this), "--poisoned must be one of " + DATA_SETS));
        for (Tenant t : tenants) {
            int left = Math.max(t.examples().size() - firstExamples - moreExamples, 0);
            if (liveTexts < 1 || liveTexts > left) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--live-texts " + liveTexts + ": must be between 1 and the "
                        + left + " examples of " + t.dataSet() + " beyond --first-examples and --more-examples");
            }
        }
        Tenant admin = tenants.get(0);
        List<String> failures = new ArrayList<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        Map<String, Live> canaries = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = eventsFromNow()) {
            events = consumer;
            log("phase 1 — first versions: %d labelled examples each for %s", firstExamples,
                    String.join(", ", tenants.stream().map(Tenant::id).toList()));
            for (Tenant t : tenants) {
                sendFeedback(t, t.examples().subList(0, firstExamples), false);
            }
            for (Tenant t : tenants) {
                awaitDecision(t.id(), 1, l -> l.transition() == Transition.PROMOTED);
                awaitServed(t, 1);
            }

            log("phase 2 — more feedback, canaries judged by live labels: %d more examples each", moreExamples);
            for (Tenant t : tenants) {
                sendFeedback(t, t.examples().subList(firstExamples, firstExamples + moreExamples), false);
            }
            Map<String, AdapterLifecycle> second = new LinkedHashMap<>();
            for (Tenant t : tenants) {
                second.put(t.id(), canary(t, 1, canaries, failures));
            }

            int beforePoison = stableVersion(poisoned);
            log("phase 3 — %d label-flipped examples for %s (stable v%d)", poisonedExamples, poisoned.id(), beforePoison);
            List<Example> poison = new ArrayList<>();
            for (int i = 0; i < poisonedExamples; i++) {
                poison.add(poisoned.examples().get((firstExamples + i) % poisoned.examples().size()));
            }
            int lastBeforePoison = published.stream().filter(p -> p.tenant().equals(poisoned.id())).mapToInt(AdapterPublished::version).max().orElse(1);
            sendFeedback(poisoned, poison, true);
            AdapterLifecycle bad = canary(poisoned, lastBeforePoison, canaries, failures);
            List<String> rejected = new ArrayList<>();
            for (int more = 0; bad.transition() == Transition.PROMOTED || bad.transition() == Transition.REJECTED; ) {
                if (bad.transition() == Transition.PROMOTED) {
                    // the tenant's honest live labels were already waiting: the first request after the poison may hold them and only
                    // the first poisoned shards; judged on live labels like any other. The rest of the poison comes in the next request.
                    log("%s v%d (the waiting honest labels and the first poisoned shards) was promoted on live labels; the rest of the poison is next",
                            poisoned.id(), bad.version());
                    summary.put(poisoned.id() + ".promotedMeanwhile", "v" + bad.version());
                } else {
                    // the gate caught a version trained on the poison while the holdout was still mostly honest; the poison goes on
                    // until the holdout is poisoned too and only live labels can tell: the roll-back this phase is for
                    rejected.add("v" + bad.version());
                    if (more++ == MAX_MORE_POISON) {
                        break;
                    }
                    log("%s v%d was rejected by the offline gate; %d more label-flipped examples, until the holdout is poisoned too",
                            poisoned.id(), bad.version(), poisonedExamples / 2);
                    List<Example> morePoison = new ArrayList<>();
                    for (int i = 0; i < poisonedExamples / 2; i++) {
                        morePoison.add(poisoned.examples().get((firstExamples + poisonedExamples + i) % poisoned.examples().size()));
                    }
                    sendFeedback(poisoned, morePoison, true);
                }
                bad = canary(poisoned, bad.version(), canaries, failures);
            }
            if (!rejected.isEmpty()) {
                summary.put(poisoned.id() + ".rejectedByGate", String.join(" ", rejected));
            }

            log("phase 4 — admin: roll %s back, promote it again, a command that is refused", admin.id());
            manualRollback(admin, summary, failures);

            // what the story must show
            for (Tenant t : tenants) {
                AdapterLifecycle d = second.get(t.id());
                int stable = stableVersion(t);
                AdapterPublished p = publishedVersion(t.id(), d.version());
                boolean betterLive = d.evidence() != null && d.evidence().candidate() != null
                        && d.evidence().candidate().accuracy() > d.evidence().stable().accuracy();
                boolean betterHoldout = p != null && p.metrics().stable() != null && p.metrics().candidate().accuracy() > p.metrics().stable().accuracy();
                if (d.transition() != Transition.PROMOTED) {
                    failures.add(t.id() + " v" + d.version() + " (honest feedback) was " + d.transition() + ": " + d.reason());
                } else if (stable < 2 || !(betterLive || betterHoldout)) {
                    failures.add(t.id() + " v" + d.version() + " was promoted but is not better than its first (live or holdout); ends on v" + stable);
                }
                summary.put(t.id() + ".better", (betterLive ? "live " : "") + (betterHoldout ? "holdout" : ""));
                summary.put(t.id() + ".secondDecision", d.transition().name() + " v" + d.version());
            }
            if (bad.transition() != Transition.ROLLED_BACK) {
                failures.add(poisoned.id() + " v" + bad.version() + " (poisoned) was not rolled back by live labels: " + bad.transition() + ", " + bad.reason());
            }
            Live poisonedLive = canaries.get(poisoned.id() + ":v" + bad.version());
            if (poisonedLive != null && poisonedLive.canaryLabels() >= 200) {
                failures.add(poisoned.id() + " needed " + poisonedLive.canaryLabels() + " labelled canary predictions (goal < 200)");
            }
            int caught = bad.version();
            decisions.stream().filter(d -> d.tenant().equals(poisoned.id()) && d.version() >= caught && d.transition() == Transition.PROMOTED)
                    .forEach(d -> failures.add(poisoned.id() + " v" + d.version() + " (trained on the poison) became stable: " + d.reason()));
            summary.put(poisoned.id() + ".poisoned", bad.transition().name() + " v" + bad.version());
            summary.put(poisoned.id() + ".poisonedCanaryLabels", poisonedLive == null ? 0 : poisonedLive.canaryLabels());

            table(tenants, canaries, summary);
        }
        summary.put("seconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
        summary.put("failures", failures);
        failures.forEach(f -> log("FAILED: %s", f));
        System.out.println(json.writeValueAsString(summary));
        return failures.isEmpty() ? 0 : 1;
    }

    /**
     * Waits for the gate's word on the tenant's next version (above {@code after}); a canary gets live
     * traffic until the rule decides. Returns that decision: the gate's, or the rule's on the last
     * candidate (a newer version may supersede the first one meanwhile: the traffic follows it).
     */
    private AdapterLifecycle canary(Tenant t, int after, Map<String, Live> canaries, List<String> failures) throws Exception {
        AdapterLifecycle gate = awaitDecision(t.id(), v -> v > after,
                l -> l.transition() == Transition.CANARY || l.transition() == Transition.REJECTED || l.transition() == Transition.PROMOTED);
        if (gate.transition() == Transition.PROMOTED) {
            failures.add(t.id() + " v" + gate.version() + " was promoted without a canary (" + gate.reason()
                    + "): the stack runs with canary-share 0; stop it (./lorastream down) and run the demo again");
            return gate;
        }
        if (gate.transition() != Transition.CANARY) {
            return gate;
        }
        int phase = livePhases.merge(t.id(), 1, Integer::sum) - 1;
        List<Example> pool = t.examples().subList(firstExamples + moreExamples, t.examples().size()); // never sent as feedback
        if (phase >= pool.size() / liveTexts) {
            log("%s: every window of live texts was used; v%d is judged on texts labelled in an earlier canary", t.id(), gate.version());
        }
        Live live = liveTraffic(t, gate.version(), liveWindow(pool, phase, liveTexts));
        canaries.put(t.id() + ":v" + live.decision().version(), live);
        return live.decision();
    }

    private int stableVersion(Tenant t) throws Exception {
        return admin("GET", "/v1/tenants/" + t.id() + "/adapters", null).body().path("stable").asInt();
    }

    private void table(List<Tenant> tenants, Map<String, Live> canaries, Map<String, Object> summary) throws Exception {
        System.out.println();
        poll(); // the lifecycle events of the admin's last commands
        System.out.printf(Locale.ROOT, "%-12s %-8s %-11s %-26s %-12s %-32s %s%n", "tenant", "version", "status", "holdout (stable's on it)",
                "labels", "live accuracy (stable's)", "reason");
        for (Tenant t : tenants) {
            JsonNode view = admin("GET", "/v1/tenants/" + t.id() + "/adapters", null).body();
            for (JsonNode v : view.path("versions")) {
                int version = v.path("version").asInt();
                AdapterPublished p = publishedVersion(t.id(), version);
                Live live = canaries.get(t.id() + ":v" + version);
                AdapterLifecycle decided = last(t.id(), version, false);
                String status = v.path("status").asText();
                String reason = decided == null ? "" : decided.reason();
                AdapterLifecycle commanded = last(t.id(), version, true);
                if (commanded != null && commanded.transition().name().equals(status)
                        && (decided == null || !decided.transition().name().equals(status))) {
                    reason = "an admin's command: " + commanded.reason(); // e.g. a canary ended by hand
                }
                String holdout = p == null ? "-" : String.format(Locale.ROOT, "%.4f (%s)", p.metrics().candidate().accuracy(),
                        p.metrics().stable() == null ? "-" : String.format(Locale.ROOT, "%.4f", p.metrics().stable().accuracy()));
                String liveAccuracy = decided == null || decided.evidence() == null || decided.evidence().candidate() == null ? "-"
                        : String.format(Locale.ROOT, "%d/%d = %.3f (%d/%d = %.3f)", decided.evidence().candidate().correct(),
                        decided.evidence().candidate().predictions(), decided.evidence().candidate().accuracy(), decided.evidence().stable().correct(),
                        decided.evidence().stable().predictions(), decided.evidence().stable().accuracy());
                String labels = live == null ? "-" : live.labels() + " (" + live.canaryLabels() + ")";
                System.out.printf(Locale.ROOT, "%-12s v%-7d %-11s %-26s %-12s %-32s %s%n", t.id(), version, status, holdout,
                        labels, liveAccuracy, reason);
                String key = t.id() + ".v" + version;
                summary.put(key + ".status", status);
                if (p != null) {
                    summary.put(key + ".holdout", p.metrics().candidate().accuracy());
                }
                if (live != null) {
                    summary.put(key + ".labels", live.labels());
                    summary.put(key + ".canaryLabels", live.canaryLabels());
                }
            }
            summary.put(t.id() + ".stable", view.path("stable").asInt());
        }
        System.out.println();
        System.out.println("The stack stays up. Try it:");
        System.out.println("  T=$(./lorastream token " + tenants.get(0).id() + ")");
        System.out.println("  curl -s -H \"Authorization: Bearer $T\" -H 'Content-Type: application/json' -d '{\"texts\": [\"works great\"]}' "
                + serving + "/v1/tenants/" + tenants.get(0).id() + "/score");
        System.out.println("  A=$(./lorastream token ops --admin); curl -s -H \"Authorization: Bearer $A\" " + serving + "/v1/tenants/"
                + tenants.get(0).id() + "/adapters");
        System.out.println("  console: " + serving + "/console/   (with the admin token $A)");
        System.out.println();
    }

    private AdapterPublished publishedVersion(String tenant, int version) {
        return published.stream().filter(p -> p.tenant().equals(tenant) && p.version() == version).findFirst().orElse(null);
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
            if (labels % 50 == 0) {
                log("%s: %d live predictions labelled, %d of them by the v%d canary", t.id(), labels, canary, version);
            }
            int current = version;
            int newer = decisions.stream().filter(d -> d.tenant().equals(t.id()) && d.version() > current && d.commandId() == null
                    && d.transition() == Transition.CANARY).mapToInt(AdapterLifecycle::version).max().orElse(version);
            if (newer != version) {
                log("%s: v%d superseded by v%d (more feedback came meanwhile); labelling goes on for v%d", t.id(), version, newer, newer);
                version = newer;
                canary = 0;
            }
            AdapterLifecycle decided = last(t.id(), version, false);
            if (decided != null && (decided.transition() == Transition.PROMOTED || decided.transition() == Transition.ROLLED_BACK)) {
                return new Live(decided, labels, canary);
            }
        }
        int finalVersion = version;
        AdapterLifecycle decided = awaitDecision(t.id(), v -> v == finalVersion,
                l -> l.transition() == Transition.PROMOTED || l.transition() == Transition.ROLLED_BACK);
        return new Live(decided, labels, canary);
    }

    private void manualRollback(Tenant t, Map<String, Object> summary, List<String> failures) throws Exception {
        int before = stableVersion(t);
        JsonNode view = admin("GET", "/v1/tenants/" + t.id() + "/adapters", null).body();
        if (view.path("candidate").isInt()) { // live labels trained a new canary by now: a roll-back without a version ends it
            Admin ended = admin("POST", "/v1/tenants/" + t.id() + "/adapters/rollback", "{\"reason\": \"demo: end the canary\"}");
            log("roll-back of %s without a version ends its canary v%d: HTTP %d %s (%s)", t.id(), view.path("candidate").asInt(), ended.status(),
                    ended.body().path("outcome").asText(), ended.body().path("reason").asText());
            summary.put(t.id() + ".endCanary.http", ended.status());
            if (ended.status() != 200) {
                failures.add("ending the canary of " + t.id() + ": HTTP " + ended.status() + " " + ended.body());
            }
        }
        Admin rollback = admin("POST", "/v1/tenants/" + t.id() + "/adapters/rollback", "{\"version\": 1, \"reason\": \"demo: manual roll-back\"}");
        int target = rollback.body().path("stableVersion").asInt();
        int next = post(serving + "/v1/tenants/" + t.id() + "/score", "{\"texts\": [\"the request right after the roll-back\"]}")
                .path("predictions").get(0).path("version").asInt();
        log("manual roll-back of %s v%d: HTTP %d %s, now v%d; the next request was answered by v%d", t.id(), before, rollback.status(),
                rollback.body().path("outcome").asText(), target, next);
        summary.put(t.id() + ".rollback.http", rollback.status());
        summary.put(t.id() + ".rollback.to", target);
        summary.put(t.id() + ".rollback.nextRequestVersion", next);
        if (rollback.status() != 200 || next != target || target >= before) {
            failures.add("manual roll-back of " + t.id() + " v" + before + ": HTTP " + rollback.status() + ", to v" + target
                    + ", next request answered by v" + next);
        }
        Admin promote = admin("POST", "/v1/tenants/" + t.id() + "/adapters/v" + before + "/promote", "{\"reason\": \"demo: promote again\"}");
        log("promote %s v%d again: HTTP %d %s", t.id(), before, promote.status(), promote.body().path("outcome").asText());
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
        return awaitDecision(tenant, v -> v == version, wanted);
    }

    private AdapterLifecycle awaitDecision(String tenant, java.util.function.IntPredicate version, Predicate<AdapterLifecycle> wanted) throws Exception {
        while (true) {
            poll();
            for (AdapterLifecycle d : decisions) {
                if (d.tenant().equals(tenant) && d.commandId() == null && version.test(d.version()) && wanted.test(d)) {
                    return d;
                }
            }
            checkDeadline("a decision on " + tenant);
        }
    }

    /** The version's latest decision by the rollout rule, or by an admin's command. */
    private AdapterLifecycle last(String tenant, int version, boolean byCommand) {
        AdapterLifecycle found = null;
        for (AdapterLifecycle d : decisions) {
            if (d.tenant().equals(tenant) && d.version() == version && (d.commandId() != null) == byCommand) {
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
                if (l.commandId() == null) {
                    log("%s v%d %s: %s", l.tenant(), l.version(), l.transition(), l.reason());
                }
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

    private void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - started) / 1e9, String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
