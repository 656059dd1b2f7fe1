package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.engine.Example;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.KafkaAccess.Service;
import io.lorastream.events.Topics;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.S3Endpoint;
import io.lorastream.testing.SecureKafka;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.TestTokens;
import io.lorastream.testing.WithKafkaAndS3;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write path on a broker that authenticates and authorizes: ingest, the stream-processor and the trainer, each as a
 * process logged in as its own SCRAM user with only the ACLs of {@code KafkaAccess}, take one tenant's feedback to a
 * published version and a registry entry. So the rules are enough for what the services really do (Kafka Streams'
 * exactly-once transactions and internal topics, SmallRye's channels, the trainer's registry view), not only refusals.
 */
@WithKafkaAndS3
class LeastPrivilegeIT {
    static final String TENANT = "amazon";

    @TempDir
    Path work;

    @Test
    void feedbackBecomesAPublishedVersionWithEachServiceOnItsOwnPrincipal(Infrastructure infra) throws Exception {
        S3Endpoint s3 = infra.s3();
        Map<String, String> s3Config = s3.serviceSettings();
        try (SecureKafka kafka = SecureKafka.start(); TestTokens tokens = TestTokens.create()) {
            Map<String, String> streamsConfig = new LinkedHashMap<>(s3Config);
            streamsConfig.putAll(kafka.serviceSettings(Service.STREAM_PROCESSOR));
            streamsConfig.put("kafka-streams.state.dir", work.resolve("streams").toString());
            streamsConfig.put("lorastream.training-policy.defaults.min-examples", "200");
            Map<String, String> ingestConfig = new LinkedHashMap<>(kafka.serviceSettings(Service.INGEST));
            ingestConfig.put("mp.jwt.verify.publickey.location", tokens.publicKeyFile().toString());
            Map<String, String> trainerConfig = new LinkedHashMap<>(s3Config);
            trainerConfig.putAll(kafka.serviceSettings(Service.TRAINER));
            trainerConfig.put("lorastream.trainer.device", "cpu");
            try (ServiceProcess streams = new ServiceProcess("stream-processor", Path.of(System.getProperty("lorastream.stream-processor.jar")),
                         freePort(), streamsConfig, Map.of(), work.resolve("stream-processor.log"));
                 ServiceProcess ingest = new ServiceProcess("ingest-service", Path.of(System.getProperty("lorastream.ingest.jar")),
                         freePort(), ingestConfig, Map.of(), work.resolve("ingest.log"));
                 ServiceProcess trainer = new ServiceProcess("trainer-service", Path.of(System.getProperty("lorastream.trainer.jar")),
                         freePort(), trainerConfig, Map.of(), work.resolve("trainer.log"))) {
                streams.start(Duration.ofSeconds(120));
                ingest.start(Duration.ofSeconds(120));
                trainer.start(Duration.ofSeconds(120));

                List<Example> examples = Example.readTsv(Path.of(LeastPrivilegeIT.class.getResource("/uci/amazon.tsv").toURI())).subList(0, 300);
                StringBuilder ndjson = new StringBuilder();
                for (Example e : examples) {
                    ndjson.append(EventJson.MAPPER.writeValueAsString(Map.of("text", e.text(), "label", e.label().equals("1") ? "positive" : "negative")))
                            .append('\n');
                }
                HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ingest.url("/v1/tenants/" + TENANT + "/feedback")))
                        .header("Authorization", "Bearer " + tokens.tenant(TENANT)).header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofString(ndjson.toString())).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(202);

                AdapterPublished v1 = awaitPublished(kafka, Duration.ofSeconds(300));
                assertThat(v1).as("v1 of " + TENANT + " on adapter-events (logs in " + work + ")").isNotNull();
                assertThat(v1.version()).isEqualTo(1);
                List<ConsumerRecord<String, byte[]>> registry = readAll(kafka, Topics.ADAPTER_REGISTRY, Duration.ofSeconds(60), 1);
                assertThat(registry).as("the stream-processor's registry entry for " + TENANT)
                        .anySatisfy(r -> assertThat(r.key()).isEqualTo(TENANT));
            }
        }
    }

    /** The tenant's first adapter-published event, read as the operator; null if none within the time. */
    private static AdapterPublished awaitPublished(SecureKafka kafka, Duration within) {
        var events = EventSerde.of(AdapterEvent.class, "/test").deserializer();
        long deadline = System.nanoTime() + within.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = operatorConsumer(kafka, Topics.ADAPTER_EVENTS)) {
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (TENANT.equals(r.key()) && events.deserialize(r.topic(), r.headers(), r.value()) instanceof AdapterPublished published) {
                        return published;
                    }
                }
            }
        }
        return null;
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(SecureKafka kafka, String topic, Duration within, int atLeast) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = operatorConsumer(kafka, topic)) {
            while (records.size() < atLeast && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }

    /** Every partition of the topic from the start, committed records only, as the operator (no group). */
    private static KafkaConsumer<String, byte[]> operatorConsumer(SecureKafka kafka, String topic) {
        Map<String, Object> props = new HashMap<>(kafka.operatorConfig());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < Topics.PARTITIONS; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
