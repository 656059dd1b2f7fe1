package io.lorastream.serving;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.events.KafkaAccess;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLoadFailed;
import io.lorastream.events.EventSerde;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.ScoreCompleted;
import io.lorastream.events.Topics;
import io.lorastream.store.ObjectStore;
import io.lorastream.store.VersionManifest;
import io.lorastream.testing.KafkaAndS3TestResource;
import io.lorastream.testing.TestTokenKeys;
import io.lorastream.testing.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The service against the real broker and S3 server: versions published as the trainer publishes them
 * and named in the registry are served without a restart; requests running through a swap all succeed and
 * never go back to the old version; a tampered version is refused with an event and the old one keeps serving.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaAndS3TestResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = TestTokenKeys.class, restrictToAnnotatedClass = true)
class HotReloadTest {
    /** Metrics are served on the management interface only (its own port; tenant-tagged series never on the API port). */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    static final List<String> LABELS = List.of("negative", "positive");

    @Inject
    BaseModel base;

    @Inject
    ObjectStore store;

    static String token(String tenant, String... groups) {
        return TestTokens.claims(tenant, groups.length == 0 ? new String[] {"tenant"} : groups).sign();
    }

    static Response score(String tenant, String token, String body) {
        return given().auth().oauth2(token).contentType("application/json").body(body)
                .when().post("/v1/tenants/{tenant}/score", tenant);
    }

