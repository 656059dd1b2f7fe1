package io.lorastream.bench.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingRequest;
import io.lorastream.streams.DatasetStore;
import io.lorastream.streams.StoreMedium;
import io.lorastream.streams.StreamProcessorConfig;
import io.lorastream.streams.TopologyProducer;
import io.lorastream.testing.ConfigMappings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The stream-processor's whole topology ({@link TopologyProducer#compose}) with its settings' declared defaults and its
 * datasets in a real S3 bucket, driven in simulated time: a step of the clock fires its wall-clock checks (seal,
 * request, compact, retain, delete) once, as a check interval would in the service. Two differences, both for speed:
 * compaction runs at once, inside the check that starts it, where the service runs it on a background thread; and the
 * stores are in memory ({@link StoreMedium#MEMORY}), because the driver commits, so flushes RocksDB, after every record.
 * Their contents are the same; the restart ({@link ChangelogRestore}) is measured with RocksDB.
 */
final class SimulatedStreamProcessor implements AutoCloseable {
    static final String APPLICATION_ID = "lorastream-stream-processor";
    private static final String SOURCE = "/lorastream/history-scale";

    /** A training request as the topology wrote it: the record's size (key, value and headers) and the event. */
    record Request(int recordBytes, TrainingRequest event, Instant at) {}

    /** A changelog record, as the store's changelog topic would hold it. */
    record ChangelogRecord(byte[] key, byte[] value, long timestamp) {}

    /** One store: entries and their bytes as its changelog carries them. */
    record StoreSize(String store, long entries, long bytes) {}

    private final TopologyTestDriver driver;
    private final TestInputTopic<String, byte[]> feedback;
    private final TestInputTopic<String, byte[]> adapterEvents;
    private final EventSerde<FeedbackReceived> feedbackSerde = EventSerde.of(FeedbackReceived.class, SOURCE).withoutWriteValidation();
    private final EventSerde<AdapterEvent> adapterEventSerde = EventSerde.of(AdapterEvent.class, SOURCE);
    private final EventSerde<TrainingRequest> requestSerde = EventSerde.of(TrainingRequest.class, SOURCE);
    private Instant now;

    SimulatedStreamProcessor(DatasetStore datasets, Map<String, String> tenantPolicies, Path stateDir, Instant start) {
        this.now = start;
        Topology topology = topology(datasets, tenantPolicies, StoreMedium.MEMORY);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "simulated:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(topology, props, start);
        feedback = driver.createInputTopic(Topics.FEEDBACK, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        adapterEvents = driver.createInputTopic(Topics.ADAPTER_EVENTS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
    }

    /**
     * The policy defaults of the year measured on 2026-12-05, before the trigger waited for the trainer's answers: this
     * simulation's trainer runs only some requests, so the others would never be answered.
     */
    static final Map<String, String> POLICY_DEFAULTS = Map.of("defaults.min-examples", "200", "defaults.max-wait", "PT60S",
            "defaults.min-examples-after-wait", "20", "defaults.min-interval", "PT30S", "defaults.answer-timeout", "PT0S");

    /** The topology with the service's settings, {@link #POLICY_DEFAULTS} and the given tenant policies ({@code lorastream.training-policy.tenants.*}). */
    static Topology topology(DatasetStore datasets, Map<String, String> tenantPolicies, StoreMedium stores) {
        Map<String, String> policies = new java.util.HashMap<>(POLICY_DEFAULTS);
        tenantPolicies.forEach((key, value) -> policies.put("tenants." + key, value));
        return TopologyProducer.compose(
                ConfigMappings.load(StreamProcessorConfig.Feedback.class, "lorastream.feedback", Map.of()),
                ConfigMappings.load(StreamProcessorConfig.Policies.class, "lorastream.training-policy", policies),
                ConfigMappings.load(StreamProcessorConfig.Rollout.class, "lorastream.rollout", Map.of()),
                datasets, new SimpleMeterRegistry(), Runnable::run, stores);
    }

    Instant now() {
        return now;
    }

    void send(FeedbackReceived event) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = feedbackSerde.serializer().serialize(Topics.FEEDBACK, headers, event);
        feedback.pipeInput(new TestRecord<>(event.tenant(), value, headers, now));
    }

    /** What the trainer writes on adapter-events (a published or retired version). */
    void publish(AdapterEvent event) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = adapterEventSerde.serializer().serialize(Topics.ADAPTER_EVENTS, headers, event);
        adapterEvents.pipeInput(new TestRecord<>(event.tenant(), value, headers, now));
    }

    /** Moves the clock on: the topology's wall-clock checks run once. */
    void advance(Duration step) {
        now = now.plus(step);
        driver.advanceWallClockTime(step);
    }

    /**
     * Takes everything the topology wrote since the last call (the driver keeps every output record until read) and
     * returns its training requests.
     */
    List<Request> drain() {
        List<Request> requests = new ArrayList<>();
        for (String topic : driver.producedTopicNames()) {
            var out = driver.createOutputTopic(topic, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
            for (TestRecord<String, byte[]> record : out.readRecordsToList()) {
                if (!topic.equals(Topics.TRAINING_REQUESTS)) {
                    continue;
                }
                int bytes = (record.key() == null ? 0 : record.key().getBytes(StandardCharsets.UTF_8).length) + record.value().length;
                for (var header : record.headers()) {
                    bytes += header.key().getBytes(StandardCharsets.UTF_8).length + (header.value() == null ? 0 : header.value().length);
                }
                requests.add(new Request(bytes, requestSerde.deserializer().deserialize(topic, record.headers(), record.value()),
                        record.getRecordTime()));
            }
        }
        return requests;
    }

    /** Every store's entries as its changelog would carry them (the service's stores are all logged). */
    Map<String, List<ChangelogRecord>> changelogs() {
        Map<String, List<ChangelogRecord>> byStore = new TreeMap<>();
        for (Map.Entry<String, StateStore> store : driver.getAllStateStores().entrySet()) {
            List<ChangelogRecord> records = new ArrayList<>();
            if (store.getValue() instanceof WindowStore<?, ?>) {
                WindowStore<Object, Object> window = driver.getWindowStore(store.getKey());
                try (KeyValueIterator<Windowed<Object>, Object> all = window.all()) {
                    while (all.hasNext()) {
                        KeyValue<Windowed<Object>, Object> entry = all.next();
                        long start = entry.key.window().start();
                        byte[] key = bytes(entry.key.key());
                        // the window store's changelog key: the key, the window's start, a sequence number (0: no duplicates)
                        byte[] changelogKey = ByteBuffer.allocate(key.length + 12).put(key).putLong(start).putInt(0).array();
                        records.add(new ChangelogRecord(changelogKey, bytes(entry.value), start));
                    }
                }
            } else {
                KeyValueStore<Object, Object> kv = driver.getKeyValueStore(store.getKey());
                try (KeyValueIterator<Object, Object> all = kv.all()) {
                    while (all.hasNext()) {
                        KeyValue<Object, Object> entry = all.next();
                        records.add(new ChangelogRecord(bytes(entry.key), bytes(entry.value), now.toEpochMilli()));
                    }
                }
            }
            byStore.put(store.getKey(), records);
        }
        return byStore;
    }

    static List<StoreSize> sizes(Map<String, List<ChangelogRecord>> changelogs) {
        return changelogs.entrySet().stream().map(e -> new StoreSize(e.getKey(), e.getValue().size(),
                e.getValue().stream().mapToLong(r -> r.key().length + r.value().length).sum())).toList();
    }

    /** A stored key or value as its serde writes it: strings as UTF-8, longs as 8 bytes, the rest as JSON. */
    private static byte[] bytes(Object value) {
        if (value instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (value instanceof Long l) {
            return Serdes.Long().serializer().serialize(null, l);
        }
        try {
            return EventJson.MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    @Override
    public void close() {
        driver.close();
    }
}
