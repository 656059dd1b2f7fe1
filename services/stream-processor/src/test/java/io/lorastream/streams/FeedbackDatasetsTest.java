package io.lorastream.streams;

import io.lorastream.events.ShardKeys;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventJson;
import io.lorastream.events.Sha256;
import io.lorastream.events.EventSerde;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.Topics;
import io.lorastream.testing.ConfigMappings;
import io.lorastream.events.TrainingFailed;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.DatasetSnapshot;
import io.lorastream.events.TrainingRequested;
import io.lorastream.events.TrainingSnapshotRequested;
import io.lorastream.events.TrainingRequested.Trigger;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedbackDatasetsTest {
    private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");
    private static final HoldoutSplit SPLIT = new HoldoutSplit(0.2);

    @TempDir
    Path stateDir;

    private final InMemoryDatasetStore store = new InMemoryDatasetStore();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> feedback;
    private TestOutputTopic<String, TrainingSnapshotRequested> requests;
    private TestOutputTopic<String, DeadLetter> deadLetters;
    private TestInputTopic<String, byte[]> adapterEvents;
    private final EventSerde<FeedbackReceived> feedbackSerde = EventSerde.of(FeedbackReceived.class, "/test");
    private int nextId;
    /** Where compaction runs: at once, inside the check that starts it (the next check records it), unless a test says otherwise. */
    private java.util.concurrent.Executor background = Runnable::run;
    private Instant now = START;

    private void advance(Duration by) {
        now = now.plus(by);
        driver.advanceWallClockTime(by);
    }

    private static JsonNode json(byte[] bytes) {
        try {
            return EventJson.MAPPER.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** @param tenantPolicies {@code lorastream.training-policy.tenants.*} properties, e.g. {@code "big".min-examples} */
    private void start(Map<String, String> tenantPolicies) {
        start(tenantPolicies, Map.of());
    }

    /** @param feedbackSettings more {@code lorastream.feedback.*} properties, e.g. {@code holdout-window} */
    private void start(Map<String, String> tenantPolicies, Map<String, String> feedbackSettings) {
        Map<String, String> values = new java.util.HashMap<>(Map.of(
                "holdout-fraction", Double.toString(SPLIT.fraction()), "dedup-window", "P1D",
                "shard-max-examples", "5", "shard-max-age", "PT5S", "check-interval", "PT1S"));
        values.putAll(feedbackSettings);
        var settings = ConfigMappings.load(StreamProcessorConfig.Feedback.class, "lorastream.feedback", values);
        Map<String, String> policies = new java.util.HashMap<>(Map.of("defaults.min-examples", "10", "defaults.max-wait", "PT60S",
                "defaults.min-examples-after-wait", "3", "defaults.min-interval", "PT30S", "defaults.answer-timeout", "PT0S"));
        tenantPolicies.forEach((key, value) -> policies.put("tenants." + key, value));
        Topology topology = TopologyProducer.compose(settings,
                ConfigMappings.load(StreamProcessorConfig.Policies.class, "lorastream.training-policy", policies),
                ConfigMappings.load(StreamProcessorConfig.Rollout.class, "lorastream.rollout", Map.of()), store, registry,
                background);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "feedback-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(topology, props, START);
        feedback = driver.createInputTopic(Topics.FEEDBACK, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        requests = driver.createOutputTopic(Topics.TRAINING_REQUESTS, Serdes.String().deserializer(),
                EventSerde.of(TrainingSnapshotRequested.class, "/test").deserializer());
        deadLetters = driver.createOutputTopic(Topics.FEEDBACK_DLQ, Serdes.String().deserializer(),
                EventSerde.of(DeadLetter.class, "/test").deserializer());
        adapterEvents = driver.createInputTopic(Topics.ADAPTER_EVENTS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
    }

    /** The next training request on the topic, with the shard lists of the snapshot it names (which must be in the store, whole). */
    private TrainingRequested nextRequest() {
        TrainingSnapshotRequested request = requests.readValue();
        byte[] snapshot = store.objects.get(request.snapshot().key());
        assertThat(snapshot).as("the snapshot is written before the request names it").isNotNull();
        return request.resolve(DatasetSnapshot.decode(request.tenant(), request.snapshot().key(), snapshot, request.snapshot().sha256()));
    }

    /** As the trainer writes it. */
    private void send(TrainingFailed failed) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = EventSerde.of(TrainingFailed.class, "/test").serializer().serialize(Topics.ADAPTER_EVENTS, headers, failed);
        adapterEvents.pipeInput(new TestRecord<>(failed.tenant(), value, headers, now));
    }

    /** The trainer's answer that the request made the tenant's version {@code version}. */
    private void sendPublished(TrainingRequested request, int version) {
        AdapterPublished published = new AdapterPublished(request.tenant(), version, null, null,
                "s3://lorastream/adapters/" + request.tenant() + "/v" + version + "/", new AdapterPublished.BaseModel("minilm", "a".repeat(64)),
                Map.of("adapter_config.json", "b".repeat(64), "adapter_model.safetensors", "c".repeat(64), "manifest.json", "d".repeat(64)),
                request.requestId(), new AdapterPublished.Metrics(new io.lorastream.events.Evaluation(0.9, null, null, 10), null),
                new AdapterPublished.Gate(true, 0.02), now);
        RecordHeaders headers = new RecordHeaders();
        byte[] value = EventSerde.of(AdapterPublished.class, "/test").serializer().serialize(Topics.ADAPTER_EVENTS, headers, published);
        adapterEvents.pipeInput(new TestRecord<>(request.tenant(), value, headers, now));
    }

    private void start() {
        start(Map.of());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    /** A fresh id that the split puts on the wanted side. */
    private String id(boolean holdout) {
        while (true) {
            String id = "fb-" + nextId++;
            if (SPLIT.isHoldout(id) == holdout) {
                return id;
            }
        }
    }

    private FeedbackReceived event(String tenant, String id) {
        return new FeedbackReceived(id, tenant, "text of " + id, nextId % 2 == 0 ? "pos" : "neg", null, null, START);
    }

    /** As a producer writes it: binary CloudEvent, key = tenant. */
    private void send(FeedbackReceived event) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = feedbackSerde.serializer().serialize(Topics.FEEDBACK, headers, event);
        feedback.pipeInput(new TestRecord<>(event.tenant(), value, headers, now));
    }

    private List<String> sendTrain(String tenant, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = id(false);
            send(event(tenant, id));
            ids.add(id);
        }
        return ids;
    }

    private List<String> idsIn(String key) {
        return store.lines(key).stream().map(line -> json(line.getBytes(StandardCharsets.UTF_8)).get("id").asText()).toList();
    }

    private double counter(String outcome) {
        return registry.get("lorastream.feedback.records").tag("outcome", outcome).counter().count();
    }

    @Test
    void examplesBecomeShardsInArrivalOrderSealedBySizeThenByAge() {
        start();
        List<String> ids = sendTrain("acme", 12);

        assertThat(idsIn("datasets/acme/shards/000001.jsonl")).containsExactlyElementsOf(ids.subList(0, 5));
        assertThat(idsIn("datasets/acme/shards/000002.jsonl")).containsExactlyElementsOf(ids.subList(5, 10));
        assertThat(store.objects).doesNotContainKey("datasets/acme/shards/000003.jsonl");

        advance(Duration.ofSeconds(4));
        assertThat(store.objects).doesNotContainKey("datasets/acme/shards/000003.jsonl");
        advance(Duration.ofSeconds(1));
        assertThat(idsIn("datasets/acme/shards/000003.jsonl")).containsExactlyElementsOf(ids.subList(10, 12));

        // every line is the feedback event itself, valid against its schema
        FeedbackReceived first = EventJson.decode(io.lorastream.events.EventType.FEEDBACK_RECEIVED,
                store.lines("datasets/acme/shards/000001.jsonl").get(0).getBytes(StandardCharsets.UTF_8), FeedbackReceived.class);
        assertThat(first.text()).isEqualTo("text of " + ids.get(0));

        // the manifest lists a shard from the check after the one that sealed it: only then has its sealing committed, and
        // a crash cannot make the same number hold other examples
        JsonNode listedBefore = json(store.objects.get("datasets/acme/manifest.json"));
        assertThat(listedBefore.get("shards")).as("shard 3, sealed at this check, is not listed yet").hasSize(2);
        assertThat(listedBefore.get("trainExamples").asInt()).isEqualTo(10);
        advance(Duration.ofSeconds(1));
        JsonNode manifest = json(store.objects.get("datasets/acme/manifest.json"));
        assertThat(manifest.get("trainExamples").asInt()).isEqualTo(12);
        assertThat(manifest.get("shards")).hasSize(3);
        for (JsonNode shard : manifest.get("shards")) {
            assertThat(shard.get("sha256").asText()).isEqualTo(Sha256.hex(store.objects.get(shard.get("key").asText())));
        }
        assertThat(counter("train")).isEqualTo(12);
    }

    @Test
    void aSecondCopyOfAnIdIsDroppedWhateverItsContentButOnlyWithinItsTenant() {
        start();
        String id = id(false);
        send(event("acme", id));
        send(new FeedbackReceived(id, "acme", "another text", "neg", null, null, START));
        send(event("acme", id));
        send(event("globex", id)); // same id, other tenant: its own example
        advance(Duration.ofSeconds(5));

        assertThat(idsIn("datasets/acme/shards/000001.jsonl")).containsExactly(id);
        assertThat(store.lines("datasets/acme/shards/000001.jsonl").get(0)).contains("text of " + id);
        assertThat(idsIn("datasets/globex/shards/000001.jsonl")).containsExactly(id);
        assertThat(counter("duplicate")).isEqualTo(2);
    }

    @Test
    void badRecordsGoToTheDeadLetterTopicWithTheReasonAndTheStreamGoesOn() {
        start();
        byte[] notJson = "{\"id\": \"x1\", \"tenant\": ".getBytes(StandardCharsets.UTF_8);
        byte[] badTenant = "{\"id\":\"x2\",\"tenant\":\"ACME\",\"text\":\"t\",\"label\":\"pos\",\"timestamp\":\"2026-11-22T10:00:00Z\"}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] emptyText = "{\"id\":\"x3\",\"tenant\":\"acme\",\"text\":\"\",\"label\":\"pos\",\"timestamp\":\"2026-11-22T10:00:00Z\"}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 1, 2};
        feedback.pipeInput("acme", notJson);
        feedback.pipeInput("ACME", badTenant);
        feedback.pipeInput("acme", emptyText);
        feedback.pipeInput("acme", binary);
        feedback.pipeInput("acme", (byte[]) null);
        FeedbackReceived wrongKey = event("acme", id(false));
        RecordHeaders headers = new RecordHeaders();
        byte[] value = feedbackSerde.serializer().serialize(Topics.FEEDBACK, headers, wrongKey);
        feedback.pipeInput(new TestRecord<>("globex", value, headers, now));
        List<String> good = sendTrain("acme", 1);

        List<TestRecord<String, DeadLetter>> letters = deadLetters.readRecordsToList();
        assertThat(letters).hasSize(6);
        assertThat(letters.get(0).value().payloadBytes()).isEqualTo(notJson);
        assertThat(letters.get(1).value().errors()).anyMatch(e -> e.contains("tenant"));
        assertThat(letters.get(2).value().errors()).anyMatch(e -> e.contains("text"));
        assertThat(letters.get(3).value().payloadEncoding()).isEqualTo(DeadLetter.PayloadEncoding.BASE64);
        assertThat(letters.get(3).value().payloadBytes()).isEqualTo(binary);
        assertThat(letters.get(4).value().reason()).contains("empty");
        assertThat(letters.get(5).value().reason()).contains("record key globex is not the event's tenant acme");
        assertThat(letters.get(5).value().payloadBytes()).isEqualTo(value);
        for (int i = 0; i < letters.size(); i++) {
            TestRecord<String, DeadLetter> letter = letters.get(i);
            assertThat(new String(letter.headers().lastHeader(DeadLetter.REASON_HEADER).value(), StandardCharsets.UTF_8))
                    .isEqualTo(letter.value().reason());
            assertThat(letter.value().sourceTopic()).isEqualTo(Topics.FEEDBACK);
            assertThat(letter.value().offset()).isEqualTo(i);
            assertThat(letter.value().failedBy()).isEqualTo("stream-processor");
        }
        advance(Duration.ofSeconds(5));
        assertThat(idsIn("datasets/acme/shards/000001.jsonl")).containsExactly(good.get(0));
        assertThat(registry.get("lorastream.feedback.records").tag("outcome", "dead-letter").counter().count()).isEqualTo(6);
    }

    @Test
    void holdoutIsAboutTheConfiguredShareDecidedByIdAlone() {
        start();
        List<String> ids = IntStream.range(0, 2000).mapToObj(i -> "split-" + i).toList();
        ids.forEach(id -> send(event("acme", id)));
        ids.forEach(id -> send(event("acme", id))); // second copies change nothing
        advance(Duration.ofSeconds(5));

        List<String> holdout = new ArrayList<>();
        List<String> train = new ArrayList<>();
        store.objects.keySet().stream().filter(k -> k.startsWith("datasets/acme/holdout/")).forEach(k -> holdout.addAll(idsIn(k)));
        store.objects.keySet().stream().filter(k -> k.startsWith("datasets/acme/shards/")).forEach(k -> train.addAll(idsIn(k)));
        assertThat(holdout).allMatch(SPLIT::isHoldout).doesNotHaveDuplicates();
        assertThat(train).noneMatch(SPLIT::isHoldout).doesNotHaveDuplicates();
        assertThat(holdout.size() + train.size()).isEqualTo(2000);
        assertThat(holdout.size() / 2000.0).isBetween(0.17, 0.23);
    }

    @Test
    void enoughNewExamplesRequestTrainingOnExactlyTheirShards() {
        start();
        String holdoutId = id(true);
        send(event("acme", holdoutId));
        List<String> ids = sendTrain("acme", 9);
        assertThat(requests.isEmpty()).isTrue();
        ids.addAll(sendTrain("acme", 1));

        TrainingRequested request = nextRequest();
        assertThat(request.trigger()).isEqualTo(Trigger.MIN_EXAMPLES);
        assertThat(request.newExamples()).isEqualTo(10);
        assertThat(request.shards()).containsExactly("datasets/acme/shards/000001.jsonl", "datasets/acme/shards/000002.jsonl");
        // the pending holdout example was sealed for the request
        assertThat(request.holdoutShards()).containsExactly("datasets/acme/holdout/000001.jsonl");
        assertThat(idsIn("datasets/acme/holdout/000001.jsonl")).containsExactly(holdoutId);
        assertThat(request.requestId()).isEqualTo("training:acme:1");
        List<String> named = new ArrayList<>();
        request.shards().forEach(k -> named.addAll(idsIn(k)));
        assertThat(named).containsExactlyElementsOf(ids);
        assertThat(requests.isEmpty()).isTrue();
    }

    @Test
    void aRequestRecordNamesItsSnapshotAndStaysTheSameSizeAsTheHoldoutGrows() {
        start();
        TestOutputTopic<String, byte[]> raw = driver.createOutputTopic(Topics.TRAINING_REQUESTS, Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
        sendTrain("acme", 10);
        int first = raw.readValue().length;
        for (int i = 0; i < 1_000; i++) {
            send(event("acme", id(true))); // 200 holdout shards of 5
        }
        advance(Duration.ofSeconds(31));
        sendTrain("acme", 10);
        List<byte[]> later = raw.readValuesToList();
        assertThat(later).hasSize(1);
        assertThat(later.get(0).length).as("bytes of the record: %d at first", first).isBetween(first - 8, first + 8).isLessThan(1_000);
        // ... while the snapshot it names lists every holdout shard
        String snapshotKey = store.objects.keySet().stream().filter(k -> k.startsWith("datasets/acme/snapshots/000002-")).findFirst().orElseThrow();
        assertThat(json(store.objects.get(snapshotKey)).path("holdout")).hasSize(200);
        assertThat(store.objects.keySet().stream().filter(k -> k.startsWith("datasets/acme/snapshots/"))).hasSize(2);
    }

    @Test
    void aRequestsHoldoutIsTheNewestShardsAndASampleOfTheOlderOnesBoundedByTheSettings() {
        start(Map.of(), Map.of("holdout-window", "20", "holdout-reservoir", "10"));
        for (int i = 0; i < 500; i++) {
            send(event("acme", id(true))); // 100 holdout shards of 5
        }
        sendTrain("acme", 10);
        TrainingRequested request = nextRequest();
        List<String> window = java.util.stream.IntStream.rangeClosed(97, 100)
                .mapToObj(seq -> DatasetKind.HOLDOUT.shardKey("acme", seq)).toList();
        assertThat(request.holdoutShards()).as("the window's 4 shards of 5 and a reservoir of 2 older ones").hasSize(6)
                .containsAll(window).isSorted();
        // the same selection from scratch (what a state from before the selection existed is given)
        HoldoutSelection fromScratch = HoldoutSelection.EMPTY;
        for (int seq = 1; seq <= 100; seq++) {
            fromScratch = fromScratch.sealed(new HoldoutSelection.Entry(seq, 5, ShardKeys.rank(DatasetKind.HOLDOUT.shardKey("acme", seq))), 20, 10);
        }
        assertThat(request.holdoutShards()).containsExactlyElementsOf(
                fromScratch.seqs().stream().map(seq -> DatasetKind.HOLDOUT.shardKey("acme", seq)).toList());
    }

    @Test
    void afterTheMaximumWaitFewerExamplesAreEnoughButNotFewerThanTheMinimum() {
        start();
        sendTrain("acme", 4);   // M = 3 ≤ 4 < N = 10
        sendTrain("globex", 2); // fewer than M: waits for more
        advance(Duration.ofSeconds(59));
        assertThat(requests.isEmpty()).isTrue();
        assertThat(store.objects).containsKey("datasets/acme/shards/000001.jsonl"); // sealed by age meanwhile

        advance(Duration.ofSeconds(1));
        TrainingRequested request = nextRequest();
        assertThat(request.tenant()).isEqualTo("acme");
        assertThat(request.trigger()).isEqualTo(Trigger.MAX_WAIT);
        assertThat(request.newExamples()).isEqualTo(4);

        advance(Duration.ofMinutes(10));
        assertThat(requests.isEmpty()).isTrue();
        sendTrain("globex", 1);
        advance(Duration.ofSeconds(5)); // sealed on age, waited long enough already
        TrainingRequested globex = nextRequest();
        assertThat(globex.tenant()).isEqualTo("globex");
        assertThat(globex.newExamples()).isEqualTo(3);
        assertThat(globex.trigger()).isEqualTo(Trigger.MAX_WAIT);
    }

    @Test
    void requestsForOneTenantAreNeverCloserThanTheMinimumInterval() {
        start();
        sendTrain("acme", 10);
        assertThat(nextRequest().requestId()).isEqualTo("training:acme:1");
        advance(Duration.ofSeconds(10));
        sendTrain("acme", 25);
        advance(Duration.ofSeconds(19));
        assertThat(requests.isEmpty()).isTrue();

        advance(Duration.ofSeconds(1)); // 30 s after the first
        TrainingRequested second = nextRequest();
        assertThat(second.requestId()).isEqualTo("training:acme:2");
        assertThat(second.newExamples()).isEqualTo(25);
        assertThat(second.shards()).containsExactly("datasets/acme/shards/000003.jsonl",
                "datasets/acme/shards/000004.jsonl", "datasets/acme/shards/000005.jsonl",
                "datasets/acme/shards/000006.jsonl", "datasets/acme/shards/000007.jsonl");
    }

    @Test
    void afterABacklogARequestNamesAtMostTheMaximumAndTheRestRideWithTheNextOnes() {
        start(Map.of(), Map.of("request-max-examples", "12"));
        sendTrain("acme", 10);
        assertThat(nextRequest().newExamples()).isEqualTo(10);
        advance(Duration.ofSeconds(10));
        List<String> backlog = sendTrain("acme", 30); // six shards of 5 wait for the minimum interval
        List<String> named = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            advance(Duration.ofSeconds(30)); // min-interval
            if (!requests.isEmpty()) {
                TrainingRequested request = nextRequest();
                sizes.add(request.newExamples());
                request.shards().forEach(k -> named.addAll(idsIn(k)));
            }
        }
        assertThat(sizes).as("whole shards of 5, up to the shard that reaches 12").containsExactly(15, 15);
        assertThat(named).as("every example once, in order").containsExactlyElementsOf(backlog);
    }

    @Test
    void aTenantsOwnPolicyOverridesTheDefaults() {
        start(Map.of("\"big\".min-examples", "20"));
        sendTrain("big", 10);
        sendTrain("acme", 10);
        assertThat(nextRequest().tenant()).isEqualTo("acme");
        assertThat(requests.isEmpty()).isTrue();
        sendTrain("big", 10);
        assertThat(nextRequest().tenant()).isEqualTo("big");
    }

    @Test
    void recordsOfOneByteOneMegabyteAndTenOnEveryInputTopicStopNothing() {
        start();
        byte[] controls = new byte[1_048_577];
        java.util.Arrays.fill(controls, (byte) 1);
        byte[] tenMegabytes = new byte[10 << 20];
        java.util.Arrays.fill(tenMegabytes, (byte) '{');
        List<byte[]> values = List.of(new byte[] {'x'}, controls, tenMegabytes);
        for (String topic : List.of(Topics.FEEDBACK, Topics.SCORE_RESULTS, Topics.ADAPTER_EVENTS, Topics.ADAPTER_COMMANDS)) {
            TestInputTopic<String, byte[]> input = driver.createInputTopic(topic, Serdes.String().serializer(), Serdes.ByteArray().serializer());
            values.forEach(value -> input.pipeInput("acme", value));
        }
        EventSerde<DeadLetter> serde = EventSerde.of(DeadLetter.class, "/test");
        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).extracting(DeadLetter::payloadSize).containsExactly(1L, 1_048_577L, (long) (10 << 20));
        for (DeadLetter letter : letters) {
            assertThat(serde.serializer().serialize(Topics.FEEDBACK_DLQ, new RecordHeaders(), letter).length)
                    .as("fits a Kafka record (1 MB)").isLessThan(1_000_000);
        }
        assertThat(letters.get(2).payloadTruncated()).isTrue();
        sendTrain("acme", 10); // the stream goes on
        assertThat(nextRequest().tenant()).isEqualTo("acme");
    }

    @Test
    void aFailedRequestsShardsRideWithTheNextRequestWithoutTriggeringOne() {
        start();
        sendTrain("acme", 10); // two shards of 5, then the policy's 10 examples: request 1
        TrainingRequested first = nextRequest();
        assertThat(first.shards()).containsExactly("datasets/acme/shards/000001.jsonl", "datasets/acme/shards/000002.jsonl");

        send(new TrainingFailed(first.requestId(), "acme", TrainingFailed.Kind.REFUSED, "fewer than two labels",
                first.shards(), now));
        send(new TrainingFailed(first.requestId(), "acme", TrainingFailed.Kind.REFUSED, "the same event again", first.shards(), now));
        advance(Duration.ofMinutes(10)); // past max-wait and min-interval: retries alone request nothing
        assertThat(requests.isEmpty()).isTrue();

        sendTrain("acme", 10);
        TrainingRequested second = nextRequest();
        assertThat(second.shards()).containsExactly("datasets/acme/shards/000001.jsonl", "datasets/acme/shards/000002.jsonl",
                "datasets/acme/shards/000003.jsonl", "datasets/acme/shards/000004.jsonl");
        assertThat(second.newExamples()).isEqualTo(20);

        advance(Duration.ofMinutes(1)); // min-interval
        sendTrain("acme", 10); // retried once: the third request names only new shards
        assertThat(nextRequest().shards()).containsExactly("datasets/acme/shards/000005.jsonl", "datasets/acme/shards/000006.jsonl");
    }

    @Test
    void aRequestWaitsForThePreviousOnesAnswerThenGoesAtOnceWithAllThatWaited() {
        start(Map.of("\"acme\".answer-timeout", "PT10M", "\"acme\".min-interval", "PT0S"));
        sendTrain("acme", 10);
        TrainingRequested first = nextRequest();
        sendTrain("acme", 20);
        advance(Duration.ofMinutes(2)); // past max-wait and min-interval: still its job has not answered
        assertThat(requests.isEmpty()).as("no request while the last one is unanswered").isTrue();

        sendPublished(first, 1);
        advance(Duration.ofSeconds(1)); // the next check
        TrainingRequested second = nextRequest();
        assertThat(second.newExamples()).as("everything that waited, in one request").isEqualTo(20);

        sendTrain("acme", 10);
        sendPublished(first, 1); // an answer to an older request (a republished event) lets nothing go
        send(new TrainingFailed("training:acme:1", "acme", TrainingFailed.Kind.FAILED, "an old attempt", List.of(), now));
        advance(Duration.ofSeconds(1));
        assertThat(requests.isEmpty()).isTrue();

        send(new TrainingFailed(second.requestId(), "acme", TrainingFailed.Kind.FAILED, "the baseline changed", second.shards(), now));
        advance(Duration.ofSeconds(1)); // a failure answers too, and its shards ride along
        TrainingRequested third = nextRequest();
        assertThat(third.newExamples()).isEqualTo(30);

        sendTrain("acme", 10);
        advance(Duration.ofMinutes(9));
        assertThat(requests.isEmpty()).isTrue();
        advance(Duration.ofMinutes(1)); // answer-timeout: a job that never answers holds the tenant back no longer
        assertThat(nextRequest().newExamples()).isEqualTo(10);
    }

    /** The snapshot a request names, as the trainer reads it (with where compaction put each shard). */
    private DatasetSnapshot snapshotOf(TrainingSnapshotRequested request) {
        return DatasetSnapshot.decode(request.tenant(), request.snapshot().key(), store.objects.get(request.snapshot().key()),
                request.snapshot().sha256());
    }

    private static String trainShard(int seq) {
        return String.format("datasets/acme/shards/%06d.jsonl", seq);
    }

    @Test
    void requestedShardsAreCopiedIntoASegmentAndTheirOwnObjectsDeletedAfterTheGrace() throws Exception {
        start(Map.of(), Map.of("segment-examples", "20", "delete-grace", "PT1H"));
        sendTrain("acme", 10); // two shards of 5, then the policy's 10 examples: a request
        TrainingSnapshotRequested first = requests.readValue();
        advance(Duration.ofMinutes(1)); // min-interval
        sendTrain("acme", 10);
        TrainingSnapshotRequested second = requests.readValue();
        java.io.ByteArrayOutputStream sources = new java.io.ByteArrayOutputStream();
        for (int seq = 1; seq <= 4; seq++) {
            sources.writeBytes(store.objects.get(trainShard(seq)));
        }
        advance(Duration.ofSeconds(1)); // 20 requested examples: this check compacts them ...
        advance(Duration.ofSeconds(1)); // ... and this one records where they went
        String segment = "datasets/acme/segments/000001-000004.jsonl";
        assertThat(store.objects.get(segment)).as("the shards' bytes, one after another").isEqualTo(sources.toByteArray());
        JsonNode manifest = json(store.objects.get("datasets/acme/manifest.json"));
        assertThat(manifest.get("segments").get(0).get("key").asText()).isEqualTo(segment);
        assertThat(manifest.get("trainExamples").asInt()).as("each example once").isEqualTo(20);
        assertThat(registry.get("lorastream.feedback.segments").counter().count()).isEqualTo(1);

        // the first request fails: its shards, compacted meanwhile, ride with the next request, named in the segment
        send(new TrainingFailed(first.requestId(), "acme", TrainingFailed.Kind.FAILED, "S3 went away", List.of(trainShard(1), trainShard(2)), now));
        advance(Duration.ofMinutes(1));
        sendTrain("acme", 10);
        TrainingSnapshotRequested third = requests.readValue();
        DatasetSnapshot snapshot = snapshotOf(third);
        assertThat(snapshot.shards()).extracting(DatasetSnapshot.Shard::key)
                .containsExactly(trainShard(1), trainShard(2), trainShard(5), trainShard(6));
        long offset = 0;
        for (int i = 0; i < 2; i++) {
            DatasetSnapshot.Shard named = snapshot.shards().get(i);
            byte[] own = store.objects.get(named.key());
            assertThat(named.segment()).isEqualTo(segment);
            assertThat(named.offset()).isEqualTo(offset);
            assertThat(named.length()).isEqualTo(own.length);
            byte[] inSegment = java.util.Arrays.copyOfRange(store.objects.get(segment), (int) offset, (int) (offset + own.length));
            assertThat(Sha256.hex(inSegment)).as("the same bytes: the sha256 the snapshot gives").isEqualTo(named.sha256());
            offset += own.length;
        }
        assertThat(snapshot.shards().get(2).segment()).as("not compacted yet: its own object").isNull();

        // the grace period over: the copied shards and the replaced snapshots are gone, the segment and what is named stay
        advance(Duration.ofHours(1).plusSeconds(5));
        assertThat(store.objects).doesNotContainKeys(trainShard(1), trainShard(2), trainShard(3), trainShard(4),
                first.snapshot().key(), second.snapshot().key());
        assertThat(store.objects).containsKeys(segment, third.snapshot().key(), trainShard(5), trainShard(6));
        advance(Duration.ofSeconds(1)); // the check after the deletions rewrites the manifest
        JsonNode after = json(store.objects.get("datasets/acme/manifest.json"));
        List<String> listed = new ArrayList<>();
        after.get("shards").forEach(n -> listed.add(n.get("key").asText()));
        assertThat(listed).as("the shard store forgets what it deleted").doesNotContain(trainShard(1), trainShard(4)).contains(trainShard(5));
    }

    @Test
    void datasetRetentionDropsTheOldestSegmentsBeyondTheSizeAndHoldoutTheSelectionLetsGoIsDeleted() {
        start(Map.of(), Map.of("segment-examples", "10", "dataset-max-examples", "20", "delete-grace", "PT1M",
                "holdout-window", "5", "holdout-reservoir", "5"));
        List<String> holdoutIds = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 5; i++) {
                String id = id(true);
                holdoutIds.add(id);
                send(event("acme", id));
            }
            sendTrain("acme", 10);
            requests.readValue();
            advance(Duration.ofMinutes(1));
        }
        assertThat(store.objects).containsKeys("datasets/acme/segments/000001-000002.jsonl", "datasets/acme/segments/000003-000004.jsonl",
                "datasets/acme/segments/000005-000006.jsonl");
        advance(Duration.ofHours(1)); // retention looks once an hour: 30 examples in segments, 20 kept
        JsonNode manifest = json(store.objects.get("datasets/acme/manifest.json"));
        List<String> segments = new ArrayList<>();
        manifest.get("segments").forEach(n -> segments.add(n.get("key").asText()));
        assertThat(segments).containsExactly("datasets/acme/segments/000003-000004.jsonl", "datasets/acme/segments/000005-000006.jsonl");
        advance(Duration.ofMinutes(2));
        assertThat(store.objects).doesNotContainKey("datasets/acme/segments/000001-000002.jsonl");
        assertThat(registry.get("lorastream.feedback.segments.retired").counter().count()).isEqualTo(1);

        // three holdout shards of 5, window 5 and sample 5: at most two selected, the other deleted after the grace
        long holdoutObjects = store.objects.keySet().stream().filter(k -> k.startsWith("datasets/acme/holdout/")).count();
        assertThat(holdoutObjects).isBetween(1L, 2L);
        sendTrain("acme", 10);
        for (String key : snapshotOf(requests.readValue()).holdout().stream().map(DatasetSnapshot.Shard::key).toList()) {
            assertThat(store.objects).as("what a request names is there").containsKey(key);
        }
    }

    /** As its producer writes it: binary CloudEvent, key = tenant. */
    private <T extends io.lorastream.events.LoraEvent> void pipe(String topic, Class<T> type, T event) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = EventSerde.of(type, "/test").serializer().serialize(topic, headers, event);
        driver.createInputTopic(topic, Serdes.String().serializer(), Serdes.ByteArray().serializer())
                .pipeInput(new TestRecord<>(event.kafkaKey(), value, headers, now));
    }

    /** Every key of the stream-processor's state stores that belongs to the tenant. */
    private List<String> keysOf(String tenant) {
        List<String> found = new ArrayList<>();
        for (String name : List.of(FeedbackDatasets.TENANTS_STORE, FeedbackDatasets.PENDING_STORE, FeedbackDatasets.SHARDS_STORE,
                FeedbackDatasets.HOLDOUT_STORE, FeedbackDatasets.SEGMENTS_STORE, FeedbackDatasets.DELETIONS_STORE, FeedbackDatasets.ERASURES_STORE,
                Rollout.STATE_STORE)) {
            try (var it = driver.<String, Object>getKeyValueStore(name).all()) {
                it.forEachRemaining(kv -> {
                    if (kv.key.equals(tenant) || kv.key.startsWith(tenant + "/") || kv.key.contains("/datasets/" + tenant + "/")) {
                        found.add(name + ": " + kv.key);
                    }
                });
            }
        }
        for (String name : List.of(FeedbackDatasets.SEEN_IDS_STORE, Rollout.PREDICTIONS_STORE)) {
            try (var it = driver.<String, Object>getWindowStore(name).all()) {
                it.forEachRemaining(kv -> {
                    if (kv.key.key().startsWith(tenant + "/")) {
                        found.add(name + ": " + kv.key.key());
                    }
                });
            }
        }
        return found;
    }

    @Test
    void anOffboardedTenantLeavesNothingInS3OrTheStoresAndAnotherTenantLosesNothing() {
        start(Map.of(), Map.of("segment-examples", "10", "delete-grace", "PT1H"));
        TestOutputTopic<String, io.lorastream.events.TrainingRequest> anyRequest = driver.createOutputTopic(Topics.TRAINING_REQUESTS,
                Serdes.String().deserializer(), EventSerde.of(io.lorastream.events.TrainingRequest.class, "/test").deserializer());
        TestOutputTopic<String, io.lorastream.events.RegistryEntry> registryOut = driver.createOutputTopic(Topics.ADAPTER_REGISTRY,
                Serdes.String().deserializer(), EventSerde.of(io.lorastream.events.RegistryEntry.class, "/test").deserializer());
        TestOutputTopic<String, io.lorastream.events.AdapterEvent> eventsOut = driver.createOutputTopic(Topics.ADAPTER_EVENTS,
                Serdes.String().deserializer(), EventSerde.of(io.lorastream.events.AdapterEvent.class, "/test").deserializer());
        for (String tenant : List.of("acme", "beta")) {
            for (int round = 0; round < 2; round++) {
                send(event(tenant, id(true)));
                sendTrain(tenant, 10);
                advance(Duration.ofMinutes(1));
            }
            // a version, and a prediction of it waiting for its label
            pipe(Topics.ADAPTER_EVENTS, io.lorastream.events.AdapterEvent.class, new io.lorastream.events.AdapterPublished(tenant, 1, null, null,
                    "s3://lorastream/adapters/" + tenant + "/v1/", new io.lorastream.events.AdapterPublished.BaseModel("minilm", "a".repeat(64)),
                    Map.of("adapter_config.json", "b".repeat(64), "adapter_model.safetensors", "c".repeat(64), "manifest.json", "d".repeat(64)),
                    "training:" + tenant + ":1", new io.lorastream.events.AdapterPublished.Metrics(
                            new io.lorastream.events.Evaluation(0.9, null, null, 100), null),
                    new io.lorastream.events.AdapterPublished.Gate(true, 0.02), now));
            pipe(Topics.SCORE_RESULTS, io.lorastream.events.ScoreCompleted.class, new io.lorastream.events.ScoreCompleted("req-" + tenant,
                    tenant, io.lorastream.events.ScoreCompleted.Source.REST, List.of(new io.lorastream.events.ScoreCompleted.Prediction(
                    "req-" + tenant + ":0", "pos", Map.of("pos", 0.8, "neg", 0.2), 1, io.lorastream.events.ScoreCompleted.Route.STABLE)), now));
        }
        erase("cmd-e-acme", "acme", "fb-erased-before");
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(1)); // compactions recorded: each tenant has a segment, shards waiting for deletion, a manifest
        anyRequest.readValuesToList();
        registryOut.readValuesToList();
        eventsOut.readValuesToList();
        assertThat(store.objects.keySet()).anyMatch(k -> k.startsWith("datasets/acme/segments/"));
        assertThat(keysOf("acme")).isNotEmpty();
        Map<String, byte[]> betaBefore = new java.util.TreeMap<>();
        store.objects.forEach((k, v) -> {
            if (k.startsWith("datasets/beta/")) {
                betaBefore.put(k, v);
            }
        });
        List<String> betaKeys = keysOf("beta");

        pipe(Topics.ADAPTER_COMMANDS, io.lorastream.events.AdapterCommand.class, new io.lorastream.events.AdapterCommand("cmd-off-1", "acme",
                io.lorastream.events.AdapterCommand.Action.OFFBOARD, null, "ops@test", "contract ended", now));
        // the dataset is forgotten at once, and the trainer is told, behind acme's earlier requests
        assertThat(store.objects.keySet()).noneMatch(k -> k.startsWith("datasets/acme/"));
        assertThat(anyRequest.readValuesToList()).containsExactly(new io.lorastream.events.TenantOffboarding("acme", "cmd-off-1", "ops@test", now));
        assertThat(keysOf("acme")).as("the rollout waits for the trainer").containsOnly("rollout-tenants: acme", "rollout-predictions: acme/req-acme:0");
        assertThat(registryOut.isEmpty()).isTrue();

        // the trainer deleted acme's adapters: the rollout forgets acme and answers the command
        pipe(Topics.ADAPTER_EVENTS, io.lorastream.events.AdapterEvent.class, new io.lorastream.events.TenantOffboarded("acme", "cmd-off-1", List.of(1), now));
        var tombstone = registryOut.readRecord();
        assertThat(tombstone.key()).isEqualTo("acme");
        assertThat(tombstone.value()).as("a tombstone").isNull();
        assertThat(eventsOut.readValuesToList()).singleElement().isInstanceOfSatisfying(io.lorastream.events.AdapterLifecycle.class, l -> {
            assertThat(l.transition()).isEqualTo(io.lorastream.events.AdapterLifecycle.Transition.OFFBOARDED);
            assertThat(l.commandId()).isEqualTo("cmd-off-1");
        });
        assertThat(keysOf("acme")).isEmpty();
        advance(Duration.ofHours(2)); // beta's grace periods run out: only what was due goes
        advance(Duration.ofSeconds(1));
        assertThat(store.objects.keySet()).noneMatch(k -> k.startsWith("datasets/acme/"));
        assertThat(keysOf("beta")).contains("feedback-tenants: beta", "rollout-tenants: beta", "rollout-predictions: beta/req-beta:0");
        assertThat(betaKeys).contains("feedback-tenants: beta");
        assertThat(store.objects.keySet()).anyMatch(k -> k.startsWith("datasets/beta/segments/"))
                .contains("datasets/beta/manifest.json");

        // acme's feedback afterwards starts a new dataset
        sendTrain("acme", 10);
        assertThat(nextRequest().requestId()).isEqualTo("training:acme:1");
    }

    private void erase(String commandId, String tenant, String feedbackId) {
        pipe(Topics.ADAPTER_COMMANDS, io.lorastream.events.AdapterCommand.class, new io.lorastream.events.AdapterCommand(commandId, tenant,
                io.lorastream.events.AdapterCommand.Action.ERASE, null, "ops@test", "right to erasure", now, feedbackId));
    }

    @Test
    void anErasedExampleLeavesItsPendingShardEverySegmentAndIsNamedInEveryLaterSnapshot() {
        start(Map.of(), Map.of("segment-examples", "10", "delete-grace", "PT1H"));
        TestOutputTopic<String, io.lorastream.events.AdapterEvent> answers = driver.createOutputTopic(Topics.ADAPTER_EVENTS,
                Serdes.String().deserializer(), EventSerde.of(io.lorastream.events.AdapterEvent.class, "/test").deserializer());
        List<String> first = sendTrain("acme", 10); // shards 1 and 2, and request 1
        TrainingSnapshotRequested one = requests.readValue();
        List<String> pendingIds = sendTrain("acme", 3); // pending: shard 3 is not sealed yet
        erase("cmd-e1", "acme", first.get(0));
        erase("cmd-e2", "acme", pendingIds.get(1));
        erase("cmd-e3", "acme", "fb-on-its-way");
        List<io.lorastream.events.AdapterLifecycle> answered = answers.readValuesToList().stream()
                .map(io.lorastream.events.AdapterLifecycle.class::cast).toList();
        assertThat(answered).extracting(io.lorastream.events.AdapterLifecycle::commandId).containsExactly("cmd-e1", "cmd-e2", "cmd-e3");
        assertThat(answered).allSatisfy(l -> assertThat(l.transition()).isEqualTo(io.lorastream.events.AdapterLifecycle.Transition.ERASED));
        assertThat(answered.get(1).reason()).contains("pending: removed");
        send(event("acme", "fb-on-its-way")); // erased before it arrived
        assertThat(counter("erased")).isEqualTo(1);

        advance(Duration.ofSeconds(1)); // request 1's 10 examples are compacted, without the erased one ...
        advance(Duration.ofSeconds(1)); // ... and recorded
        assertThat(idsIn("datasets/acme/segments/000001-000002.jsonl")).hasSize(9).doesNotContain(first.get(0))
                .containsExactlyElementsOf(first.subList(1, 10));
        advance(Duration.ofMinutes(1)); // min-interval
        List<String> later = sendTrain("acme", 8);
        TrainingSnapshotRequested two = requests.readValue();
        DatasetSnapshot snapshot = snapshotOf(two);
        assertThat(snapshot.erased()).containsExactlyInAnyOrder(first.get(0), pendingIds.get(1), "fb-on-its-way");
        List<String> named = new ArrayList<>();
        snapshot.shards().forEach(shard -> named.addAll(idsIn(shard.key())));
        // (the wait let the policy ask at the first of the later examples: 3 waiting)
        assertThat(named).as("the pending erased example never reached a shard")
                .containsExactly(pendingIds.get(0), pendingIds.get(2), later.get(0));
        // a snapshot is immutable: a job of a request made before the erasure may still use the example (docs/feedback.md)
        assertThat(snapshotOf(one).erased()).isEmpty();
    }

    @Test
    void aCompactionThatFinishesAfterItsTenantWasOffboardedTouchesNothingOfTheNewDatasetOfThatName() {
        List<Runnable> queued = new ArrayList<>();
        background = queued::add;
        start(Map.of(), Map.of("segment-examples", "10"));
        sendTrain("acme", 10);
        requests.readValue();
        advance(Duration.ofSeconds(1)); // the check starts compacting shards 1-2 ...
        assertThat(queued).hasSize(1);
        queued.remove(0).run(); // ... which writes the segment; its result waits for the next check
        String segment = "datasets/acme/segments/000001-000002.jsonl";
        assertThat(store.objects).containsKey(segment);
        pipe(Topics.ADAPTER_COMMANDS, io.lorastream.events.AdapterCommand.class, new io.lorastream.events.AdapterCommand("cmd-off-2", "acme",
                io.lorastream.events.AdapterCommand.Action.OFFBOARD, null, "ops@test", null, now));
        sendTrain("acme", 10); // a new dataset of the same name: its own shards 1 and 2
        advance(Duration.ofSeconds(1)); // the old result arrives
        assertThat(store.objects).doesNotContainKey(segment);
        TenantDatasets.Shard first = driver.<String, TenantDatasets.Shard>getKeyValueStore(FeedbackDatasets.SHARDS_STORE).get("acme/TRAIN/000001");
        assertThat(first.segment()).as("not placed in the old dataset's segment").isNull();
        assertThat(first.sha256()).isEqualTo(Sha256.hex(store.objects.get(trainShard(1))));
    }

    @Test
    void whileS3FailsExamplesWaitInTheStoresAndNothingIsRequestedOrLost() {
        start();
        store.failing = true;
        List<String> ids = sendTrain("acme", 12);
        advance(Duration.ofSeconds(30));
        assertThat(store.objects).isEmpty();
        assertThat(requests.isEmpty()).isTrue();
        assertThat(registry.get("lorastream.feedback.shard.write.failures").counter().count()).isPositive();

        store.failing = false;
        advance(Duration.ofSeconds(5));
        TrainingRequested request = nextRequest();
        List<String> named = new ArrayList<>();
        request.shards().forEach(k -> named.addAll(idsIn(k)));
        assertThat(named).containsExactlyElementsOf(ids);
        assertThat(request.newExamples()).isEqualTo(12);
    }
}
