package io.lorastream.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class EventSerdeTest {
    static final Instant AT = Instant.parse("2026-11-22T08:00:00Z");
    static final String SHA = "ab".repeat(32);

    final EventSerde<FeedbackReceived> feedback = EventSerde.of(FeedbackReceived.class, "/lorastream/test");
    final EventSerde<AdapterEvent> adapterEvents = EventSerde.of(AdapterEvent.class, "/lorastream/test");

    static FeedbackReceived feedback(String tenant) {
        return new FeedbackReceived("fb-1", tenant, "great", "positive", null, null, AT);
    }

    static AdapterPublished published() {
        return new AdapterPublished("acme", 2, 1, 1, "s3://lorastream/adapters/acme/v2/",
                new AdapterPublished.BaseModel("minilm", SHA),
                Map.of("adapter_config.json", SHA, "adapter_model.safetensors", SHA, "manifest.json", SHA),
                "tr-1", new AdapterPublished.Metrics(new Evaluation(0.9, 0.9, 0.3, 100), null),
                new AdapterPublished.Gate(true, 0.01), AT);
    }

    @Test
    void plainJsonWithoutCloudEventHeadersIsReadForASingleTypeTopic() {
        byte[] json = "{\"id\":\"x1\",\"tenant\":\"acme\",\"text\":\"hi\",\"label\":\"1\",\"timestamp\":\"2026-11-22T08:00:00Z\"}"
                .getBytes(StandardCharsets.UTF_8);
        FeedbackReceived read = feedback.deserializer().deserialize("feedback", new RecordHeaders(), json);
        assertThat(read.id()).isEqualTo("x1");
        assertThat(read.timestamp()).isEqualTo(AT);
    }

    @Test
    void aMultiTypeTopicPicksTheTypeFromCeTypeOrElseFromTheSchemaThatAccepts() {
        AdapterLifecycle lifecycle = new AdapterLifecycle("acme", 2, AdapterLifecycle.Transition.PROMOTED, 2,
                "canary not worse", null, null, AT);
        AdapterPublished p = published();
        AdapterPublished timed = new AdapterPublished(p.tenant(), p.version(), p.parentVersion(), p.baselineVersion(), p.uri(),
                p.baseModel(), p.files(), p.trainingRequestId(), p.metrics(), p.gate(),
                Map.of("read", 412L, "train", 9120L, "grade", 655L, "publish", 301L), p.publishedAt());
        for (AdapterEvent event : List.of(p, timed, lifecycle)) {
            RecordHeaders headers = new RecordHeaders();
            byte[] value = adapterEvents.serializer().serialize("adapter-events", headers, event);
            assertThat(adapterEvents.deserializer().deserialize("adapter-events", headers, value)).isEqualTo(event);
            assertThat(adapterEvents.deserializer().deserialize("adapter-events", value)).isEqualTo(event);
        }
    }

    @Test
    void aCeTypeThatDoesNotBelongOnTheTopicIsRefused() {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = adapterEvents.serializer().serialize("adapter-events", headers, published());
        assertThatThrownBy(() -> feedback.deserializer().deserialize("feedback", headers, value))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("io.lorastream.adapter.published.v1")
                .hasMessageContaining("feedback");
    }

    @Test
    void garbageIsRefusedWithAReason() {
        assertThatThrownBy(() -> feedback.deserializer().deserialize("feedback", new RecordHeaders(),
                new byte[] {(byte) 0xff, 0x00, 0x12}))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> feedback.deserializer().deserialize("feedback", new RecordHeaders(), new byte[0]))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void theSerializerNeverWritesAnInvalidEvent() {
        assertThatThrownBy(() -> feedback.serializer().serialize("feedback", new RecordHeaders(), feedback("Not A Tenant")))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("tenant");
    }

    private static byte[] requestNaming(String shard) {
        return ("{\"requestId\":\"r1\",\"tenant\":\"acme\",\"shards\":[\"" + shard + "\"],"
                + "\"holdoutShards\":[],\"newExamples\":3,\"trigger\":\"MANUAL\",\"requestedAt\":\"2026-11-22T08:00:00Z\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aTrainingRequestMayOnlyNameItsOwnTenantsShardsInTheShardGrammar() {
        assertThatThrownBy(() -> EventJson.decode(EventType.TRAINING_REQUESTED, requestNaming("datasets/globex/shards/000001.jsonl"),
                TrainingRequested.class))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("shards")
                .hasMessageContaining("datasets/acme/shards/NNNNNN.jsonl");
        // inside the tenant's prefix, yet another tenant's object once resolved: the grammar refuses it
        for (String traversal : java.util.List.of("datasets/acme/../globex/shards/000001.jsonl",
                "datasets/acme/shards/../../globex/shards/000001.jsonl", "datasets/acme/shards/000001.jsonl/..")) {
            assertThatThrownBy(() -> EventJson.decode(EventType.TRAINING_REQUESTED, requestNaming(traversal), TrainingRequested.class))
                    .as(traversal).isInstanceOf(InvalidEventException.class).hasMessageContaining("/shards/0");
        }
        assertThat(EventJson.decode(EventType.TRAINING_REQUESTED, requestNaming("datasets/acme/shards/000001.jsonl"),
                TrainingRequested.class).shards()).containsExactly("datasets/acme/shards/000001.jsonl");
    }

    @Test
    void aDeadLetterOfAnySizeFitsInAKafkaRecordAndDescribesWhatItCut() {
        EventSerde<DeadLetter> serde = EventSerde.of(DeadLetter.class, "/test");
        byte[] controls = new byte[1_048_577]; // 1 MiB + 1 of U+0001: six bytes each once JSON-escaped
        java.util.Arrays.fill(controls, (byte) 1);
        byte[] binary = new byte[10 << 20];
        new java.util.Random(7).nextBytes(binary);
        for (byte[] value : List.of(new byte[] {'x'}, controls, binary)) {
            DeadLetter letter = DeadLetter.of("feedback", 0, 1, "acme", value, "r".repeat(10_000),
                    java.util.Collections.nCopies(1_000, "e".repeat(5_000)), "test", AT);
            byte[] record = serde.serializer().serialize("feedback-dlq", new RecordHeaders(), letter);
            assertThat(record.length).as("serialized dead letter of a %d-byte value", value.length).isLessThan(1_000_000);
            assertThat(letter.payloadSize()).isEqualTo(value.length);
            assertThat(letter.payloadSha256()).isEqualTo(Sha256.hex(value));
            assertThat(letter.payloadTruncated()).isEqualTo(value.length > DeadLetter.MAX_PAYLOAD);
            byte[] kept = letter.payloadBytes();
            assertThat(kept).isEqualTo(java.util.Arrays.copyOf(value, Math.min(value.length, DeadLetter.MAX_PAYLOAD)));
        }
    }

    @Test
    void aDeadLetterKeepsAnyPayloadByteForByte() {
        byte[] binary = {(byte) 0xc3, (byte) 0x28, 0x00, (byte) 0xff};
        DeadLetter notText = DeadLetter.of("feedback", 1, 7, "acme", binary, "value is not JSON", List.of(), "test", AT);
        assertThat(notText.payloadEncoding()).isEqualTo(DeadLetter.PayloadEncoding.BASE64);
        DeadLetter text = DeadLetter.of("feedback", 1, 8, null, "{\"crème\":1".getBytes(StandardCharsets.UTF_8),
                "value is not JSON", List.of(), "test", AT);
        assertThat(text.payloadEncoding()).isEqualTo(DeadLetter.PayloadEncoding.UTF_8);

        EventSerde<DeadLetter> serde = EventSerde.of(DeadLetter.class, "/lorastream/test");
        for (DeadLetter letter : List.of(notText, text)) {
            RecordHeaders headers = new RecordHeaders();
            DeadLetter read = serde.deserializer().deserialize("feedback-dlq", headers,
                    serde.serializer().serialize("feedback-dlq", headers, letter));
            assertThat(read).isEqualTo(letter);
        }
        assertThat(serde.deserializer().deserialize("x", serde.serializer().serialize("x", notText)).payloadBytes())
                .isEqualTo(binary);
    }

    @Test
    void cloudEventIdsAreDeterministic() {
        assertThat(published().cloudEventId()).isEqualTo(published().cloudEventId()).isEqualTo("adapter-published:acme:v2");
        assertThat(feedback("acme").cloudEventId()).isEqualTo("fb-1");
    }
}
