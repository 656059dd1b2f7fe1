package io.lorastream.bench.history;

import io.lorastream.events.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * The stream-processor's restart at its worst: a new instance with no local state, which restores every store from its
 * changelog on the real broker before it processes anything. The stores' contents (from the simulation) are written
 * into the changelog topics of a fresh application id, as the service's own writes would have left them; then the
 * real Kafka Streams runtime starts the topology with the service's settings, and the time to RUNNING is the restart.
 */
final class ChangelogRestore {
    /**
     * @param seconds  start to RUNNING with every record restored
     * @param restored records the runtime reported restoring
     * @param records  records written into the changelogs
     */
    record Result(double seconds, long restored, long records) {
        boolean complete() {
            return restored == records;
        }
    }

    private ChangelogRestore() {}

    /**
     * @param simulatedNow the simulation's clock: record timestamps are moved so that it falls on the real now, since
     *                     a broker refuses records stamped more than an hour ahead ({@code log.message.timestamp.after.max.ms})
     *                     and a simulated year may end in the real future (a window store's keys keep their own times)
     */
    static Result measure(String bootstrap, String applicationId, Map<String, List<SimulatedStreamProcessor.ChangelogRecord>> changelogs,
                          Topology topology, java.time.Instant simulatedNow) throws Exception {
        long shift = System.currentTimeMillis() - simulatedNow.toEpochMilli();
        long records = 0;
        int partitions;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            // a changelog has as many partitions as the topics its tasks read
            partitions = admin.describeTopics(List.of(Topics.FEEDBACK)).allTopicNames().get(1, TimeUnit.MINUTES)
                    .get(Topics.FEEDBACK).partitions().size();
            List<NewTopic> topics = new ArrayList<>();
            for (String store : changelogs.keySet()) {
                topics.add(new NewTopic(applicationId + "-" + store + "-changelog", partitions, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact")));
            }
            admin.createTopics(topics).all().get(1, TimeUnit.MINUTES);
        }
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (var store : changelogs.entrySet()) {
                String topic = applicationId + "-" + store.getKey() + "-changelog";
                for (SimulatedStreamProcessor.ChangelogRecord r : store.getValue()) {
                    int partition = Utils.toPositive(Utils.murmur2(r.key())) % partitions;
                    sent.add(producer.send(new ProducerRecord<>(topic, partition, r.timestamp() + shift, r.key(), r.value())));
                    records++;
                }
            }
            producer.flush();
            for (var write : sent) {
                write.get(); // a refused record fails the measurement here, not as a restore of fewer records
            }
        }

        Path stateDir = Files.createTempDirectory("history-restore-");
        Properties props = new Properties();
        // the service's settings (stream-processor application.properties)
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "50");
        props.put(StreamsConfig.POLL_MS_CONFIG, "10");
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2");
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        AtomicLong restored = new AtomicLong();
        // RUNNING alone is not enough: the runtime may report it while its state updater still restores
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch allRestored = new CountDownLatch(records == 0 ? 0 : 1);
        long expected = records;
        KafkaStreams streams = new KafkaStreams(topology, props);
        streams.setGlobalStateRestoreListener(new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition partition, String store, long start, long end) {}

            @Override
            public void onBatchRestored(TopicPartition partition, String store, long batchEnd, long batch) {
                if (restored.addAndGet(batch) >= expected) {
                    allRestored.countDown();
                }
            }

            @Override
            public void onRestoreEnd(TopicPartition partition, String store, long total) {}
        });
        streams.setStateListener((next, previous) -> {
            if (next == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        long started = System.nanoTime();
        try {
            streams.start();
            if (!running.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the restarted topology did not reach RUNNING in 10 minutes");
            }
            if (!allRestored.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the restarted topology restored " + restored.get() + " of " + records + " records in 10 minutes");
            }
            return new Result((System.nanoTime() - started) / 1e9, restored.get(), records);
        } finally {
            streams.close(Duration.ofSeconds(30));
            streams.cleanUp();
            Utils.delete(stateDir.toFile());
        }
    }
}
