package io.lorastream.trainer;

import io.lorastream.store.ObjectStore;
import io.lorastream.store.AdapterRepository;
import io.lorastream.store.VersionManifest;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.engine.Example;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventSerde;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingRequested;
import io.lorastream.testing.TestEvents;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.S3Endpoint;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.WithKafkaAndS3;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged trainer-service as a real process, killed with SIGKILL in the middle of a job: after a
 * restart the redelivered request completes and exactly one version exists.
 */
@WithKafkaAndS3
class TrainerCrashIT {
    @TempDir
    Path work;

    @Test
    void aJobKilledMidwayCompletesAfterARestartAsExactlyOneVersion(Infrastructure infra) throws Exception {
        S3Endpoint s3 = infra.s3();
        String tenant = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        List<Example> yelp = Example.readTsv(Path.of(TrainerCrashIT.class.getResource("/uci/yelp.tsv").toURI()));
        String shard = "datasets/" + tenant + "/shards/000001.jsonl";
        String holdout = "datasets/" + tenant + "/holdout/000001.jsonl";
        try (ObjectStore store = new ObjectStore(s3.newClient(), s3.bucket())) {
            TrainingJobIT.shard(store, tenant, shard, yelp.subList(0, 400));
            TrainingJobIT.shard(store, tenant, holdout, yelp.subList(800, 1000));

            Map<String, String> config = config(infra);
            // a restarted worker gets the dead one's partitions after 6 s
            config.put("mp.messaging.incoming.training-requests.session.timeout.ms", "6000");
            Path log = work.resolve("trainer.log");
            try (ServiceProcess trainer = new ServiceProcess("trainer-service", Path.of(System.getProperty("lorastream.trainer.jar")),
                    freePort(), config, Map.of(), log)) {
                trainer.start(Duration.ofSeconds(120));
                TrainingRequested request = new TrainingRequested("training:" + tenant + ":1", tenant, List.of(shard), List.of(holdout),
                        400, TrainingRequested.Trigger.MIN_EXAMPLES, Instant.now());
                send(infra.kafkaBootstrapServers(), request);

                awaitLog(log, "training " + request.requestId(), Duration.ofSeconds(60));
                Thread.sleep(2_000); // well inside the job: 400 examples × 3 epochs
                trainer.kill();
                assertThat(new AdapterRepository(store).versions(tenant)).as("killed before publishing").isEmpty();

                trainer.start(Duration.ofSeconds(120));
                List<AdapterPublished> events = awaitEvents(infra.kafkaBootstrapServers(), tenant, Duration.ofSeconds(180));
                assertThat(events).isNotEmpty().allSatisfy(e -> assertThat(e.version()).isEqualTo(1));
                List<VersionManifest> versions = new AdapterRepository(store).versions(tenant);
                assertThat(versions).hasSize(1);
                assertThat(versions.get(0).trainingRequestId()).isEqualTo(request.requestId());
                assertThat(Files.readString(log).split("training " + request.requestId(), -1))
                        .as("the job ran twice: killed, then redelivered").hasSize(3);
            }
        }
    }

    static void send(String bootstrap, TrainingRequested request) throws Exception {
        TestEvents.send(bootstrap, Topics.TRAINING_REQUESTS, TrainingRequested.class, request);
    }

    static void awaitLog(Path log, String text, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!(Files.exists(log) && Files.readString(log).contains(text))) {
            assertThat(System.nanoTime()).as("'" + text + "' in " + log).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    static List<AdapterPublished> awaitEvents(String bootstrap, String tenant, Duration within) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        var deserializer = EventSerde.of(io.lorastream.events.AdapterEvent.class, "/test").deserializer(); // rollout events ride along
        List<AdapterPublished> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.ADAPTER_EVENTS));
            long deadline = System.nanoTime() + within.toNanos();
            while (events.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                    if (tenant.equals(r.key()) && deserializer.deserialize(r.topic(), r.headers(), r.value()) instanceof AdapterPublished p) {
                        events.add(p);
                    }
                });
            }
            consumer.poll(Duration.ofSeconds(2)).forEach(r -> {
                if (tenant.equals(r.key()) && deserializer.deserialize(r.topic(), r.headers(), r.value()) instanceof AdapterPublished p) {
                    events.add(p);
                }
            });
        }
        return events;
    }

    /** The packaged trainer's settings against the test's broker and S3 server. */
    static Map<String, String> config(Infrastructure infra) {
        S3Endpoint s3 = infra.s3();
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", infra.kafkaBootstrapServers());
        config.put("lorastream.s3.endpoint", s3.url());
        config.put("lorastream.s3.access-key", s3.accessKey());
        config.put("lorastream.s3.secret-key", s3.secretKey());
        config.put("lorastream.s3.bucket", s3.bucket());
        config.put("lorastream.trainer.device", "cpu");
        return config;
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
