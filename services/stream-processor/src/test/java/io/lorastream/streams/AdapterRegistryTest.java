package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLoadFailed;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.EventSerde;
import io.lorastream.events.Evaluation;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.Topics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterRegistryTest {
    private static final Instant START = Instant.parse("2026-11-29T10:00:00Z");

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> events;
    private TestOutputTopic<String, RegistryEntry> registry;
    private final EventSerde<AdapterEvent> serde = EventSerde.of(AdapterEvent.class, "/test");

    @BeforeEach
    void start() {
        Topology topology = new Topology();
        AdapterRegistry.addTo(topology);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "registry-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(topology, props, START);
        events = driver.createInputTopic(Topics.ADAPTER_EVENTS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        registry = driver.createOutputTopic(Topics.ADAPTER_REGISTRY, Serdes.String().deserializer(),
                EventSerde.of(RegistryEntry.class, "/test").deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void send(AdapterEvent event) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = serde.serializer().serialize(Topics.ADAPTER_EVENTS, headers, event);
        events.pipeInput(new TestRecord<>(event.tenant(), value, headers, START));
    }

    private static AdapterPublished published(String tenant, int version, boolean passed) {
        String manifestSha = String.format("%064x", version);
        return new AdapterPublished(tenant, version, version > 1 ? version - 1 : null, "s3://lorastream/adapters/" + tenant + "/v" + version + "/",
                new AdapterPublished.BaseModel("minilm", "a".repeat(64)),
                Map.of("adapter_config.json", "b".repeat(64), "adapter_model.safetensors", "c".repeat(64), "manifest.json", manifestSha),
                "training:" + tenant + ":" + version, new AdapterPublished.Metrics(new Evaluation(0.9, null, null, 100), null),
                new AdapterPublished.Gate(passed, 0.02), START.plusSeconds(version));
    }

    @Test
    void gatePassedVersionsBecomeStableAndFailedOnesAreRecordedAsRejected() {
        send(published("acme", 1, true));
        RegistryEntry first = registry.readValue();
        assertThat(first.revision()).isEqualTo(1);
        assertThat(first.stable()).isEqualTo(new RegistryEntry.VersionRef(1, "s3://lorastream/adapters/acme/v1/", String.format("%064x", 1)));

        send(published("acme", 2, false));
        RegistryEntry second = registry.readValue();
        assertThat(second.revision()).isEqualTo(2);
        assertThat(second.stable().version()).as("a rejected version never serves").isEqualTo(1);
        assertThat(second.history()).extracting(RegistryEntry.HistoryItem::version, RegistryEntry.HistoryItem::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, AdapterStatus.PROMOTED), org.assertj.core.groups.Tuple.tuple(2, AdapterStatus.REJECTED));

        send(published("acme", 3, true));
        assertThat(registry.readValue().stable().version()).isEqualTo(3);
        send(published("globex", 1, true));
        assertThat(registry.readKeyValue().key).isEqualTo("globex");
    }

    @Test
    void aRedeliveredEventOrAnotherKindChangesNothing() {
        send(published("acme", 1, true));
        registry.readValue();
        send(published("acme", 1, true)); // the trainer re-emits after a redelivered request
        send(new AdapterLoadFailed("acme", 1, "s3://lorastream/adapters/acme/v1/", "serving-0", null, "sha256 mismatch", START));
        events.pipeInput("acme", "not an event".getBytes());
        assertThat(registry.isEmpty()).isTrue();
        send(published("acme", 2, true));
        assertThat(registry.readValue().revision()).isEqualTo(2);
    }
}
