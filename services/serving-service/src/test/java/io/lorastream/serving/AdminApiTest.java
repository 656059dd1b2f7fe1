package io.lorastream.serving;

import static io.lorastream.serving.HotReloadTest.LABELS;
import static io.lorastream.serving.HotReloadTest.awaitVersion;
import static io.lorastream.serving.HotReloadTest.bootstrap;
import static io.lorastream.serving.HotReloadTest.score;
import static io.lorastream.serving.HotReloadTest.tenant;
import static io.lorastream.serving.HotReloadTest.token;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.lorastream.engine.BaseModel;
import io.lorastream.events.AdapterCommand;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.EventSerde;
import io.lorastream.events.LiveSample;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.ScoreCompleted;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingFailed;
import io.lorastream.store.ObjectStore;
import io.lorastream.testing.KafkaAndS3TestResource;
import io.lorastream.testing.TestTokenKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The admin API and shadow scoring against the real broker and S3 server. The stream-processor's part —
 * answering a command with a lifecycle event and a registry entry — is played here by the test as the
 * contract says (the state machine itself is tested in the stream-processor), so that what serving does
 * with each answer can be checked: 200 once the next request is served by the result, 409 with the reason,
 * 202 while unanswered.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaAndS3TestResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = TestTokenKeys.class, restrictToAnnotatedClass = true)
class AdminApiTest {
    /** Metrics are served on the management interface only (its own port; tenant-tagged series never on the API port). */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    @Inject
    BaseModel base;

    @Inject
    ObjectStore store;

    private static String admin() {
        return token("ops", "admin");
    }

    /** A consumer at the end of adapter-commands: it sees the commands sent from now on. */
    private static KafkaConsumer<String, byte[]> commandsFromNow() {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(Topics.ADAPTER_COMMANDS).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    private static AdapterCommand nextCommand(KafkaConsumer<String, byte[]> consumer, String tenant) {
        var deserializer = EventSerde.of(AdapterCommand.class, "/test").deserializer();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (var record : consumer.poll(Duration.ofMillis(200))) {
                AdapterCommand command = deserializer.deserialize(record.topic(), record.headers(), record.value());
                if (command.tenant().equals(tenant)) {
                    assertThat(record.key()).isEqualTo(tenant);
                    return command;
                }
            }
        }
        throw new AssertionError("no command for " + tenant + " on adapter-commands");
    }

    private static void answer(AdapterEvent event) throws Exception {
        TestVersions.send(bootstrap(), Topics.ADAPTER_EVENTS, AdapterEvent.class, event);
    }

    private static CompletableFuture<Response> post(String path, String tenant, String body) {
        return CompletableFuture.supplyAsync(() -> given().auth().oauth2(admin()).contentType("application/json").body(body)
                .when().post("/v1/tenants/{tenant}/adapters/" + path, tenant));
    }

    @Test
    void aManualRollbackTakesEffectOnTheNextRequestAndAnswersOnlyOnceThisReplicaServesIt() throws Exception {
        String tenant = tenant();
        RegistryEntry.VersionRef v1 = TestVersions.publish(store, base, tenant, 1, 31, LABELS);
        RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, tenant, 2, 32, LABELS);
        Instant t0 = Instant.now();
        TestVersions.send(bootstrap(), Topics.ADAPTER_REGISTRY, RegistryEntry.class, new RegistryEntry(tenant, 2, v2, null, null, null,
                List.of(new RegistryEntry.HistoryItem(1, AdapterStatus.PROMOTED, t0, 0.88, null),
                        new RegistryEntry.HistoryItem(2, AdapterStatus.PROMOTED, t0, 0.91, new LiveSample(2, 120, 110, 110 / 120.0))), t0));
        awaitVersion(tenant, 2, Duration.ofSeconds(60));

