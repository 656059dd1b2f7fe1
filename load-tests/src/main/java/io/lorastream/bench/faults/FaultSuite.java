package io.lorastream.bench.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.lorastream.bench.KafkaClientOptions;
import io.lorastream.bench.S3ClientOptions;
import io.lorastream.bench.StackClient;
import io.lorastream.bench.StackLauncher;
import io.lorastream.bench.demo.PoisonedVersionFault;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingRequest;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.errors.ErrorResponseException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Faults against the running local stack ({@code ./lorastream faults}), each with bounded loops on
 * loopback, judged on what the platform guarantees, and one table: fault, records sent, accepted, lost,
 * duplicated, time to recover. So far:
 * <ul>
 *   <li>the broker killed with SIGKILL in the middle of ingest, then restarted: every id ingest answered
 *       202 for is in the tenant's datasets exactly once (the client resends a batch that got 503 or no
 *       answer, as documented; generated ids make the resend land on the same ids);</li>
 *   <li>poison on every input topic (not JSON, another schema, 900 KB of control characters, a shard key
 *       that climbs out of its tenant): each lands in its dead-letter topic with a reason, every service
 *       stays live, and another tenant's feedback still reaches its datasets;</li>
 *   <li>S3 frozen with SIGSTOP for 60 s mid-ingest: nothing lost or duplicated, every shard matches its
 *       manifest's sha256, and the tenant still gets its first version;</li>
 *   <li>that tenant's second version corrupted in S3 and serving killed and restarted: the tenant is answered
 *       by its first version again;</li>
 *   <li>S3 frozen for 60 s in the middle of a training job: the request is published exactly once;</li>
 *   <li>a second trainer in the group, and the first stopped mid-job past the session timeout (a rebalance),
 *       then continued: every request published exactly once, no version number with two manifests;</li>
 *   <li>a poisoned version under the default settings (gate passed, promoted at once): rolled back by live
 *       labels within 200 of them, and the next served version descends from no rolled-back one.</li>
 * </ul>
 * Exit status 1 when anything was lost or duplicated or a guarantee failed.
 */
@Command(name = "faults", mixinStandardHelpOptions = true, description = "Fault suite on the local stack (docs/faults.md).")
public final class FaultSuite implements Callable<Integer> {
    @Option(names = "--ingest", required = true) String ingest;
    @Mixin KafkaClientOptions kafka;
    @Mixin S3ClientOptions s3;
    @Option(names = "--token", required = true, description = "An admin token") String token;
    @Option(names = "--launcher", required = true, description = "./lorastream, to restart what a fault stopped") Path launcher;
    @Option(names = "--run-dir", required = true, description = "Where the launcher keeps NAME.pid") Path runDir;
    @Option(names = "--live", split = ",", required = true, description = "Each service's management URL; /q/health/live must answer 200")
    List<String> services;
    @Option(names = "--serving", required = true, description = "Serving's base URL") String serving;
    @Option(names = "--data", defaultValue = "${sys:lorastream.root:-.}/load-tests/data/sst2/train.tsv") Path data;
    @Option(names = "--examples", defaultValue = "1500") int examples;
    @Option(names = "--only", split = ",", description = "Run only these faults, by number (docs/faults.md); 4 needs 3")
    Set<Integer> only;

    /** One line of the table. */
    record Row(String fault, int sent, int accepted, int lost, int duplicated, double recoverSeconds, List<String> failures) {}

    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private final HttpClient http = HttpClient.newHttpClient();

