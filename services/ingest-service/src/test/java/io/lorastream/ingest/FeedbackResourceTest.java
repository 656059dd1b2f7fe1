package io.lorastream.ingest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import io.lorastream.events.EventSerde;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.KafkaAccess;
import io.lorastream.events.Topics;
import io.lorastream.testing.KafkaAndS3TestResource;
import io.lorastream.testing.TestTokenKeys;
import io.lorastream.testing.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.smallrye.jwt.build.Jwt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@QuarkusTest
@QuarkusTestResource(value = KafkaAndS3TestResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = TestTokenKeys.class, restrictToAnnotatedClass = true)
class FeedbackResourceTest {
    private static final String NDJSON = "application/x-ndjson";

    static String token(String tenant, String... groups) {
        return TestTokens.claims(tenant, groups.length == 0 ? new String[] {"tenant"} : groups).sign();
    }

    private static ValidatableResponse post(String tenant, String token, String contentType, String body) {
        return given().auth().oauth2(token).contentType(contentType).body(body.getBytes(StandardCharsets.UTF_8))
                .when().post("/v1/tenants/{tenant}/feedback", tenant).then();
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    /** The feedback records with these ids, read back from the real broker. */
    static Map<String, ConsumerRecord<String, byte[]>> readBack(Set<String> ids, Duration within) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, ConsumerRecord<String, byte[]>> found = new HashMap<>();
        var deserializer = EventSerde.of(FeedbackReceived.class, "/test").deserializer();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.FEEDBACK));
            long deadline = System.nanoTime() + within.toNanos();
            while (found.size() < ids.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    FeedbackReceived event = deserializer.deserialize(record.topic(), record.headers(), record.value());
                    if (ids.contains(event.id())) {
                        assertThat(found.put(event.id(), record)).as("published once: " + event.id()).isNull();
                    }
                }
            }
        }
        return found;
    }

    @Test
    void oneObjectIsAcceptedAfterKafkaAcknowledgedItWithAGeneratedId() {
        String text = unique("great product");
        String id = post("acme", token("acme"), "application/json", "{\"text\": \"" + text + "\", \"label\": \"positive\"}")
                .statusCode(202)
                .body("accepted", equalTo(1))
                .body("ids", hasSize(1))
                .extract().path("ids[0]");
        ConsumerRecord<String, byte[]> record = readBack(Set.of(id), Duration.ofSeconds(20)).get(id);
        assertThat(record).isNotNull();
        assertThat(record.key()).isEqualTo("acme");
        assertThat(new String(record.headers().lastHeader("ce_type").value(), StandardCharsets.UTF_8))
                .isEqualTo("io.lorastream.feedback.received.v1");
        FeedbackReceived event = EventSerde.of(FeedbackReceived.class, "/t").deserializer().deserialize(Topics.FEEDBACK, record.headers(), record.value());
        assertThat(event.text()).isEqualTo(text);
        assertThat(event.label()).isEqualTo("positive");
        assertThat(event.tenant()).isEqualTo("acme");
    }

    @Test
    void aRetriedRequestGetsTheSameIdsAndAnIdempotencyKeyIsTheSeed() {
        String body = "{\"text\": \"" + unique("sent twice") + "\", \"label\": \"positive\"}";
        String first = post("acme", token("acme"), "application/json", body).statusCode(202).extract().path("ids[0]");
        String retry = post("acme", token("acme"), "application/json", body).statusCode(202).extract().path("ids[0]");
        assertThat(retry).as("the stream-processor drops the second copy by id").isEqualTo(first);
        String key = unique("order");
        String keyed = given().auth().oauth2(token("acme")).contentType("application/json").header("Idempotency-Key", key)
                .body(body.getBytes(StandardCharsets.UTF_8)).when().post("/v1/tenants/acme/feedback").then().statusCode(202)
                .extract().path("ids[0]");
        assertThat(keyed).isNotEqualTo(first);
        given().auth().oauth2(token("acme")).contentType("application/json").header("Idempotency-Key", "k".repeat(201))
                .body(body.getBytes(StandardCharsets.UTF_8)).when().post("/v1/tenants/acme/feedback").then().statusCode(400)
                .contentType("application/problem+json");
    }

    @Test
    void anArrayAndNdjsonKeepTheirIdsAndOrder() {
        String a = unique("a");
        String b = unique("b");
        String c = unique("c");
        post("acme", token("acme"), "application/json",
                "[{\"id\":\"" + a + "\",\"text\":\"one\",\"label\":\"pos\"},\n {\"id\":\"" + b + "\",\"text\":\"two\",\"label\":\"neg\","
                        + "\"predictionId\":\"p-1\",\"metadata\":{\"source\":\"app\"}}]")
                .statusCode(202).body("ids", equalTo(List.of(a, b)));
        List<String> ids = post("acme", token("acme"), NDJSON,
                "{\"id\":\"" + c + "\",\"text\":\"three\",\"label\":\"pos\"}\n\n{\"text\":\"four\",\"label\":\"neg\"}\n")
                .statusCode(202).body("accepted", equalTo(2)).extract().path("ids");
        assertThat(ids.get(0)).isEqualTo(c);
        Map<String, ConsumerRecord<String, byte[]>> found = readBack(Set.of(a, b, c, ids.get(1)), Duration.ofSeconds(20));
        assertThat(found).hasSize(4);
    }

    @Test
    void aBadBatchIsRefusedWholeNamingLineAndFieldAndNothingOfItIsPublished() {
        String good = unique("good");
        String body = "{\"id\":\"" + good + "\",\"text\":\"fine\",\"label\":\"pos\"}\n"
                + "{\"text\":\"no label\"}\n"
                + "{\"text\":\"\",\"label\":\"pos\"}\n"
                + "{\"text\":\"x\",\"label\":\"pos\",\"tenant\":\"globex\"}\n";
        post("acme", token("acme"), NDJSON, body)
                .statusCode(400)
                .contentType(Problem.MEDIA_TYPE)
                .body("status", equalTo(400))
                .body("errors.line", equalTo(List.of(2, 3, 4)))
                .body("errors.field", equalTo(List.of("label", "text", "tenant")));
        String after = unique("after");
        post("acme", token("acme"), "application/json", "{\"id\":\"" + after + "\",\"text\":\"later\",\"label\":\"pos\"}").statusCode(202);
        Map<String, ConsumerRecord<String, byte[]>> found = readBack(Set.of(good, after), Duration.ofSeconds(10));
        assertThat(found).containsOnlyKeys(after);
    }

    @Test
    void malformedBodiesAndLimitsAreProblemsNamingWhatWasWrong() {
        String t = token("acme");
        post("acme", t, "application/json", "[{\"text\":\"a\",\"label\":\"p\"},\n  {\"text\": ")
                .statusCode(400).body("errors[0].line", equalTo(2)).body("errors[0].message", containsString("not JSON"));
        post("acme", t, NDJSON, "{\"text\":\"a\",\"label\":\"p\"}\nnot json\n")
                .statusCode(400).body("errors[0].line", equalTo(2));
        post("acme", t, "application/json", "[\"just a string\"]")
                .statusCode(400).body("errors[0].item", equalTo(0)).body("errors[0].message", containsString("JSON object"));
        post("acme", t, "application/json", "[{\"id\":\"same\",\"text\":\"a\",\"label\":\"p\"},{\"id\":\"same\",\"text\":\"b\",\"label\":\"p\"}]")
                .statusCode(400).body("errors[0].field", equalTo("id")).body("errors[0].item", equalTo(1));
        post("acme", t, "application/json", "{\"text\":\"" + "x".repeat(301) + "\",\"label\":\"p\"}")
                .statusCode(400).body("errors[0].field", equalTo("text")).body("errors[0].message", containsString("300"));
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 51; i++) {
            many.append("{\"text\":\"t\",\"label\":\"p\"}\n");
        }
        post("acme", t, NDJSON, many.toString()).statusCode(400).body("detail", containsString("max-batch-size"));
        post("acme", t, NDJSON, "{\"text\":\"" + "y".repeat(20_000) + "\",\"label\":\"p\"}").statusCode(413)
                .contentType(Problem.MEDIA_TYPE).body("detail", containsString("max-body-bytes"));
        post("ACME", token("ACME", "admin"), "application/json", "{\"text\":\"a\",\"label\":\"p\"}")
                .statusCode(400).body("errors[0].field", equalTo("tenant"));
    }

    @Test
    void aTokenReachesOnlyItsTenantAdminsReachAll() {
        String body = "{\"text\":\"a\",\"label\":\"p\"}";
        given().contentType("application/json").body(body).when().post("/v1/tenants/acme/feedback").then().statusCode(401);
        post("acme", token("globex"), "application/json", body)
                .statusCode(403).contentType(Problem.MEDIA_TYPE).body("detail", containsString("globex"));
        post("acme", token("ops", "admin"), "application/json", body).statusCode(202);
        String forged = token("acme").substring(0, 20) + "x" + token("acme").substring(21);
        post("acme", forged, "application/json", body).statusCode(401);
    }

    /** The management interface's {@code /q/} (its own port): health, metrics and OpenAPI are there. */
    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    @Test
    void openApiHealthAndMetricsAreServedOnTheManagementPortAndNotOnTheApiPort() {
        for (String path : List.of("/q/openapi", "/q/health/ready", "/q/metrics")) {
            given().when().get(path).then().statusCode(404); // the API port, the one users reach
        }
        given().when().get(management + "openapi").then().statusCode(200).body(containsString("/v1/tenants/{tenant}/feedback"));
        given().when().get(management + "health/ready").then().statusCode(200).body(containsString("feedback"));
        post("acme", token("acme"), "application/json", "{\"text\":\"m\",\"label\":\"p\"}").statusCode(202);
        post("acme", token("globex"), "application/json", "{\"text\":\"m\",\"label\":\"p\"}").statusCode(403);
        String metrics = given().when().get(management + "metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("lorastream_ingest_accepted_total", "lorastream_ingest_rejected_total{reason=\"forbidden\"",
                "lorastream_ingest_publish_latency_seconds");
    }

    /**
     * Forged and stale tokens, each refused with 401 before anything is read: no signature (alg none), HS256 keyed with
     * the public key (the classic confusion), another key pair's signature, expired, not yet valid, another issuer, a token for
     * serving alone (its audience), one with no audience.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"alg none", "HS256 with the public key", "another key pair", "expired", "not yet valid", "another issuer",
            "serving's audience alone", "no audience"})
    void aForgedOrStaleTokenIs401(String forgery) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String token = switch (forgery) {
            case "alg none" -> unsigned("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims(now)) + ".";
            case "HS256 with the public key" -> {
                String unsigned = unsigned("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims(now));
                byte[] publicKey = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(
                        ConfigProvider.getConfig().getValue("mp.jwt.verify.publickey.location", String.class)));
                javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
                mac.init(new javax.crypto.spec.SecretKeySpec(publicKey, "HmacSHA256"));
                yield unsigned + "." + base64(mac.doFinal(unsigned.getBytes(StandardCharsets.US_ASCII)));
            }
            case "another key pair" -> {
                java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                yield TestTokens.claims("acme", "tenant").sign(generator.generateKeyPair().getPrivate());
            }
            case "expired" -> TestTokens.claims("acme", "tenant").issuedAt(now - 7200).expiresAt(now - 3600).sign();
            case "not yet valid" -> TestTokens.claims("acme", "tenant").claim("nbf", now + 3600).expiresAt(now + 7200).sign();
            case "another issuer" -> TestTokens.claims("acme", "tenant").issuer("not-lorastream").sign();
            case "serving's audience alone" -> TestTokens.claims("acme", "tenant").audience(KafkaAccess.Service.SERVING.audience()).sign();
            case "no audience" -> Jwt.issuer("lorastream").subject("acme").groups(Set.of("tenant")).sign();
            default -> throw new IllegalArgumentException(forgery);
        };
        post("acme", token, "application/json", "{\"text\":\"forged\",\"label\":\"p\"}").statusCode(401);
        // the same claims, honestly signed, pass: what was refused is the forgery alone
        String honest = TestTokens.claims("acme", "tenant").issuedAt(now).expiresAt(now + 3600).sign();
        post("acme", honest, "application/json", "{\"text\":\"honest\",\"label\":\"p\"}").statusCode(202);
    }

    private static String claims(long now) {
        return "{\"iss\":\"lorastream\",\"aud\":[\"lorastream-ingest\"],\"sub\":\"acme\",\"groups\":[\"tenant\"],\"iat\":" + now
                + ",\"exp\":" + (now + 3600) + "}";
    }

    private static String unsigned(String header, String claims) {
        return base64(header.getBytes(StandardCharsets.UTF_8)) + "." + base64(claims.getBytes(StandardCharsets.UTF_8));
    }

    private static String base64(byte[] bytes) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