        given().auth().oauth2(admin()).when().get("/v1/tenants/{tenant}/adapters", tenant).then().statusCode(200)
                .body("stable", equalTo(2)).body("servedNow.stable", equalTo(2)).body("trafficSplit.'2'", equalTo(1.0f))
                .body("versions[0].holdoutAccuracy", equalTo(0.88f)).body("versions[1].live.predictions", equalTo(120))
                .body("predictionCounts.'2'.STABLE", equalTo(1));
        given().auth().oauth2(token(tenant)).when().get("/v1/tenants/{tenant}/adapters", tenant).then().statusCode(403);

        // a training request of the tenant that made no version shows up with its reason
        answer(new TrainingFailed("training:" + tenant + ":3", tenant, TrainingFailed.Kind.REFUSED, "fewer than two labels",
                List.of("datasets/" + tenant + "/shards/000009.jsonl"), Instant.now()));
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (given().auth().oauth2(admin()).when().get("/v1/tenants/{tenant}/adapters", tenant).jsonPath()
                .getList("trainingFailures").isEmpty() && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        given().auth().oauth2(admin()).when().get("/v1/tenants/{tenant}/adapters", tenant).then().statusCode(200)
                .body("trainingFailures[0].requestId", equalTo("training:" + tenant + ":3"))
                .body("trainingFailures[0].kind", equalTo("REFUSED"))
                .body("trainingFailures[0].reason", equalTo("fewer than two labels"));

        try (KafkaConsumer<String, byte[]> commands = commandsFromNow()) {
            CompletableFuture<Response> rollback = post("rollback", tenant, "{\"reason\": \"complaints\"}");
            AdapterCommand command = nextCommand(commands, tenant);
            assertThat(command.action()).isEqualTo(AdapterCommand.Action.ROLLBACK);
            assertThat(command.version()).isNull();
            assertThat(command.requestedBy()).isEqualTo("ops");
            assertThat(command.reason()).isEqualTo("complaints");
            assertThat(rollback).as("no answer yet, so no response").isNotDone();

            Instant at = Instant.now();
            TestVersions.send(bootstrap(), Topics.ADAPTER_REGISTRY, RegistryEntry.class, new RegistryEntry(tenant, 3, v1, null, null, null,
                    List.of(new RegistryEntry.HistoryItem(2, AdapterStatus.ROLLED_BACK, at)), at));
            answer(new AdapterLifecycle(tenant, 2, AdapterLifecycle.Transition.ROLLED_BACK, 1, "rolled back to v1 by ops: complaints",
                    command.commandId(), null, at));

            Response done = rollback.get();
            assertThat(done.statusCode()).as(done.asString()).isEqualTo(200);
            assertThat(done.jsonPath().getString("outcome")).isEqualTo("APPLIED");
            assertThat(done.jsonPath().getString("commandId")).isEqualTo(command.commandId());
            assertThat(done.jsonPath().getInt("servedVersion")).isEqualTo(1);
            Response next = score(tenant, token(tenant), "{\"texts\": [\"the very next request\"]}");
            assertThat(next.jsonPath().getInt("predictions[0].version")).as("the next request after the 200").isEqualTo(1);
        }
    }

