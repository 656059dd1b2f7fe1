package io.lorastream.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.events.KafkaAccess;
import io.lorastream.events.KafkaAccess.Service;
import io.lorastream.events.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link KafkaAccess} against a real broker that authenticates (SASL/SCRAM-SHA-512) and authorizes: for every service and
 * every topic, writing and reading succeed exactly where the table allows, and are refused with
 * {@link TopicAuthorizationException} everywhere else; groups, transactional ids, internal topics and logins likewise.
 */
class KafkaAccessIT {
    static SecureKafka kafka;

    @BeforeAll
    static void start() {
        kafka = SecureKafka.start();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void eachServiceWritesAndReadsExactlyTheTopicsItsRulesAllow() {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Service service : Service.values()) {
            try (KafkaProducer<String, String> producer = producer(kafka.clientConfig(service))) {
                for (Topics.Spec topic : Topics.ALL) {
                    boolean allowed = KafkaAccess.allows(service, topic.name(), AclOperation.WRITE);
                    String outcome = write(producer, topic.name());
                    if (!outcome.equals(allowed ? "written" : "refused")) {
                        wrong.add(service.user() + " writing " + topic.name() + ": " + outcome + ", the table says " + (allowed ? "allowed" : "refused"));
                    }
                    checked++;
                }
            }
            for (Topics.Spec topic : Topics.ALL) {
                boolean allowed = KafkaAccess.allows(service, topic.name(), AclOperation.READ);
                String outcome = read(kafka.clientConfig(service), topic.name(), null);
                if (!outcome.equals(allowed ? "read" : "refused")) {
                    wrong.add(service.user() + " reading " + topic.name() + ": " + outcome + ", the table says " + (allowed ? "allowed" : "refused"));
                }
                checked++;
            }
        }
        assertThat(wrong).as("outcomes that differ from the table").isEmpty();
        assertThat(checked).isEqualTo(Service.values().length * Topics.ALL.size() * 2);
    }

    @Test
    void servingCannotWriteTheRegistryNorIngestTheCommandsOrTrainingRequests() {
        try (KafkaProducer<String, String> serving = producer(kafka.clientConfig(Service.SERVING))) {
            assertThatThrownBy(() -> serving.send(new ProducerRecord<>(Topics.ADAPTER_REGISTRY, "acme", "{}")).get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaProducer<String, String> ingest = producer(kafka.clientConfig(Service.INGEST))) {
            assertThatThrownBy(() -> ingest.send(new ProducerRecord<>(Topics.ADAPTER_COMMANDS, "acme", "{}")).get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> ingest.send(new ProducerRecord<>(Topics.TRAINING_REQUESTS, "acme", "{}")).get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aServiceJoinsOnlyItsOwnGroup() {
        assertThat(read(kafka.clientConfig(Service.SERVING), Topics.SCORE_REQUESTS, KafkaAccess.SERVING_GROUP)).isEqualTo("read");
        assertThat(read(kafka.clientConfig(Service.TRAINER), Topics.TRAINING_REQUESTS, KafkaAccess.TRAINER_GROUP)).isEqualTo("read");
        // the trainer may read the registry, but not as serving's group
        assertThat(read(kafka.clientConfig(Service.TRAINER), Topics.ADAPTER_REGISTRY, KafkaAccess.SERVING_GROUP))
                .isEqualTo("refused: GroupAuthorizationException");
        assertThat(read(kafka.clientConfig(Service.SERVING), Topics.ADAPTER_REGISTRY, KafkaAccess.STREAMS_APPLICATION_ID))
                .isEqualTo("refused: GroupAuthorizationException");
    }

    @Test
    void onlyTheStreamProcessorUsesItsTransactionalIdsAndInternalTopics() throws Exception {
        String transactionalId = KafkaAccess.STREAMS_APPLICATION_ID + "-it-1";
        Map<String, Object> streams = new HashMap<>(kafka.clientConfig(Service.STREAM_PROCESSOR));
        streams.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        try (KafkaProducer<String, String> producer = producer(streams)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(Topics.ADAPTER_REGISTRY, "acme", "{}"));
            producer.commitTransaction();
        }
        Map<String, Object> serving = new HashMap<>(kafka.clientConfig(Service.SERVING));
        serving.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        try (KafkaProducer<String, String> producer = producer(serving)) {
            assertThatThrownBy(producer::initTransactions).isInstanceOf(TransactionalIdAuthorizationException.class);
        }

        NewTopic changelog = new NewTopic(KafkaAccess.STREAMS_APPLICATION_ID + "-pending-changelog", 1, (short) 1);
        try (Admin admin = Admin.create(kafka.clientConfig(Service.SERVING))) {
            assertThatThrownBy(() -> admin.createTopics(List.of(changelog)).all().get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (Admin admin = Admin.create(kafka.clientConfig(Service.STREAM_PROCESSOR))) {
            admin.createTopics(List.of(changelog)).all().get();
            // and nothing else: a topic outside its prefix is refused
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("stray", 1, (short) 1))).all().get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aWrongPasswordOrNoLoginIsRefused() {
        Map<String, Object> wrong = kafka.clientConfig(Service.SERVING.user(), "not-the-password");
        try (KafkaProducer<String, String> producer = producer(wrong)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.SCORE_RESULTS, "acme", "{}")).get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SaslAuthenticationException.class);
        }
        // no login at all: the listener speaks only SASL, so a plain client never gets metadata
        Map<String, Object> anonymous = new HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers()));
        anonymous.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(anonymous, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.FEEDBACK, "acme", "{}")).get(30, TimeUnit.SECONDS))
                    .isInstanceOfAny(ExecutionException.class, org.apache.kafka.common.errors.TimeoutException.class);
        }
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> config) {
        Map<String, Object> props = new HashMap<>(config);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /** "written", "refused" (TopicAuthorizationException) or what else happened. */
    private static String write(KafkaProducer<String, String> producer, String topic) {
        try {
            producer.send(new ProducerRecord<>(topic, "acme", "{}")).get(60, TimeUnit.SECONDS);
            return "written";
        } catch (ExecutionException e) {
            return e.getCause() instanceof TopicAuthorizationException ? "refused" : "failed: " + e.getCause();
        } catch (Exception e) {
            return "failed: " + e;
        }
    }

    /**
     * Reads partition 0 from the start (assigned, no group), or joins {@code group} and polls: "read" when a poll returns,
     * "refused" when it throws TopicAuthorizationException, else what it threw.
     */
    private static String read(Map<String, Object> config, String topic, String group) {
        Map<String, Object> props = new HashMap<>(config);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        if (group != null) {
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            if (group == null) {
                consumer.assign(List.of(new TopicPartition(topic, 0)));
            } else {
                consumer.subscribe(List.of(topic));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            // an allowed read returns from poll; a subscription may take a few polls to join (each returns, possibly empty)
            do {
                consumer.poll(Duration.ofMillis(500));
            } while (group != null && consumer.assignment().isEmpty() && System.nanoTime() < deadline);
            return group != null && consumer.assignment().isEmpty() ? "not assigned within 30 s" : "read";
        } catch (TopicAuthorizationException e) {
            return "refused";
        } catch (GroupAuthorizationException e) {
            return "refused: GroupAuthorizationException";
        } catch (RuntimeException e) {
            return "failed: " + e;
        }
    }
}