    public static void main(String[] args) {
        System.exit(new CommandLine(new FaultSuite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (StackClient stack = new StackClient(token, kafka.client());
             MinioClient minio = s3.minio()) {
            if (only != null && only.contains(4) && !only.contains(3)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--only: fault 4 needs fault 3 (its tenant)");
            }
            // by number, as docs/faults.md numbers them
            Map<Integer, Callable<List<Row>>> faults = new LinkedHashMap<>();
            faults.put(1, () -> List.of(brokerKilledMidIngest(stack, minio)));
            faults.put(2, () -> List.of(poisonOnEveryInputTopic(stack, minio)));
            faults.put(3, () -> List.of(s3FrozenMidIngest(stack, minio)));
            faults.put(4, () -> List.of(corruptedStableAndServingKilled(stack, minio, "fault-s3-" + run)));
            faults.put(5, () -> List.of(s3FrozenDuringATrainingJob(stack, minio)));
            faults.put(6, () -> List.of(twoTrainersAndARebalanceMidJob(stack, minio)));
            faults.put(7, () -> poisonedVersionUnderDefaults(stack, minio));
            for (Map.Entry<Integer, Callable<List<Row>>> fault : faults.entrySet()) {
                if (only == null || only.contains(fault.getKey())) {
                    rows.addAll(fault.getValue().call());
                }
            }
        }
        System.out.printf("%n| fault | sent | accepted | lost | duplicated | time to recover |%n|---|---|---|---|---|---|%n");
        rows.forEach(r -> System.out.printf("| %s | %d | %d | %d | %d | %s |%n", r.fault(), r.sent(), r.accepted(), r.lost(), r.duplicated(),
                r.recoverSeconds() < 0 ? "–" : String.format("%.1f s", r.recoverSeconds())));
        List<String> failures = rows.stream().flatMap(r -> r.failures().stream().map(f -> r.fault() + ": " + f)).toList();
        failures.forEach(f -> System.out.println("FAILED: " + f));
        System.out.println(EventJson.MAPPER.writeValueAsString(Map.of("rows", rows, "failures", failures)));
        return failures.isEmpty() ? 0 : 1;
    }

    private List<String[]> sst2() throws Exception {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(data)) {
            String[] f = line.split("\t");
            if (f.length == 2 && !f[1].equals("label")) {
                rows.add(f);
            }
        }
        return rows;
    }

    // ---- the broker killed mid-ingest ----------------------------------------------------------------

    private Row brokerKilledMidIngest(StackClient stack, MinioClient minio) throws Exception {
        String tenant = "fault-broker-" + run;
        List<String[]> examples = sst2().subList(0, this.examples);
        int batchSize = 50;
        List<String> accepted = new ArrayList<>();
        int sent = 0;
        long killedAt = 0;
        double recover = -1;
        List<String> failures = new ArrayList<>();
        for (int from = 0; from < examples.size(); from += batchSize) {
            ArrayNode batch = EventJson.MAPPER.createArrayNode();
            for (String[] e : examples.subList(from, Math.min(examples.size(), from + batchSize))) {
                batch.addObject().put("text", e[0] + " #" + run).put("label", e[1]); // no ids: ingest derives them from the body
            }
            sent += batch.size();
            if (from == 5 * batchSize) {
                killedAt = System.nanoTime();
                kill9("kafka");
            }
            JsonNode answer = postUntilAccepted(stack, tenant, batch.toString(), killedAt != 0 && recover < 0);
            if (answer == null) {
                failures.add("a batch was never accepted within the retry budget");
                continue;
            }
            if (killedAt != 0 && recover < 0) {
                recover = (System.nanoTime() - killedAt) / 1e9;
            }
            answer.path("ids").forEach(id -> accepted.add(id.asText()));
        }
        Map<String, Integer> found = awaitInDatasets(minio, tenant, Set.copyOf(accepted), Duration.ofMinutes(3));
        int lost = lost(accepted, found, failures);
        int duplicated = duplicated(found, failures);
        return new Row("kill -9 the broker mid-ingest, restart it", sent, accepted.size(), lost, duplicated, recover, failures);
    }

    /**
     * Sends a batch as a client should: on 503 or no answer, the same body again after a pause. The first failure
     * after the kill restarts the broker (the launcher starts what is not running).
     */
    private JsonNode postUntilAccepted(StackClient stack, String tenant, String body, boolean restartOnFailure) throws Exception {
        boolean restarted = !restartOnFailure;
        for (int attempt = 0; attempt < 180; attempt++) {
            try {
                HttpResponse<String> r = stack.send(stack.request(ingest + "/v1/tenants/" + tenant + "/feedback", "application/json")
                        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build());
                if (r.statusCode() == 202) {
                    return EventJson.MAPPER.readTree(r.body());
                }
                if (r.statusCode() != 503) {
                    throw new IllegalStateException("ingest answered " + r.statusCode() + ": " + r.body());
                }
            } catch (java.io.IOException noAnswer) {
                // as a 503: send again
            }
            if (!restarted) {
                restarted = true;
                Thread.sleep(2_000);
                launcher("up");
            }
            Thread.sleep(1_000);
        }
        return null;
    }

    /** Accepted ids missing from the datasets, each counted as a failure. */
    private static int lost(List<String> accepted, Map<String, Integer> found, List<String> failures) {
        int lost = (int) accepted.stream().filter(id -> !found.containsKey(id)).count();
        if (lost > 0) {
            failures.add(lost + " accepted ids are not in the tenant's datasets");
        }
        return lost;
    }

    /** Ids in the datasets more than once, each counted as a failure. */
    private static int duplicated(Map<String, Integer> found, List<String> failures) {
        int duplicated = (int) found.values().stream().filter(n -> n > 1).count();
        if (duplicated > 0) {
            failures.add(duplicated + " ids are in the datasets more than once");
        }
        return duplicated;
    }

    private void kill9(String component) throws Exception {
        String pid = Files.readString(runDir.resolve(component + ".pid")).strip();
        signal("-9", pid);
        System.out.printf("fault: %s (pid %s) killed with SIGKILL%n", component, pid);
    }

    private static void signal(String signal, String pid) throws Exception {
        new ProcessBuilder("kill", signal, pid).inheritIO().start().waitFor();
    }

    private void launcher(String... args) throws Exception {
        new StackLauncher(launcher).run(args);
    }

    /** How often each id occurs in the tenant's sealed shards (training and holdout), once all wanted ids are there or time is up. */
    private Map<String, Integer> awaitInDatasets(MinioClient minio, String tenant, Set<String> wanted, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        Map<String, Integer> counts = Map.of();
        while (System.nanoTime() < deadline) {
            counts = idsInDatasets(minio, tenant);
            if (counts.keySet().containsAll(wanted)) {
                return counts;
            }
            Thread.sleep(1_000);
        }
        return counts;
    }

    private Map<String, Integer> idsInDatasets(MinioClient minio, String tenant) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        byte[] manifest = get(minio, "datasets/" + tenant + "/manifest.json");
        if (manifest == null) {
            return counts;
        }
        for (JsonNode shard : EventJson.MAPPER.readTree(manifest).path("shards")) {
            byte[] content = get(minio, shard.path("key").asText());
            for (String line : new String(content == null ? new byte[0] : content, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    counts.merge(EventJson.MAPPER.readTree(line).path("id").asText(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    private static byte[] get(MinioClient minio, String key) throws Exception {
        try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket("lorastream").object(key).build())) {
            return in.readAllBytes();
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code())) {
                return null;
            }
            throw e;
        }
    }

    // ---- S3 frozen (SIGSTOP) mid-ingest ----------------------------------------------------------------

    /**
     * S3 stopped with SIGSTOP for {@link #FREEZE} while feedback keeps coming, then SIGCONT: nothing is lost or
     * duplicated, every shard's bytes match the sha256 its dataset manifest lists (a late write of a fenced
     * attempt never replaces a committed shard), and the tenant's training request is trained into a version.
     */
    private Row s3FrozenMidIngest(StackClient stack, MinioClient minio) throws Exception {
        String tenant = "fault-s3-" + run;
        List<String[]> examples = sst2().subList(2_000, 2_000 + 600);
        List<String> accepted = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        String pid = Files.readString(runDir.resolve("s3.pid")).strip();
        int sent = 0;
        long frozenAt = 0;
        for (int from = 0; from < examples.size(); from += 50) {
            if (from == 100) {
                signal("-STOP", pid);
                frozenAt = System.nanoTime();
                System.out.printf("fault: s3 (pid %s) stopped with SIGSTOP for %d s%n", pid, FREEZE.toSeconds());
            }
            if (frozenAt != 0 && System.nanoTime() - frozenAt > FREEZE.toNanos()) {
                signal("-CONT", pid);
                System.out.printf("fault: s3 continued%n");
                frozenAt = -1;
            }
            ArrayNode batch = EventJson.MAPPER.createArrayNode();
            for (String[] e : examples.subList(from, Math.min(examples.size(), from + 50))) {
                batch.addObject().put("text", e[0] + " #" + run).put("label", e[1]);
            }
            sent += batch.size();
            JsonNode answer = postUntilAccepted(stack, tenant, batch.toString(), false);
            if (answer == null) {
                failures.add("a batch was never accepted");
                continue;
            }
            answer.path("ids").forEach(id -> accepted.add(id.asText()));
            if (frozenAt > 0) {
                Thread.sleep(FREEZE.toMillis() / 10); // spread the ingest over the freeze
            }
        }
        if (frozenAt > 0) {
            Thread.sleep(Math.max(0, FREEZE.toMillis() - (System.nanoTime() - frozenAt) / 1_000_000));
            signal("-CONT", pid);
        }
        long continued = System.nanoTime();
        Map<String, Integer> found = awaitInDatasets(minio, tenant, Set.copyOf(accepted), Duration.ofMinutes(3));
        double recover = (System.nanoTime() - continued) / 1e9;
        int lost = lost(accepted, found, failures);
        int duplicated = duplicated(found, failures);
        JsonNode manifest = EventJson.MAPPER.readTree(get(minio, "datasets/" + tenant + "/manifest.json"));
        for (JsonNode shard : manifest.path("shards")) {
            String actual = io.lorastream.events.Sha256.hex(get(minio, shard.path("key").asText()));
            if (!actual.equals(shard.path("sha256").asText())) {
                failures.add(shard.path("key").asText() + ": sha256 " + actual + " is not the manifest's " + shard.path("sha256").asText());
            }
        }
        if (!versionPublished(minio, tenant, Duration.ofMinutes(5))) {
            failures.add("no version was published for " + tenant + " after S3 came back");
        }
        return new Row("SIGSTOP S3 for " + FREEZE.toSeconds() + " s mid-ingest, then SIGCONT", sent, accepted.size(), lost, duplicated,
                recover, failures);
    }

    private static final Duration FREEZE = Duration.ofSeconds(60);

    // ---- a corrupted stable, and serving killed ----------------------------------------------------

    /**
     * The tenant of fault 3 gets a second version (promoted at once: no canary by default); its weights are then
     * overwritten in S3 and serving is killed with SIGKILL and restarted. The restarted replica refuses v2 (its
     * sha256 is not the manifest's), the rollout falls back, and the tenant is answered by v1 again.
     */
    private Row corruptedStableAndServingKilled(StackClient stack, MinioClient minio, String tenant) throws Exception {
        List<String> failures = new ArrayList<>();
        List<String[]> more = sst2().subList(3_000, 3_300);
        ArrayNode batch = EventJson.MAPPER.createArrayNode();
        more.forEach(e -> batch.addObject().put("text", e[0] + " #" + run).put("label", e[1]));
        stack.post(ingest + "/v1/tenants/" + tenant + "/feedback", batch.toString());
        if (!awaitServed(stack, tenant, 2, Duration.ofMinutes(6))) {
            failures.add("v2 was never served (published and promoted) before the fault");
            return new Row("corrupted stable in S3, kill -9 serving, restart", 0, 0, 0, 0, -1, failures);
        }
        String weights = "adapters/" + tenant + "/v2/adapter_model.safetensors";
        byte[] original = get(minio, weights);
        byte[] corrupted = java.util.Arrays.copyOf(original, original.length);
        for (int i = original.length / 2; i < original.length / 2 + 64; i++) {
            corrupted[i] ^= (byte) 0xFF;
        }
        minio.putObject(io.minio.PutObjectArgs.builder().bucket("lorastream").object(weights)
                .stream(new java.io.ByteArrayInputStream(corrupted), (long) corrupted.length, -1L).build());
        kill9("serving");
        long killed = System.nanoTime();
        launcher("up");
        boolean back = awaitServed(stack, tenant, 1, Duration.ofMinutes(3));
        double recover = (System.nanoTime() - killed) / 1e9;
        if (!back) {
            failures.add("the tenant was not answered by v1 within 3 minutes of the restart");
        }
        return new Row("corrupted stable (v2 weights) in S3, kill -9 serving, restart", 1, back ? 1 : 0, back ? 0 : 1, 0, recover, failures);
    }

    /** Whether serving answers the tenant with {@code version} within the time (it may answer 503 while loading). */
    private boolean awaitServed(StackClient stack, String tenant, int version, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                StackClient.Response r = stack.call("POST", serving + "/v1/tenants/" + tenant + "/score", "{\"texts\": [\"a fine day\"]}");
                if (r.ok() && r.body().path("predictions").path(0).path("version").asInt() == version) {
                    return true;
                }
            } catch (java.io.IOException notUp) {
                // serving is restarting
            }
            Thread.sleep(1_000);
        }
        return false;
    }