    static String bootstrap() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }

    static String tenant() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Scores until the answers carry {@code version}. */
    static JsonPath awaitVersion(String tenant, int version, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Response response = score(tenant, token(tenant), "{\"texts\": [\"fine\"]}");
            if (response.statusCode() == 200 && response.jsonPath().getInt("predictions[0].version") == version) {
                return response.jsonPath();
            }
            assertThat(System.nanoTime()).as("v" + version + " served; last answer " + response.statusCode() + " " + response.asString())
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void aPublishedVersionIsServedAndANewOneSwapsInWithoutAFailedRequest() throws Exception {
        String tenant = tenant();
        RegistryEntry.VersionRef v1 = TestVersions.publish(store, base, tenant, 1, 101, LABELS);
        TestVersions.register(bootstrap(), tenant, 1, v1);
        JsonPath first = awaitVersion(tenant, 1, Duration.ofSeconds(60));
        assertThat(first.getString("tenant")).isEqualTo(tenant);
        assertThat(first.getString("predictions[0].predictionId")).isEqualTo(first.getString("requestId") + ":0");
        assertThat(first.getMap("predictions[0].probabilities")).containsOnlyKeys(LABELS.toArray());

        // requests keep running while v2 is published and swapped in
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Integer> versions = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        Thread client = new Thread(() -> {
            String t = token(tenant);
            while (!stop.get()) {
                Response r = score(tenant, t, "{\"texts\": [\"great\", \"awful\", \"it is ok I guess\"]}");
                if (r.statusCode() != 200) {
                    failures.add(r.statusCode() + " " + r.asString());
                } else {
                    versions.addAll(r.jsonPath().getList("predictions.version", Integer.class));
                }
            }
        });
        client.start();
        Thread.sleep(500);
        RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, tenant, 2, 202, LABELS);
        TestVersions.register(bootstrap(), tenant, 2, v2);
        awaitVersion(tenant, 2, Duration.ofSeconds(60));
        Thread.sleep(500);
        stop.set(true);
        client.join();

        assertThat(failures).as("requests that failed during the swap").isEmpty();
        assertThat(versions).contains(1, 2);
        assertThat(versions.subList(versions.lastIndexOf(1), versions.size()).stream().distinct().toList())
                .as("once v2 answers, v1 never does again").containsExactly(1, 2);
        int firstTwo = versions.indexOf(2);
        assertThat(versions.subList(firstTwo, versions.size())).containsOnly(2);
    }

    @Test
    void aTamperedVersionIsRefusedWithAnEventAndTheOldOneKeepsServing() throws Exception {
        String tenant = tenant();
        TestVersions.register(bootstrap(), tenant, 1, TestVersions.publish(store, base, tenant, 1, 11, LABELS));
        awaitVersion(tenant, 1, Duration.ofSeconds(60));

        RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, tenant, 2, 22, LABELS);
        String weights = VersionManifest.dir(tenant, 2) + AdapterFiles.WEIGHTS;
        byte[] bytes = store.get(weights).orElseThrow();
        bytes[bytes.length - 1] ^= 0x01; // one bit of one weight
        store.put(weights, bytes, "application/octet-stream");
        TestVersions.register(bootstrap(), tenant, 2, v2);

        AdapterLoadFailed refusal = awaitRefusal(tenant, Duration.ofSeconds(60));
        assertThat(refusal.version()).isEqualTo(2);
        assertThat(refusal.servingVersion()).isEqualTo(1);
        assertThat(refusal.reason()).contains(AdapterFiles.WEIGHTS).contains("sha256");
        score(tenant, token(tenant), "{\"texts\": [\"still here?\"]}").then().statusCode(200)
                .body("predictions[0].version", equalTo(1));

        // the registry naming a manifest of other content is refused too
        RegistryEntry.VersionRef v3 = TestVersions.publish(store, base, tenant, 3, 33, LABELS);
        TestVersions.register(bootstrap(), tenant, 3, new RegistryEntry.VersionRef(3, v3.uri(), "0".repeat(64)));
        AdapterLoadFailed third = awaitRefusal(tenant, Duration.ofSeconds(60), 3);
        assertThat(third.reason()).contains("registry names " + "0".repeat(64));
        score(tenant, token(tenant), "{\"texts\": [\"still here?\"]}").then().statusCode(200)
                .body("predictions[0].version", equalTo(1));
    }

    @Test
    void aVersionAnnouncedOnAdapterEventsIsLoadedAheadAndSwappedInWhenTheRegistryNamesIt() throws Exception {
        String tenant = tenant();
        TestVersions.register(bootstrap(), tenant, 1, TestVersions.publish(store, base, tenant, 1, 31, LABELS));
        awaitVersion(tenant, 1, Duration.ofSeconds(60));
        double before = prefetchedSwaps();

        RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, tenant, 2, 32, LABELS);
        TestVersions.announce(bootstrap(), store, base, tenant, v2);
        Thread.sleep(2_000); // announced, loaded ahead, not yet named by the registry: v1 still serves
        score(tenant, token(tenant), "{\"texts\": [\"x\"]}").then().statusCode(200).body("predictions[0].version", equalTo(1));
        TestVersions.register(bootstrap(), tenant, 2, v2);
        awaitVersion(tenant, 2, Duration.ofSeconds(30));
        assertThat(prefetchedSwaps()).as("swaps of a prefetched version").isEqualTo(before + 1);
    }

    @Test
    void concurrentRequestsOfDifferentTenantsShareForwards() throws Exception {
        String first = tenant();
        String second = tenant();
        TestVersions.register(bootstrap(), first, 1, TestVersions.publish(store, base, first, 1, 41, LABELS));
        TestVersions.register(bootstrap(), second, 1, TestVersions.publish(store, base, second, 1, 42, List.of("a", "b", "c")));
        awaitVersion(first, 1, Duration.ofSeconds(60));
        awaitVersion(second, 1, Duration.ofSeconds(60));

        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<Thread> clients = new ArrayList<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 12; i++) {
            String tenant = i % 2 == 0 ? first : second;
            Thread client = new Thread(() -> {
                try {
                    go.await();
                    Response r = score(tenant, token(tenant), "{\"texts\": [\"one\", \"two\", \"three\", \"four\", \"five\", \"six\"]}");
                    if (r.statusCode() != 200 || r.jsonPath().getList("predictions").size() != 6
                            || r.jsonPath().getMap("predictions[0].probabilities").size() != (tenant.equals(first) ? 2 : 3)) {
                        failures.add(r.statusCode() + " " + r.asString());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            client.start();
            clients.add(client);
        }
        go.countDown();
        for (Thread client : clients) {
            client.join();
        }
        assertThat(failures).as("each answer has its own tenant's labels").isEmpty();
        assertThat(metric("lorastream_serving_batch_adapters_max")).as("distinct adapters in one forward").isGreaterThanOrEqualTo(2);
    }

    private double metric(String name) {
        return given().when().get(management + "metrics").asString().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .findFirst().map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(0.0);
    }

    private double prefetchedSwaps() {
        String metrics = given().when().get(management + "metrics").asString();
        return metrics.lines().filter(l -> l.startsWith("lorastream_serving_adapter_swaps_total{prefetched=\"true\"")).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(0.0);
    }

    @Test
    void aPartialVersionAndOneOfAnotherBaseAreRefusedToo() throws Exception {
        String tenant = tenant();
        TestVersions.register(bootstrap(), tenant, 1, TestVersions.publish(store, base, tenant, 1, 51, LABELS));
        awaitVersion(tenant, 1, Duration.ofSeconds(60));

        // v2's files without its manifest: what a trainer killed mid-upload leaves
        RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, tenant, 2, 52, LABELS);
        store.put(VersionManifest.key(tenant, 2), new byte[0], "application/json"); // not a manifest...
        TestVersions.register(bootstrap(), tenant, 2, new RegistryEntry.VersionRef(2, v2.uri(), io.lorastream.events.Sha256.hex(new byte[0])));
        assertThat(awaitRefusal(tenant, Duration.ofSeconds(60), 2).reason()).contains("not a version manifest");

        RegistryEntry.VersionRef v3 = new RegistryEntry.VersionRef(3, "s3://lorastream/adapters/" + tenant + "/v3/", "0".repeat(64)); // ...and none
        TestVersions.register(bootstrap(), tenant, 3, v3);
        assertThat(awaitRefusal(tenant, Duration.ofSeconds(60), 3).reason()).contains("does not exist");

        RegistryEntry.VersionRef v4 = TestVersions.publish(store, base, tenant, 4, 54, LABELS,
                new io.lorastream.events.AdapterPublished.BaseModel("bert-base-uncased", "e".repeat(64)));
        TestVersions.register(bootstrap(), tenant, 4, v4);
        assertThat(awaitRefusal(tenant, Duration.ofSeconds(60), 4).reason()).contains("trained on base bert-base-uncased");

        score(tenant, token(tenant), "{\"texts\": [\"still v1?\"]}").then().statusCode(200).body("predictions[0].version", equalTo(1));
    }

    @Test
    void aCandidateAnswersItsShareOfRequestsStampedCanary() throws Exception {
        String tenant = tenant();
        RegistryEntry.VersionRef v1 = TestVersions.publish(store, base, tenant, 1, 61, LABELS);
        TestVersions.register(bootstrap(), tenant, 1, v1);
        awaitVersion(tenant, 1, Duration.ofSeconds(60));
        RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, tenant, 2, 62, LABELS);
        TestVersions.register(bootstrap(), tenant, 2, v1, new RegistryEntry.Candidate(v2, 0.5, false));

        Map<Integer, Integer> byVersion = new java.util.HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (byVersion.getOrDefault(2, 0) < 10 && System.nanoTime() < deadline) {
            JsonPath answer = score(tenant, token(tenant), "{\"texts\": [\"x\"]}").then().statusCode(200).extract().jsonPath();
            byVersion.merge(answer.getInt("predictions[0].version"), 1, Integer::sum);
        }
        assertThat(byVersion.getOrDefault(2, 0)).as("answers by the candidate").isGreaterThanOrEqualTo(10);
        int before = byVersion.values().stream().mapToInt(Integer::intValue).sum();
        byVersion.clear();
        for (int i = 0; i < 200; i++) {
            byVersion.merge(score(tenant, token(tenant), "{\"texts\": [\"x\"]}").jsonPath().getInt("predictions[0].version"), 1, Integer::sum);
        }
        assertThat(byVersion.get(2) / 200.0).as("the candidate's share, once loaded (after " + before + " requests)").isBetween(0.38, 0.62);

        // every answer says which route made it
        for (int i = 0; i < 20; i++) {
            JsonPath answer = score(tenant, token(tenant), "{\"texts\": [\"x\"]}").jsonPath();
            assertThat(answer.getString("predictions[0].route")).isEqualTo(answer.getInt("predictions[0].version") == 2 ? "CANARY" : "STABLE");
        }

        // the candidate withdrawn (rolled back): only stable answers again
        TestVersions.register(bootstrap(), tenant, 3, v1);
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int last = 2;
        int stableInARow = 0;
        while (stableInARow < 30 && System.nanoTime() < until) {
            last = score(tenant, token(tenant), "{\"texts\": [\"x\"]}").jsonPath().getInt("predictions[0].version");
            stableInARow = last == 1 ? stableInARow + 1 : 0;
        }
        assertThat(stableInARow).as("consecutive stable answers after the candidate is withdrawn").isEqualTo(30);
    }

    @Test
    void everyRestPredictionIsRecordedOnScoreResults() throws Exception {
        String tenant = tenant();
        TestVersions.register(bootstrap(), tenant, 1, TestVersions.publish(store, base, tenant, 1, 5, LABELS));
        String requestId = awaitVersion(tenant, 1, Duration.ofSeconds(60)).getString("requestId");

        Properties props = consumerProps();
        var deserializer = EventSerde.of(ScoreCompleted.class, "/test").deserializer();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.SCORE_RESULTS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            ScoreCompleted found = null;
            while (found == null && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    ScoreCompleted result = deserializer.deserialize(record.topic(), record.headers(), record.value());
                    if (result.requestId().equals(requestId)) {
                        assertThat(record.key()).isEqualTo(tenant);
                        found = result;
                    }
                }
            }
            assertThat(found).as("score-results record of " + requestId).isNotNull();
            assertThat(found.source()).isEqualTo(ScoreCompleted.Source.REST);
            assertThat(found.predictions()).singleElement().satisfies(p -> {
                assertThat(p.predictionId()).isEqualTo(requestId + ":0");
                assertThat(p.version()).isEqualTo(1);
            });
        }
    }

    @Test
    void badRequestsGetProblemsNamingWhatWasWrong() throws Exception {
        String tenant = tenant();
        score(tenant, token(tenant), "{\"texts\": [\"anything\"]}").then().statusCode(404)
                .contentType("application/problem+json").body("detail", containsString("has no adapter yet"));
        score(tenant, token("someone-else"), "{\"texts\": [\"x\"]}").then().statusCode(403)
                .contentType("application/problem+json").body("detail", containsString("not " + tenant));
        score("Bad_Tenant", token("Bad_Tenant", "admin"), "{\"texts\": [\"x\"]}").then().statusCode(400)
                .body("detail", containsString("tenant id"));
        score(tenant, token(tenant), "{\"texts\": []}").then().statusCode(400).body("detail", containsString("texts"));
        score(tenant, token(tenant), "{\"texts\": [\"ok\", \" \"]}").then().statusCode(400).body("detail", containsString("texts[1]"));
        score(tenant, token(tenant), "{\"texts\": [\"" + "a".repeat(20_001) + "\"]}").then().statusCode(400)
                .body("detail", containsString("max-text-length"));
        given().contentType("application/json").body("{\"texts\": [\"x\"]}").when().post("/v1/tenants/{tenant}/score", tenant)
                .then().statusCode(401);
        // a token minted for ingest alone (its audience) does not open serving
        score(tenant, TestTokens.claims(tenant, "tenant").audience(KafkaAccess.Service.INGEST.audience()).sign(), "{\"texts\": [\"x\"]}")
                .then().statusCode(401);
    }

    private static Properties consumerProps() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return props;
    }

    static AdapterLoadFailed awaitRefusal(String tenant, Duration within) {
        return awaitRefusal(tenant, within, 2);
    }

    static AdapterLoadFailed awaitRefusal(String tenant, Duration within, int version) {
        var deserializer = EventSerde.of(AdapterEvent.class, "/test").deserializer();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps(), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.ADAPTER_EVENTS));
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    if (tenant.equals(record.key())
                            && deserializer.deserialize(record.topic(), record.headers(), record.value()) instanceof AdapterLoadFailed failed
                            && failed.version() == version) {
                        return failed;
                    }
                }
            }
        }
        throw new AssertionError("no adapter-load-failed for " + tenant + " v" + version + " within " + within);
    }
}
