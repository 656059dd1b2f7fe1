package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.engine.Example;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventSerde;
import io.lorastream.events.LoraEvent;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingFailed;
import io.lorastream.events.DatasetSnapshot;
import io.lorastream.events.Sha256;
import io.lorastream.events.TrainingRequested;
import io.lorastream.events.TrainingSnapshotRequested;
import io.lorastream.store.ObjectStore;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.TestEvents;
import io.lorastream.testing.WithKafkaAndS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged trainer against records that can never make a version: each is answered — a dead letter
 * with the reason for what is not a request, {@code training-failed} with the reason and the shards to
 * retry for a request whose data is not there, both for a request whose snapshot cannot be read — and the same worker then trains another tenant's good
 * request. (Before: a traversal key was retried forever as an S3 outage while holding the device; a
 * missing shard was logged and dropped, with no event.)
 */
@WithKafkaAndS3
class TrainerBadRequestsIT {
    @TempDir
    Path work;

    @Test
    void badRequestsAreDeadLetteredOrFailedWithAReasonAndTrainingGoesOn(Infrastructure infra) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String poisoned = "poisoned-" + run;
        String missing = "missing-" + run;
        String good = "good-" + run;
        String wrongKey = "someone-else-" + run;
        String bootstrap = infra.kafkaBootstrapServers();
        List<Example> yelp = Example.readTsv(Path.of(TrainerBadRequestsIT.class.getResource("/uci/yelp.tsv").toURI()));
        try (ObjectStore store = new ObjectStore(infra.s3().newClient(), infra.s3().bucket());
             ServiceProcess trainer = new ServiceProcess("trainer-service", Path.of(System.getProperty("lorastream.trainer.jar")),
                     TrainerCrashIT.freePort(), TrainerCrashIT.config(infra), Map.of(), work.resolve("trainer.log"))) {
            String present = "datasets/" + missing + "/shards/000001.jsonl";
            TrainingJobIT.shard(store, missing, present, yelp.subList(0, 40));
            String goodShard = "datasets/" + good + "/shards/000001.jsonl";
            TrainingJobIT.shard(store, good, goodShard, yelp.subList(0, 60));
            trainer.start(Duration.ofSeconds(120));

            TestEvents.sendRaw(bootstrap, Topics.TRAINING_REQUESTS, poisoned, "not json".getBytes(StandardCharsets.UTF_8));
            TestEvents.sendRaw(bootstrap, Topics.TRAINING_REQUESTS, poisoned, request(poisoned, "datasets/" + poisoned + "/../" + good
                    + "/shards/000001.jsonl").getBytes(StandardCharsets.UTF_8));
            TestEvents.sendRaw(bootstrap, Topics.TRAINING_REQUESTS, wrongKey,
                    request(poisoned, "datasets/" + poisoned + "/shards/000001.jsonl").getBytes(StandardCharsets.UTF_8));
            TestEvents.send(bootstrap, Topics.TRAINING_REQUESTS, TrainingRequested.class, new TrainingRequested("training:" + missing + ":1",
                    missing, List.of(present, "datasets/" + missing + "/shards/000002.jsonl"), List.of(), 40,
                    TrainingRequested.Trigger.MIN_EXAMPLES, Instant.now()));
            // version 2, as the stream-processor writes it: the request names a snapshot in S3
            DatasetSnapshot snapshot = new DatasetSnapshot(good, "training:" + good + ":1",
                    List.of(new DatasetSnapshot.Shard(goodShard, 60, Sha256.hex(store.get(goodShard).orElseThrow()))), List.of());
            byte[] snapshotBytes = snapshot.encode();
            String snapshotKey = DatasetSnapshot.key(good, 1, Sha256.hex(snapshotBytes));
            store.put(snapshotKey, snapshotBytes, "application/json");
            TestEvents.send(bootstrap, Topics.TRAINING_REQUESTS, TrainingSnapshotRequested.class, new TrainingSnapshotRequested(
                    "training:" + good + ":1", good, new TrainingSnapshotRequested.Snapshot(snapshotKey, Sha256.hex(snapshotBytes), 1, 0), 60,
                    TrainingRequested.Trigger.MIN_EXAMPLES, Instant.now()));
            // ... one whose snapshot is not there, and one whose snapshot is not the bytes it names
            TestEvents.send(bootstrap, Topics.TRAINING_REQUESTS, TrainingSnapshotRequested.class, new TrainingSnapshotRequested(
                    "training:" + poisoned + ":2", poisoned, new TrainingSnapshotRequested.Snapshot(DatasetSnapshot.key(poisoned, 2, "0".repeat(64)),
                    "0".repeat(64), 1, 0), 5, TrainingRequested.Trigger.MANUAL, Instant.now()));
            String otherKey = DatasetSnapshot.key(poisoned, 3, "1".repeat(64));
            store.put(otherKey, snapshotBytes, "application/json");
            TestEvents.send(bootstrap, Topics.TRAINING_REQUESTS, TrainingSnapshotRequested.class, new TrainingSnapshotRequested(
                    "training:" + poisoned + ":3", poisoned, new TrainingSnapshotRequested.Snapshot(otherKey, "1".repeat(64), 1, 0), 5,
                    TrainingRequested.Trigger.MANUAL, Instant.now()));

            List<DeadLetter> letters = await(bootstrap, Topics.TRAINING_REQUESTS_DLQ, DeadLetter.class,
                    k -> k.equals(poisoned) || k.equals(wrongKey), 5, Duration.ofSeconds(120));
            assertThat(letters).extracting(DeadLetter::failedBy).containsOnly("trainer-service");
            // one partition per key: the letters come in the order of their records per key only
            assertThat(letters).hasSize(5)
                    .anySatisfy(l -> assertThat(new String(l.payloadBytes(), StandardCharsets.UTF_8)).isEqualTo("not json"))
                    .anySatisfy(l -> assertThat(l.reason() + l.errors()).contains("/shards/0").contains("does not match"))
                    .anySatisfy(l -> assertThat(l.reason()).contains("the record key " + wrongKey + " is not the request's tenant"))
                    .anySatisfy(l -> assertThat(l.reason()).contains("dataset snapshot cannot be read").contains("000002-").contains("missing"))
                    .anySatisfy(l -> assertThat(l.reason()).contains("dataset snapshot cannot be read").contains("is not the request's " + "1".repeat(64)));

            List<AdapterEvent> failed = await(bootstrap, Topics.ADAPTER_EVENTS, AdapterEvent.class, missing::equals, 1, Duration.ofSeconds(120));
            assertThat(failed.get(0)).isInstanceOfSatisfying(TrainingFailed.class, f -> {
                assertThat(f.kind()).isEqualTo(TrainingFailed.Kind.REFUSED);
                assertThat(f.reason()).contains("000002.jsonl").contains("missing");
                assertThat(f.retryShards()).as("the shard that is there goes into the next request").containsExactly(present);
            });
            // a request whose snapshot cannot be read is answered too: the tenant's next request waits for an answer
            List<AdapterEvent> answers = await(bootstrap, Topics.ADAPTER_EVENTS, AdapterEvent.class, poisoned::equals, 2, Duration.ofSeconds(120));
            assertThat(answers).allSatisfy(a -> assertThat(a).isInstanceOfSatisfying(TrainingFailed.class, f -> {
                assertThat(f.kind()).isEqualTo(TrainingFailed.Kind.REFUSED);
                assertThat(f.reason()).contains("dataset snapshot cannot be read");
                assertThat(f.retryShards()).isEmpty();
            })).extracting(a -> ((TrainingFailed) a).requestId()).containsExactlyInAnyOrder("training:" + poisoned + ":2", "training:" + poisoned + ":3");
            List<AdapterEvent> published = await(bootstrap, Topics.ADAPTER_EVENTS, AdapterEvent.class, good::equals, 1, Duration.ofSeconds(300));
            assertThat(published.get(0)).isInstanceOfSatisfying(AdapterPublished.class, p -> assertThat(p.version()).isEqualTo(1));
            assertThat(trainer.ready()).as("the worker stays ready: nothing it was sent is an outage").isTrue();
        }
    }

    /** A training request as JSON, with one shard key of the caller's choosing. */
    private static String request(String tenant, String shard) {
        return "{\"requestId\":\"training:" + tenant + ":1\",\"tenant\":\"" + tenant + "\",\"shards\":[\"" + shard + "\"],"
                + "\"holdoutShards\":[],\"newExamples\":5,\"trigger\":\"MANUAL\",\"requestedAt\":\"2026-12-04T10:00:00Z\"}";
    }

    /** The first {@code count} events on the topic whose key passes, in order. */
    static <T extends LoraEvent> List<T> await(String bootstrap, String topic, Class<T> type, Predicate<String> key, int count,
                                               Duration within) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        var deserializer = EventSerde.of(type, "/test").deserializer();
        List<T> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + within.toNanos();
            while (found.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                    if (key.test(r.key())) {
                        found.add(deserializer.deserialize(r.topic(), r.headers(), r.value()));
                    }
                });
            }
        }
        assertThat(found).as(count + " on " + topic).hasSizeGreaterThanOrEqualTo(count);
        return found;
    }
}