    /** Whether a manifest of some version of the tenant appears within the time. */
    private static boolean versionPublished(MinioClient minio, String tenant, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (get(minio, "adapters/" + tenant + "/v1/manifest.json") != null) {
                return true;
            }
            Thread.sleep(2_000);
        }
        return false;
    }

    // ---- S3 frozen (SIGSTOP) during a training job -------------------------------------------------------

    /**
     * A tenant's first training request; two seconds after it is on {@code training-requests} (the trainer has read
     * its shards and trains) S3 is stopped for {@link #FREEZE}, then continued. The trainer's S3 calls wait or are
     * retried with backoff: every request of the tenant ends as exactly one version (or a training-failed event).
     */
    private Row s3FrozenDuringATrainingJob(StackClient stack, MinioClient minio) throws Exception {
        String tenant = "fault-s3job-" + run;
        String what = "SIGSTOP S3 for " + FREEZE.toSeconds() + " s during a training job, then SIGCONT";
        List<String> failures = new ArrayList<>();
        String pid = Files.readString(runDir.resolve("s3.pid")).strip();
        try (TrainingOutcomes outcomes = new TrainingOutcomes(stack, List.of(tenant))) {
            sendExamples(stack, tenant, sst2().subList(7_000, 7_300));
            if (!outcomes.awaitFirstRequest(Duration.ofMinutes(2))) {
                failures.add("no training request for " + tenant + " within 2 minutes");
                return new Row(what, 0, 0, 0, 0, -1, failures);
            }
            Thread.sleep(2_000);
            signal("-STOP", pid);
            System.out.printf("fault: s3 (pid %s) stopped with SIGSTOP for %d s, 2 s into the job of %s%n", pid, FREEZE.toSeconds(),
                    outcomes.requests.get(0));
            Thread.sleep(FREEZE.toMillis());
            signal("-CONT", pid);
            long continued = System.nanoTime();
            boolean resolved = outcomes.awaitResolved(minio, Duration.ofMinutes(5));
            double recover = (System.nanoTime() - continued) / 1e9;
            return outcomes.row(what, resolved ? recover : -1, minio, failures);
        }
    }

    private void sendExamples(StackClient stack, String tenant, List<String[]> examples) throws Exception {
        for (int from = 0; from < examples.size(); from += 100) {
            ArrayNode batch = EventJson.MAPPER.createArrayNode();
            for (String[] e : examples.subList(from, Math.min(examples.size(), from + 100))) {
                batch.addObject().put("text", e[0] + " #" + run).put("label", e[1]);
            }
            if (postUntilAccepted(stack, tenant, batch.toString(), false) == null) {
                throw new IllegalStateException("ingest did not accept feedback for " + tenant);
            }
        }
    }

    /**
     * The training requests of some tenants from now on, and what each became: a version (its manifest names the
     * request) or a {@code training-failed} event. Lost: a request that became neither. Duplicated: a request that two
     * manifests name, or a {@code tenant:vN} whose {@code adapter-published} events carry two different manifests.
     */
    private static final class TrainingOutcomes implements AutoCloseable {
        final List<String> tenants;
        final List<String> requests = new ArrayList<>();
        final Set<String> failed = new java.util.TreeSet<>();
        final Map<String, Set<String>> manifestsByVersion = new java.util.TreeMap<>();
        private final StackClient.Follower<TrainingRequest> requestFollower;
        private final StackClient.Follower<io.lorastream.events.AdapterEvent> eventFollower;

        TrainingOutcomes(StackClient stack, List<String> tenants) {
            this.tenants = List.copyOf(tenants);
            this.requestFollower = stack.follow(Topics.TRAINING_REQUESTS, TrainingRequest.class);
            this.eventFollower = stack.follow(Topics.ADAPTER_EVENTS, io.lorastream.events.AdapterEvent.class);
        }

        void poll() {
            for (var r : requestFollower.poll(Duration.ofMillis(200))) {
                if (tenants.contains(r.value().tenant()) && !requests.contains(r.value().requestId())) {
                    requests.add(r.value().requestId());
                }
            }
            for (var r : eventFollower.poll(Duration.ofMillis(200))) {
                if (r.value() instanceof io.lorastream.events.AdapterPublished p && tenants.contains(p.tenant())) {
                    manifestsByVersion.computeIfAbsent(p.tenant() + ":v" + p.version(), k -> new java.util.TreeSet<>()).add(p.files().get("manifest.json"));
                } else if (r.value() instanceof io.lorastream.events.TrainingFailed f && tenants.contains(f.tenant())) {
                    failed.add(f.requestId());
                }
            }
        }

        boolean awaitFirstRequest(Duration within) {
            long deadline = System.nanoTime() + within.toNanos();
            while (requests.isEmpty() && System.nanoTime() < deadline) {
                poll();
            }
            return !requests.isEmpty();
        }

        /** Until every tenant has a request and every request seen has become a version or a failure; false when time ran out. */
        boolean awaitResolved(MinioClient minio, Duration within) throws Exception {
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline) {
                poll();
                Map<String, List<Integer>> versions = versions(minio);
                boolean everyTenant = tenants.stream().allMatch(t -> requests.stream().anyMatch(id -> id.startsWith("training:" + t + ":")));
                if (everyTenant && requests.stream().allMatch(r -> versions.containsKey(r) || failed.contains(r))) {
                    return true;
                }
            }
            return false;
        }

        Map<String, List<Integer>> versions(MinioClient minio) throws Exception {
            Map<String, List<Integer>> byRequest = new java.util.TreeMap<>();
            for (String t : tenants) {
                byRequest.putAll(versionsByRequest(minio, t));
            }
            return byRequest;
        }

        /** The row, after a few seconds more in which a late second version or event would show. */
        Row row(String fault, double recover, MinioClient minio, List<String> failures) throws Exception {
            long settle = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < settle) {
                poll();
            }
            Map<String, List<Integer>> versions = versions(minio);
            int lost = (int) requests.stream().filter(r -> !versions.containsKey(r) && !failed.contains(r)).count();
            int duplicated = (int) versions.values().stream().filter(v -> v.size() > 1).count()
                    + (int) manifestsByVersion.values().stream().filter(m -> m.size() > 1).count();
            if (lost > 0 || duplicated > 0 || recover < 0) {
                failures.add("requests " + requests + " → versions " + versions + ", failed " + failed + "; manifests per version in the events "
                        + manifestsByVersion);
            }
            return new Row(fault, requests.size(), requests.size() - lost, lost, duplicated, recover, failures);
        }

        @Override
        public void close() {
            requestFollower.close();
            eventFollower.close();
        }
    }

    /** The tenant's published versions (those with a manifest), by the training request each names. */
    private static Map<String, List<Integer>> versionsByRequest(MinioClient minio, String tenant) throws Exception {
        Map<String, List<Integer>> byRequest = new java.util.TreeMap<>();
        for (var item : minio.listObjects(io.minio.ListObjectsArgs.builder().bucket("lorastream").prefix("adapters/" + tenant + "/")
                .recursive(true).build())) {
            String key = item.get().objectName();
            if (key.endsWith("/manifest.json")) {
                JsonNode m = EventJson.MAPPER.readTree(get(minio, key));
                byRequest.computeIfAbsent(m.path("trainingRequestId").asText(), r -> new ArrayList<>()).add(m.path("version").asInt());
            }
        }
        return byRequest;
    }

    // ---- two trainers, and a rebalance in the middle of a job -------------------------------------------

    /**
     * A second trainer joins the group ({@code ./lorastream start trainer-2}); four tenants send feedback; two seconds
     * after the first request the first trainer is stopped with SIGSTOP, so that after the session timeout its
     * partitions, and the job it was in the middle of, move to the second; then it continues and finishes that job
     * late. Every request must end as exactly one version (or a training-failed event), and no version number may
     * carry two different manifests in the events. The row names how many late attempts found their request
     * published by the other trainer: the race this fault is for.
     */
    private Row twoTrainersAndARebalanceMidJob(StackClient stack, MinioClient minio) throws Exception {
        List<String> failures = new ArrayList<>();
        List<String> tenants = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tenants.add("fault-rebalance-" + i + "-" + run);
        }
        String pid = Files.readString(runDir.resolve("trainer.pid")).strip();
        Path log = runDir.getParent().resolve("logs").resolve("trainer.log");
        launcher("start", "trainer-2");
        try (TrainingOutcomes outcomes = new TrainingOutcomes(stack, tenants)) {
            long logBefore = Files.size(log);
            for (int i = 0; i < tenants.size(); i++) {
                sendExamples(stack, tenants.get(i), sst2().subList(8_000 + 300 * i, 8_300 + 300 * i));
            }
            outcomes.awaitFirstRequest(Duration.ofMinutes(2));
            Thread.sleep(2_000);
            signal("-STOP", pid);
            long stopped = System.nanoTime();
            System.out.printf("fault: trainer (pid %s) stopped with SIGSTOP for %d s%n", pid, REBALANCE_PAUSE.toSeconds());
            Thread.sleep(REBALANCE_PAUSE.toMillis());
            signal("-CONT", pid);
            boolean resolved = outcomes.awaitResolved(minio, Duration.ofMinutes(6));
            double recover = (System.nanoTime() - stopped) / 1e9;
            Thread.sleep(10_000); // the late attempt finishes
            String since = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
            since = since.substring((int) Math.min(logBefore, since.length()));
            long late = since.lines().filter(l -> l.contains("by another attempt meanwhile")).count();
            return outcomes.row("two trainers, SIGSTOP one for " + REBALANCE_PAUSE.toSeconds() + " s mid-job (rebalance), SIGCONT; " + late
                    + " late attempt(s) found their request published by the other", resolved ? recover : -1, minio, failures);
        } finally {
            launcher("stop", "trainer-2");
        }
    }

    /** Past the consumer's session timeout (45 s): the group takes the stopped trainer's partitions away. */
    private static final Duration REBALANCE_PAUSE = Duration.ofSeconds(60);

    // ---- a poisoned version under the default settings ------------------------------------------------

    /**
     * {@link PoisonedVersionFault}: two rows, the roll-back by live labels within 200 of them, and the next served
     * version's manifest, which must name a parent and a baseline the rollout did not roll back.
     */
    private List<Row> poisonedVersionUnderDefaults(StackClient stack, MinioClient minio) throws Exception {
        String tenant = "fault-poisoned-" + run;
        List<io.lorastream.engine.Example> examples = sst2().subList(10_000, 10_000 + PoisonedVersionFault.examplesNeeded()).stream()
                .map(e -> new io.lorastream.engine.Example(e[0], e[1])).toList();
        PoisonedVersionFault.Outcome o = PoisonedVersionFault.run(stack, ingest, serving, tenant, examples, 20);
        List<String> caught = new ArrayList<>(o.violations());
        boolean rolledBack = o.poisonEnd().transition() == io.lorastream.events.AdapterLifecycle.Transition.ROLLED_BACK;
        if (!rolledBack) {
            caught.add("no poisoned version was rolled back: the poison ended with v" + o.poisonEnd().version() + " " + o.poisonEnd().transition());
        } else if (o.labels() >= 200) {
            caught.add("v" + o.poisonEnd().version() + " was rolled back only after " + o.labels() + " labelled predictions (goal: within 200)");
        }
        Row poisoned = new Row(String.format(Locale.ROOT, "a poisoned version under default settings (gate passed, promoted at once): v%d %s on %d "
                + "of its labelled predictions (%d sent by then)", o.poisonEnd().version(), o.poisonEnd().transition(), o.labels(), o.sentLabels()),
                o.sentLabels(), rolledBack ? 1 : 0, rolledBack ? 0 : 1, 0, o.seconds(), caught);
        List<String> lineage = new ArrayList<>();
        String what = "the next served version after the roll-back: none in time";
        if (o.next() == null) {
            lineage.add("no version was promoted after the roll-back");
        } else {
            JsonNode manifest = EventJson.MAPPER.readTree(get(minio, "adapters/" + tenant + "/v" + o.next().version() + "/manifest.json"));
            int parent = manifest.path("parentVersion").asInt(0);
            int baseline = manifest.path("baselineVersion").asInt(0);
            what = String.format(Locale.ROOT, "the next served version, v%d: manifest's parent v%d, baseline v%d (rolled back: %s)", o.next().version(),
                    parent, baseline, o.rolledBack());
            if (o.rolledBack().contains(parent) || o.rolledBack().contains(baseline)) {
                lineage.add("v" + o.next().version() + " descends from a rolled-back version: " + what);
            }
        }
        return List.of(poisoned, new Row(what, o.next() == null ? 0 : 1, o.next() == null ? 0 : 1, lineage.isEmpty() ? 0 : 1, 0, -1, lineage));
    }

    // ---- poison on every input topic -----------------------------------------------------------------

    private Row poisonOnEveryInputTopic(StackClient stack, MinioClient minio) throws Exception {
        String tenant = "fault-poison-" + run;
        byte[] controls = new byte[900_000];
        java.util.Arrays.fill(controls, (byte) 1);
        byte[] notJson = "not json".getBytes(StandardCharsets.UTF_8);
        byte[] otherSchema = "{\"foo\": 1}".getBytes(StandardCharsets.UTF_8);
        byte[] traversal = ("{\"requestId\":\"training:" + tenant + ":1\",\"tenant\":\"" + tenant + "\",\"shards\":[\"datasets/" + tenant
                + "/../other/shards/000001.jsonl\"],\"holdoutShards\":[],\"newExamples\":5,\"trigger\":\"MANUAL\","
                + "\"requestedAt\":\"2026-12-04T10:00:00Z\"}").getBytes(StandardCharsets.UTF_8);
        // what each dead-letter topic must hold afterwards; topics without one log and skip what they cannot read
        Map<String, List<byte[]>> poison = new LinkedHashMap<>();
        poison.put(Topics.FEEDBACK, List.of(notJson, otherSchema, controls));
        poison.put(Topics.TRAINING_REQUESTS, List.of(notJson, otherSchema, traversal));
        poison.put(Topics.SCORE_REQUESTS, List.of(notJson, otherSchema, controls));
        poison.put(Topics.SCORE_RESULTS, List.of(notJson, otherSchema, controls));
        poison.put(Topics.ADAPTER_EVENTS, List.of(notJson, otherSchema, controls));
        poison.put(Topics.ADAPTER_COMMANDS, List.of(notJson, otherSchema, controls));
        Map<String, String> dlq = Map.of(Topics.FEEDBACK, Topics.FEEDBACK_DLQ, Topics.TRAINING_REQUESTS, Topics.TRAINING_REQUESTS_DLQ,
                Topics.SCORE_REQUESTS, Topics.SCORE_REQUESTS_DLQ);
        long started = System.nanoTime();
        int sent = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(), new StringSerializer(),
                new ByteArraySerializer())) {
            for (Map.Entry<String, List<byte[]>> e : poison.entrySet()) {
                for (byte[] value : e.getValue()) {
                    producer.send(new ProducerRecord<>(e.getKey(), tenant, value)).get();
                    sent++;
                }
            }
        }
        List<String> failures = new ArrayList<>();
        int expected = 0;
        int lettered = 0;
        int duplicated = 0;
        for (Map.Entry<String, String> e : dlq.entrySet()) {
            int want = poison.get(e.getKey()).size();
            expected += want;
            Map<Long, Integer> bySourceOffset = letters(e.getValue(), tenant, want, Duration.ofMinutes(2));
            lettered += bySourceOffset.size();
            duplicated += (int) bySourceOffset.values().stream().filter(n -> n > 1).count();
            if (bySourceOffset.size() < want) {
                failures.add(e.getValue() + " holds " + bySourceOffset.size() + " of the " + want + " dead letters");
            }
        }
        double recover = (System.nanoTime() - started) / 1e9;
        for (String service : services) {
            HttpResponse<String> live = http.send(HttpRequest.newBuilder(java.net.URI.create(service + "/q/health/live")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (live.statusCode() != 200) {
                failures.add(service + " is not live: " + live.statusCode());
            }
        }
        String other = "fault-after-" + run;
        JsonNode answer = stack.post(ingest + "/v1/tenants/" + other + "/feedback", "{\"text\": \"still here\", \"label\": \"1\"}");
        String id = answer.path("ids").get(0).asText();
        if (!awaitInDatasets(minio, other, Set.of(id), Duration.ofMinutes(1)).containsKey(id)) {
            failures.add("another tenant's feedback did not reach its datasets after the poison");
        }
        return new Row("poison on every input topic (not JSON, other schema, 900 KB, traversal key)", sent, lettered,
                expected - lettered, duplicated, recover, failures);
    }

    private Map<String, Object> producerConfig() {
        Map<String, Object> config = kafka.client();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return config;
    }

    /** Dead letters on {@code topic} for records keyed {@code key}, counted by the offset of the record they carry. */
    private Map<Long, Integer> letters(String topic, String key, int want, Duration within) {
        Map<String, Object> props = kafka.client();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "faults-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        var deserializer = EventSerde.of(DeadLetter.class, "/faults").deserializer();
        Map<Long, Integer> found = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + within.toNanos();
            long settle = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settle)) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                    if (key.equals(r.key())) {
                        DeadLetter letter = deserializer.deserialize(r.topic(), r.headers(), r.value());
                        found.merge(letter.offset(), 1, Integer::sum);
                    }
                });
                if (found.size() >= want && settle == Long.MAX_VALUE) {
                    settle = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // a little longer: a second copy would show now
                }
            }
        }
        return found;
    }
}
