package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.engine.BaseModel;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventSerde;
import io.lorastream.events.ScoreCompleted;
import io.lorastream.events.ScoreRequested;
import io.lorastream.events.Topics;
import io.lorastream.store.ObjectStore;
import io.lorastream.testing.KafkaAndS3TestResource;
import io.lorastream.testing.TestTokenKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** score-requests → score-results through the real broker; what cannot be scored lands in score-requests-dlq with its reason. */
@QuarkusTest
@QuarkusTestResource(value = KafkaAndS3TestResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = TestTokenKeys.class, restrictToAnnotatedClass = true)
class KafkaScoringTest {
    @Inject
    BaseModel base;

    @Inject
    ObjectStore store;

    @Test
    void requestsAreScoredWithTheVersionStampedAndBadOnesAreDeadLettered() throws Exception {
        String tenant = HotReloadTest.tenant();
        TestVersions.register(HotReloadTest.bootstrap(), tenant, 1, TestVersions.publish(store, base, tenant, 1, 7, HotReloadTest.LABELS));
        HotReloadTest.awaitVersion(tenant, 1, Duration.ofSeconds(60));

        String good = "req-" + UUID.randomUUID();
        String unknownTenant = "req-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                HotReloadTest.bootstrap(), ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
            send(producer, new ScoreRequested(good, tenant, List.of("loved it", "hated it", "fine"), Instant.now()));
            send(producer, new ScoreRequested(unknownTenant, "nobody-" + UUID.randomUUID().toString().substring(0, 8), List.of("x"), Instant.now()));
            producer.send(new ProducerRecord<>(Topics.SCORE_REQUESTS, tenant, "{not json".getBytes(StandardCharsets.UTF_8))).get();
        }

        ScoreCompleted result = awaitOne(Topics.SCORE_RESULTS, r -> r.key().equals(tenant), ScoreCompleted.class, good);
        assertThat(result.source()).isEqualTo(ScoreCompleted.Source.KAFKA);
        assertThat(result.predictions()).hasSize(3).allSatisfy(p -> assertThat(p.version()).isEqualTo(1));
        assertThat(result.predictions().get(2).predictionId()).isEqualTo(good + ":2");

        Map<String, ConsumerRecord<String, byte[]>> letters = deadLetters(found -> found.values().stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .filter(v -> v.contains(unknownTenant) || v.contains("{not json")).count() >= 2, Duration.ofSeconds(60));
        var deserializer = EventSerde.of(DeadLetter.class, "/test").deserializer();
        DeadLetter notJson = null;
        DeadLetter noAdapter = null;
        for (ConsumerRecord<String, byte[]> record : letters.values()) {
            DeadLetter letter = deserializer.deserialize(record.topic(), record.headers(), record.value());
            assertThat(record.headers().lastHeader(DeadLetter.REASON_HEADER)).isNotNull();
            if (new String(letter.payloadBytes(), StandardCharsets.UTF_8).equals("{not json")) {
                notJson = letter;
            } else if (new String(letter.payloadBytes(), StandardCharsets.UTF_8).contains(unknownTenant)) {
                noAdapter = letter;
            }
        }
        assertThat(notJson).as("the undecodable record, byte for byte").isNotNull();
        assertThat(noAdapter).isNotNull();
        assertThat(noAdapter.reason()).contains("has no adapter yet");
        assertThat(noAdapter.sourceTopic()).isEqualTo(Topics.SCORE_REQUESTS);
    }

    private static void send(KafkaProducer<String, byte[]> producer, ScoreRequested request) throws Exception {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = EventSerde.of(ScoreRequested.class, "/test").serializer().serialize(Topics.SCORE_REQUESTS, headers, request);
        producer.send(new ProducerRecord<>(Topics.SCORE_REQUESTS, null, request.tenant(), value, headers)).get();
    }

    private static Properties props() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, HotReloadTest.bootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return props;
    }

    private static ScoreCompleted awaitOne(String topic, java.util.function.Predicate<ConsumerRecord<String, byte[]>> filter,
                                           Class<ScoreCompleted> type, String requestId) {
        var deserializer = EventSerde.of(type, "/test").deserializer();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props(), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (filter.test(record)) {
                        ScoreCompleted completed = deserializer.deserialize(record.topic(), record.headers(), record.value());
                        if (completed.requestId().equals(requestId)) {
                            return completed;
                        }
                    }
                }
            }
        }
        throw new AssertionError("no result for " + requestId);
    }

    /** Dead letters read from the start until {@code enough} holds. */
    private static Map<String, ConsumerRecord<String, byte[]>> deadLetters(
            java.util.function.Predicate<Map<String, ConsumerRecord<String, byte[]>>> enough, Duration within) {
        Map<String, ConsumerRecord<String, byte[]>> found = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props(), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.SCORE_REQUESTS_DLQ));
            long deadline = System.nanoTime() + within.toNanos();
            while (!enough.test(found) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> found.put(r.partition() + "@" + r.offset(), r));
            }
        }
        return found;
    }
}
