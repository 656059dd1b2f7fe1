package io.lorastream.serving;

import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventSerde;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingFailed;
import io.lorastream.store.VersionManifest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads the compacted {@code adapter-registry} from the beginning, every partition, without a consumer
 * group: every replica needs every tenant. It also watches {@code adapter-events} from the end, to start
 * loading a gate-passed version as soon as it is published ({@link ServedAdapters#prefetch}) and to see the
 * answers to admin commands ({@link RolloutView#answered}). An admin's pin serves alone: no candidate then. Until it has read what the topic held at start and loaded
 * those versions it is not ready (the first request is warm); afterwards each new entry is a hot reload.
 */
final class RegistryFollower implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RegistryFollower.class);

    private final ServedAdapters adapters;
    private final RolloutView view;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Deserializer<RegistryEntry> entries = EventSerde.of(RegistryEntry.class, KafkaSerdes.SOURCE).deserializer();
    private final Deserializer<AdapterEvent> announcements = EventSerde.of(AdapterEvent.class, KafkaSerdes.SOURCE).deserializer();
    private final Thread thread;
    private final CompletableFuture<Void> preloaded = new CompletableFuture<>();
    private volatile boolean running = true;

    /** @param connection where the brokers are and how to log in ({@link io.lorastream.events.KafkaConnection}) */
    RegistryFollower(ServedAdapters adapters, RolloutView view, Map<String, Object> connection) {
        this.adapters = adapters;
        this.view = view;
        Properties props = new Properties();
        props.putAll(connection);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"); // the stream-processor writes it exactly once
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "lorastream-serving-registry");
        // a fetch parked at the broker is answered at once when records arrive, but read_committed records only count once
        // their transaction commits; a short park bounds that wait (an idle replica then fetches 20 times a second)
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "registry-follower");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Completes once the registry as it was at start is read and each of its versions swapped in or refused. */
    CompletableFuture<Void> preloaded() {
        return preloaded;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(Topics.ADAPTER_REGISTRY, Duration.ofDays(1))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            List<TopicPartition> announcements = new ArrayList<>();
            consumer.partitionsFor(Topics.ADAPTER_EVENTS, Duration.ofDays(1))
                    .forEach(p -> announcements.add(new TopicPartition(p.topic(), p.partition())));
            List<TopicPartition> all = new ArrayList<>(partitions);
            all.addAll(announcements);
            consumer.assign(all);
            consumer.seekToBeginning(partitions);
            consumer.seekToEnd(announcements); // only what is published from now on is worth prefetching
            Map<TopicPartition, Long> startEnd = consumer.endOffsets(partitions, Duration.ofDays(1));
            List<CompletableFuture<Void>> initial = new ArrayList<>();
            boolean caughtUp = false;
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.topic().equals(Topics.ADAPTER_EVENTS)) {
                        announced(record);
                        continue;
                    }
                    CompletableFuture<Void> reload = apply(record);
                    if (!caughtUp) {
                        initial.add(reload);
                    }
                }
                if (!caughtUp && startEnd.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    caughtUp = true;
                    LOG.infof("registry read to its end at start: %d entries; preloading", initial.size());
                    CompletableFuture.allOf(initial.toArray(CompletableFuture[]::new)).whenComplete((ok, e) -> preloaded.complete(null));
                }
            }
        } catch (WakeupException stopping) {
            // close() woke us
        } catch (RuntimeException e) {
            LOG.error("the registry follower stopped", e);
            preloaded.completeExceptionally(e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /**
     * A gate-passed version just published will most likely be named by the registry next: load it ahead.
     * A lifecycle event may answer an admin command this replica sent.
     */
    private void announced(ConsumerRecord<String, byte[]> record) {
        try {
            AdapterEvent event = announcements.deserialize(record.topic(), record.headers(), record.value());
            if (event instanceof AdapterPublished published && published.gate().passed() && published.files().containsKey(VersionManifest.FILE)) {
                adapters.prefetch(published.tenant(),
                        new RegistryEntry.VersionRef(published.version(), published.uri(), published.files().get(VersionManifest.FILE)));
            } else if (event instanceof AdapterLifecycle lifecycle) {
                view.answered(lifecycle);
            } else if (event instanceof TrainingFailed failed) {
                view.trainingFailed(failed);
            }
        } catch (RuntimeException e) {
            LOG.debugf("skipped %s-%d@%d: %s", record.topic(), record.partition(), record.offset(), e.getMessage());
        }
    }

    private CompletableFuture<Void> apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            view.removed(record.key());
            adapters.candidate(record.key(), null, 0, false);
            // a tombstone: the tenant is offboarded; its series go once its slots are empty (a late swap would add one back)
            String tenant = record.key();
            return adapters.target(tenant, null).whenComplete((ok, e) -> adapters.forget(tenant));
        }
        RegistryEntry entry;
        try {
            entry = entries.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            LOG.errorf("skipped an unreadable registry record at %s-%d@%d: %s", record.topic(), record.partition(), record.offset(), e.getMessage());
            return CompletableFuture.completedFuture(null);
        }
        List<Integer> retiredBefore = view.entry(entry.tenant()).map(RegistryFollower::retired).orElse(List.of());
        view.entry(entry);
        List<Integer> newlyRetired = retired(entry).stream().filter(v -> !retiredBefore.contains(v)).toList();
        if (!newlyRetired.isEmpty()) {
            adapters.retired(entry.tenant(), newlyRetired);
        }
        LOG.debugf("registry: %s revision %d, stable %s", entry.tenant(), entry.revision(), entry.stable() == null ? "none" : "v" + entry.stable().version());
        if (entry.pinned() != null) {
            return CompletableFuture.allOf(adapters.target(entry.tenant(), entry.pinned()), adapters.candidate(entry.tenant(), null, 0, false));
        }
        // stable serves; a candidate answers its share of requests (Scoring routes by request hash), or shadows stable
        RegistryEntry.Candidate c = entry.candidate();
        CompletableFuture<Void> candidate = adapters.candidate(entry.tenant(), c == null ? null : c.ref(), c == null ? 0 : c.trafficShare(),
                c != null && c.shadow());
        return CompletableFuture.allOf(adapters.target(entry.tenant(), entry.stable()), candidate);
    }

    /** The versions the entry's history shows retired. */
    private static List<Integer> retired(RegistryEntry entry) {
        return entry.history().stream().filter(h -> h.status() == io.lorastream.events.AdapterStatus.RETIRED)
                .map(RegistryEntry.HistoryItem::version).toList();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