    @Test
    void offboardingSendsTheCommandAndAnsweredByTheTombstoneLeavesNoAdapterEntryOrMetricsOfTheTenant() throws Exception {
        String tenant = tenant();
        TestVersions.register(bootstrap(), tenant, 1, TestVersions.publish(store, base, tenant, 1, 51, LABELS));
        awaitVersion(tenant, 1, Duration.ofSeconds(60));
        assertThat(score(tenant, token(tenant), "{\"texts\": [\"a prediction, so the tenant has series\"]}").statusCode()).isEqualTo(200);
        assertThat(given().when().get(management + "metrics").asString()).contains("tenant=\"" + tenant + "\"");
        given().when().get("/q/metrics").then().statusCode(404); // not on the API port, which tenants reach

        try (KafkaConsumer<String, byte[]> commands = commandsFromNow()) {
            CompletableFuture<Response> offboarding = CompletableFuture.supplyAsync(() -> given().auth().oauth2(admin())
                    .queryParam("reason", "contract ended").when().delete("/v1/tenants/{tenant}", tenant));
            AdapterCommand command = nextCommand(commands, tenant);
            assertThat(command.action()).isEqualTo(AdapterCommand.Action.OFFBOARD);
            assertThat(command.version()).isNull();
            assertThat(command.reason()).isEqualTo("contract ended");

            // the stream-processor's part, once the trainer has deleted the adapters: a tombstone, then the answer
            try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(Map.of("bootstrap.servers", bootstrap()),
                    new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.ADAPTER_REGISTRY, tenant, null)).get();
            }
            answer(new AdapterLifecycle(tenant, 0, AdapterLifecycle.Transition.OFFBOARDED, null, "offboarded", command.commandId(), null,
                    Instant.now()));
            Response done = offboarding.get();
            assertThat(done.statusCode()).as(done.asString()).isEqualTo(200);
            assertThat(done.jsonPath().getString("transition")).isEqualTo("OFFBOARDED");
        }
        given().auth().oauth2(admin()).when().get("/v1/tenants").then().statusCode(200).body(org.hamcrest.Matchers.not(containsString(tenant)));
        given().auth().oauth2(admin()).when().get("/v1/tenants/{tenant}/adapters", tenant).then().statusCode(404);
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (given().when().get(management + "metrics").asString().contains("tenant=\"" + tenant + "\"") && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertThat(given().when().get(management + "metrics").asString()).as("no series of the tenant").doesNotContain("tenant=\"" + tenant + "\"");
        given().auth().oauth2(admin()).when().delete("/v1/tenants/{tenant}", "Not A Tenant!").then().statusCode(400);
    }

    @Test
    void anErasureSendsTheCommandWithTheFeedbackIdAndAnswers200OnceRecorded() throws Exception {
        String tenant = tenant();
        try (KafkaConsumer<String, byte[]> commands = commandsFromNow()) {
            CompletableFuture<Response> erasure = CompletableFuture.supplyAsync(() -> given().auth().oauth2(admin())
                    .when().delete("/v1/tenants/{tenant}/feedback/{id}", tenant, "fb-42"));
            AdapterCommand command = nextCommand(commands, tenant);
            assertThat(command.action()).isEqualTo(AdapterCommand.Action.ERASE);
            assertThat(command.feedbackId()).isEqualTo("fb-42");
            answer(new AdapterLifecycle(tenant, 0, AdapterLifecycle.Transition.ERASED, null, "erased fb-42", command.commandId(), null,
                    Instant.now()));
            Response done = erasure.get();
            assertThat(done.statusCode()).as(done.asString()).isEqualTo(200);
            assertThat(done.jsonPath().getString("transition")).isEqualTo("ERASED");
        }
        given().auth().oauth2(token(tenant)).when().delete("/v1/tenants/{tenant}/feedback/{id}", tenant, "fb-42").then().statusCode(403);
        given().auth().oauth2(admin()).when().delete("/v1/tenants/{tenant}/feedback/{id}", tenant, "x".repeat(129)).then().statusCode(400);
    }

    @Test
    void aRefusalIsA409WithTheReasonAnUnansweredCommandA202AndBadInputA400() throws Exception {
        String tenant = tenant();
        TestVersions.register(bootstrap(), tenant, 1, TestVersions.publish(store, base, tenant, 1, 41, LABELS));
        awaitVersion(tenant, 1, Duration.ofSeconds(60));
        try (KafkaConsumer<String, byte[]> commands = commandsFromNow()) {
            CompletableFuture<Response> promote = post("v3/promote", tenant, "{}");
            AdapterCommand command = nextCommand(commands, tenant);
            assertThat(command.action()).isEqualTo(AdapterCommand.Action.PROMOTE);
            assertThat(command.version()).isEqualTo(3);
            answer(new AdapterLifecycle(tenant, 3, AdapterLifecycle.Transition.REFUSED, 1, "v3 was rejected by the offline gate: it never serves",
                    command.commandId(), null, Instant.now()));
            Response refused = promote.get();
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(refused.contentType()).startsWith("application/problem+json");
            assertThat(refused.jsonPath().getString("detail")).contains("rejected by the offline gate");
            assertThat(refused.jsonPath().getString("instance")).isEqualTo("urn:lorastream:command:" + command.commandId());

            Response pending = post("unpin", tenant, "").get(); // nobody answers: command-timeout is 3 s in tests
            assertThat(pending.statusCode()).isEqualTo(202);
            assertThat(pending.jsonPath().getString("outcome")).isEqualTo("PENDING");
            assertThat(nextCommand(commands, tenant).commandId()).isEqualTo(pending.jsonPath().getString("commandId"));
        }
        post("vX/pin", tenant, "{}").get().then().statusCode(400).body("detail", containsString("not a version number"));
        post("rollback", tenant, "{\"version\": 0}").get().then().statusCode(400).body("detail", containsString("version"));
        given().auth().oauth2(token(tenant)).contentType("application/json").body("{}").when()
                .post("/v1/tenants/{tenant}/adapters/rollback", tenant).then().statusCode(403);
        given().auth().oauth2(admin()).when().get("/v1/tenants/{tenant}/adapters", "nobody-here").then().statusCode(404);
    }

    @Test
    void inShadowModeStableAnswersAndTheCandidatesPredictionsRideAlongOnScoreResults() throws Exception {
        String tenant = tenant();
        RegistryEntry.VersionRef v1 = TestVersions.publish(store, base, tenant, 1, 51, LABELS);
        RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, tenant, 2, 52, LABELS);
        TestVersions.register(bootstrap(), tenant, 1, v1, new RegistryEntry.Candidate(v2, 0.5, true));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (given().auth().oauth2(admin()).when().get("/v1/tenants/{tenant}/adapters", tenant).jsonPath().get("servedNow.candidate") == null) {
            assertThat(System.nanoTime()).as("candidate loaded").isLessThan(deadline);
            Thread.sleep(100);
        }
        given().auth().oauth2(admin()).when().get("/v1/tenants/{tenant}/adapters", tenant).then()
                .body("shadow", equalTo(true)).body("trafficSplit.'1'", equalTo(1.0f)).body("trafficSplit.'2'", equalTo(0.0f));

        List<String> requestIds = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Response r = score(tenant, token(tenant), "{\"texts\": [\"shadowed " + i + "\", \"another\"]}");
            assertThat(r.jsonPath().getList("predictions.version", Integer.class)).as("shadow never answers").containsOnly(1);
            assertThat(r.jsonPath().getList("predictions.route", String.class)).containsOnly("STABLE");
            requestIds.add(r.jsonPath().getString("requestId"));
        }
        var deserializer = EventSerde.of(ScoreCompleted.class, "/test").deserializer();
        List<ScoreCompleted> recorded = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + tenant, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.SCORE_RESULTS));
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (recorded.size() < requestIds.size() && System.nanoTime() < until) {
                for (var record : consumer.poll(Duration.ofMillis(300))) {
                    ScoreCompleted result = deserializer.deserialize(record.topic(), record.headers(), record.value());
                    if (requestIds.contains(result.requestId())) {
                        recorded.add(result);
                    }
                }
            }
        }
        assertThat(recorded).hasSize(requestIds.size()).allSatisfy(result -> {
            assertThat(result.shadowPredictions()).hasSize(2).allSatisfy(p -> {
                assertThat(p.version()).isEqualTo(2);
                assertThat(p.route()).isEqualTo(ScoreCompleted.Route.SHADOW);
            });
            assertThat(result.shadowPredictions()).extracting(ScoreCompleted.Prediction::predictionId)
                    .containsExactlyElementsOf(result.predictions().stream().map(ScoreCompleted.Prediction::predictionId).toList());
        });
        assertThat(recorded).as("the candidate (another seed) disagrees with stable somewhere: it really scored")
                .anySatisfy(result -> assertThat(result.shadowPredictions().get(0).probabilities())
                        .isNotEqualTo(result.predictions().get(0).probabilities()));
    }
}
