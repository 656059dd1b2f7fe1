package io.lorastream.serving;

import io.lorastream.engine.Adapter;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.LoraConfig;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventSerde;
import io.lorastream.events.Evaluation;
import io.lorastream.events.LoraEvent;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.Topics;
import io.lorastream.store.AdapterRepository;
import io.lorastream.store.ObjectStore;
import io.lorastream.store.VersionManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Publishes adapter versions to the real S3 server as the trainer does, and registry entries as the stream-processor does. */
final class TestVersions {
    private TestVersions() {}

    /** A fresh adapter (its seed decides its head, so versions answer differently) published as {@code tenant} v{@code version}. */
    static RegistryEntry.VersionRef publish(ObjectStore store, BaseModel base, String tenant, int version, long seed, List<String> labels)
            throws Exception {
        return publish(store, base, tenant, version, seed, labels, new AdapterPublished.BaseModel(base.id(), base.sha256()));
    }

    /** As the trainer of {@code trainedOn} would have published it. */
    static RegistryEntry.VersionRef publish(ObjectStore store, BaseModel base, String tenant, int version, long seed, List<String> labels,
                                            AdapterPublished.BaseModel trainedOn) throws Exception {
        Path dir = Files.createTempDirectory("test-adapter-");
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), labels, seed)) {
            AdapterFiles.save(adapter, dir);
        }
        VersionManifest draft = new VersionManifest(tenant, version, version > 1 ? version - 1 : null, version > 1 ? version - 1 : null, "training:" + tenant + ":" + version,
                trainedOn, List.of(), List.of(), List.of(), List.of(), null, Map.of("seed", seed),
                new AdapterPublished.Metrics(new Evaluation(0.9, null, null, 100), null), new AdapterPublished.Gate(true, 0.02),
                Map.of(), 1, "cpu", Instant.now());
        AdapterRepository repository = new AdapterRepository(store);
        AdapterRepository.Published published = repository.publish(draft, dir);
        return new RegistryEntry.VersionRef(version, repository.uri(tenant, version), published.files().get(VersionManifest.FILE));
    }

    /** The adapter-published event the trainer would send for a version {@link #publish} wrote. */
    static void announce(String bootstrap, ObjectStore store, BaseModel base, String tenant, RegistryEntry.VersionRef ref) throws Exception {
        VersionManifest manifest = new AdapterRepository(store).versions(tenant).stream().filter(v -> v.version() == ref.version())
                .findFirst().orElseThrow();
        AdapterPublished event = new AdapterPublished(tenant, ref.version(), manifest.parentVersion(), manifest.baselineVersion(), ref.uri(), manifest.baseModel(),
                new AdapterRepository(store).published(manifest).files(), manifest.trainingRequestId(), manifest.metrics(), manifest.gate(),
                Instant.now());
        send(bootstrap, Topics.ADAPTER_EVENTS, AdapterPublished.class, event);
    }

    static void register(String bootstrap, String tenant, long revision, RegistryEntry.VersionRef stable) throws Exception {
        register(bootstrap, tenant, revision, stable, null);
    }

    static void register(String bootstrap, String tenant, long revision, RegistryEntry.VersionRef stable, RegistryEntry.Candidate candidate)
            throws Exception {
        register(java.util.Map.of("bootstrap.servers", bootstrap), tenant, revision, stable, candidate);
    }

    /** By a client with these settings (a broker that wants a login). */
    static void register(java.util.Map<String, Object> client, String tenant, long revision, RegistryEntry.VersionRef stable,
                         RegistryEntry.Candidate candidate) throws Exception {
        io.lorastream.testing.TestEvents.send(client, Topics.ADAPTER_REGISTRY, RegistryEntry.class, new RegistryEntry(tenant, revision, stable,
                candidate, null, null,
                List.of(new RegistryEntry.HistoryItem(stable.version(), io.lorastream.events.AdapterStatus.PROMOTED, Instant.now())), Instant.now()));
    }

    static <T extends LoraEvent> void send(String bootstrap, String topic, Class<T> type, T event) throws Exception {
        io.lorastream.testing.TestEvents.send(bootstrap, topic, type, event);
    }
}
