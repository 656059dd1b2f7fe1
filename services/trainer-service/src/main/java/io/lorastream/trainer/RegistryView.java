package io.lorastream.trainer;

import io.lorastream.events.EventSerde;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * The trainer's reading of the compacted {@code adapter-registry}: every partition from the beginning, no
 * consumer group, the latest stable version per tenant and the newest version the rollout has decided on.
 * {@link #stable} reads the registry up to its end as of the call (read_committed: what the stream-processor
 * has committed), and again until the rollout has decided on the tenant's newest published version, so a
 * job sees every promotion and roll-back decided before it started — never a stale stable.
 */
final class RegistryView implements StableVersions, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RegistryView.class);

    private final KafkaConsumer<String, byte[]> consumer; // the follower thread's alone
    private final Deserializer<RegistryEntry> entries = EventSerde.of(RegistryEntry.class, KafkaSerdes.SOURCE).deserializer();
    /**
     * Per tenant: the stable version (0 for none), the newest version the registry mentions, and what retention must keep
     * for it (stable, candidate, pinned, promoted in the history).
     */
    private record Known(int stable, int newest, java.util.Set<Integer> kept) {}

    private final Map<String, Known> known = new ConcurrentHashMap<>();
    /** Callers waiting for the registry to be read to its end as of their call. */
    private final Queue<CompletableFuture<Void>> waiting = new ConcurrentLinkedQueue<>();
    private final Duration timeout;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param connection where the brokers are and how to log in ({@link io.lorastream.events.KafkaConnection})
     * @param timeout    how long {@link #stable} waits for the registry before it calls it unavailable
     */
    RegistryView(Map<String, Object> connection, Duration timeout) {
        this.timeout = timeout;
        Properties props = new Properties();
        props.putAll(connection);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "lorastream-trainer-registry");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "registry-view");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    @Override
    public OptionalInt stable(String tenant, int newestPublished) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            readToEnd(deadline);
            Known k = known.getOrDefault(tenant, new Known(0, 0, java.util.Set.of()));
            if (k.newest() >= newestPublished) {
                return k.stable() == 0 ? OptionalInt.empty() : OptionalInt.of(k.stable());
            }
            if (System.nanoTime() + DECISION_POLL.toNanos() > deadline) {
                throw new Unavailable("the rollout has not decided on " + tenant + " v" + newestPublished + " within "
                        + timeout.toMillis() + " ms (is the stream-processor running?)", null);
            }
            sleep(DECISION_POLL);
        }
    }

    private static final Duration DECISION_POLL = Duration.ofMillis(100);

    @Override
    public java.util.Set<Integer> protectedVersions(String tenant, int newestPublished) {
        stable(tenant, newestPublished); // read to the end, and wait for the decision on the newest
        return known.getOrDefault(tenant, new Known(0, 0, java.util.Set.of())).kept();
    }

    /** Returns once the follower has read every partition up to its end as of this call. */
    private void readToEnd(long deadline) {
        CompletableFuture<Void> current = new CompletableFuture<>();
        waiting.add(current);
        try {
            current.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            current.cancel(false);
            throw new Unavailable("the adapter registry could not be read to its end within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while reading the adapter registry", e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while waiting for the rollout", e);
        }
    }

    /** A request and the end offsets it must see. */
    private record Target(CompletableFuture<Void> done, Map<TopicPartition, Long> ends) {}

    private void run() {
        List<Target> targets = new ArrayList<>();
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            while (running && partitions.isEmpty()) {
                try {
                    consumer.partitionsFor(Topics.ADAPTER_REGISTRY, Duration.ofSeconds(5))
                            .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
                } catch (org.apache.kafka.common.errors.TimeoutException unreachable) {
                    failWaiting(unreachable);
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                List<CompletableFuture<Void>> asked = new ArrayList<>();
                for (CompletableFuture<Void> f; (f = waiting.poll()) != null; ) {
                    asked.add(f);
                }
                if (!asked.isEmpty()) {
                    try {
                        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(5));
                        asked.forEach(f -> targets.add(new Target(f, ends)));
                    } catch (org.apache.kafka.common.errors.TimeoutException unreachable) {
                        asked.forEach(f -> f.completeExceptionally(unreachable));
                    }
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    apply(record);
                }
                targets.removeIf(t -> {
                    boolean reached = t.done().isCancelled()
                            || t.ends().entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
                    if (reached) {
                        t.done().complete(null);
                    }
                    return reached;
                });
            }
        } catch (org.apache.kafka.common.errors.WakeupException stopping) {
            // close()
        } catch (RuntimeException e) {
            LOG.error("the registry view stopped", e);
            targets.forEach(t -> t.done().completeExceptionally(e));
            failWaiting(e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void failWaiting(RuntimeException cause) {
        for (CompletableFuture<Void> f; (f = waiting.poll()) != null; ) {
            f.completeExceptionally(cause);
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            known.remove(record.key()); // a tombstone: the tenant is gone
            return;
        }
        try {
            RegistryEntry entry = entries.deserialize(record.topic(), record.headers(), record.value());
            // what serves (stable, pinned, candidate) and what was promoted: retention keeps them
            java.util.Set<Integer> kept = new java.util.TreeSet<>();
            for (RegistryEntry.VersionRef ref : java.util.Arrays.asList(entry.stable(), entry.pinned(),
                    entry.candidate() == null ? null : entry.candidate().ref())) {
                if (ref != null) {
                    kept.add(ref.version());
                }
            }
            entry.history().stream().filter(h -> h.status() == io.lorastream.events.AdapterStatus.PROMOTED)
                    .forEach(h -> kept.add(h.version()));
            int newest = Math.max(entry.history().stream().mapToInt(RegistryEntry.HistoryItem::version).max().orElse(0),
                    kept.stream().mapToInt(Integer::intValue).max().orElse(0));
            int decided = newest;
            // a version once decided stays decided, even when the history it was named in has been trimmed
            known.merge(entry.tenant(), new Known(entry.stable() == null ? 0 : entry.stable().version(), newest, java.util.Set.copyOf(kept)),
                    (before, now) -> new Known(now.stable(), Math.max(before.newest(), decided), now.kept()));
        } catch (RuntimeException e) {
            LOG.errorf("skipped an unreadable registry record at %s-%d@%d: %s", record.topic(), record.partition(), record.offset(), e.getMessage());
        }
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
