package io.lorastream.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.lorastream.engine.BaseModel;
import io.lorastream.events.AdapterCommand;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.KafkaAccess.Service;
import io.lorastream.events.ScoreCompleted;
import io.lorastream.events.ScoreRequested;
import io.lorastream.events.Topics;
import io.lorastream.store.ObjectStore;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.S3Endpoint;
import io.lorastream.testing.SecureKafka;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.TestEvents;
import io.lorastream.testing.TestTokens;
import io.lorastream.testing.WithKafkaAndS3;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged serving-service logged in to a broker that authenticates and authorizes, as its own SCRAM user with only
 * {@code KafkaAccess}'s rules: it reads the registry (ready, answering with the registered version), consumes score
 * requests in its group and writes their results, and writes an admin command. What it does is enough under its rules.
 */
@WithKafkaAndS3
class ServingLeastPrivilegeIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path work;

    @Test
    void servingReadsTheRegistryScoresOverKafkaAndSendsCommandsOnItsOwnPrincipal(Infrastructure infra) throws Exception {
        S3Endpoint s3 = infra.s3();
        String tenant = "secure-" + UUID.randomUUID().toString().substring(0, 6);
        try (SecureKafka kafka = SecureKafka.start();
             BaseModel base = BaseModel.embedded(Device.cpu());
             ObjectStore store = new ObjectStore(s3.newClient(), s3.bucket());
             TestTokens tokens = TestTokens.create()) {
            TestVersions.register(kafka.operatorConfig(), tenant, 1, TestVersions.publish(store, base, tenant, 1, 1, HotReloadTest.LABELS), null);

            Map<String, String> config = new LinkedHashMap<>(kafka.serviceSettings(Service.SERVING));
            config.putAll(s3.serviceSettings());
            config.put("lorastream.serving.device", "cpu");
            config.put("mp.jwt.verify.publickey.location", tokens.publicKeyFile().toString());
            try (ServiceProcess serving = new ServiceProcess("serving-service", Path.of(System.getProperty("lorastream.serving.jar")),
                    freePort(), config, Map.of(), work.resolve("serving.log"))) {
                serving.start(Duration.ofSeconds(120));
                HttpResponse<String> scored = HTTP.send(HttpRequest.newBuilder(URI.create(serving.url("/v1/tenants/" + tenant + "/score")))
                        .header("Authorization", "Bearer " + tokens.tenant(tenant)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"texts\": [\"fine\"]}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
                assertThat(EventJson.MAPPER.readTree(scored.body()).path("predictions").path(0).path("version").asInt())
                        .as("the registry, read as lorastream-serving").isEqualTo(1);

                String requestId = UUID.randomUUID().toString();
                TestEvents.send(kafka.operatorConfig(), Topics.SCORE_REQUESTS, ScoreRequested.class,
                        new ScoreRequested(requestId, tenant, List.of("loved it"), Instant.now()));
                var results = EventSerde.of(ScoreCompleted.class, "/test").deserializer();
                assertThat(awaitRecord(kafka, Topics.SCORE_RESULTS, r -> requestId.equals(
                        results.deserialize(r.topic(), r.headers(), r.value()).requestId())))
                        .as("a result for the Kafka score request (log: " + work + ")").isNotNull();

                HttpResponse<String> pinned = HTTP.send(HttpRequest.newBuilder(URI.create(serving.url("/v1/tenants/" + tenant + "/adapters/1/pin")))
                        .header("Authorization", "Bearer " + tokens.admin()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                // no stream-processor here to answer it: 202, sent and pending
                assertThat(pinned.statusCode()).as(pinned.body()).isEqualTo(202);
                var commands = EventSerde.of(AdapterCommand.class, "/test").deserializer();
                ConsumerRecord<String, byte[]> command = awaitRecord(kafka, Topics.ADAPTER_COMMANDS, r -> tenant.equals(r.key()));
                assertThat(command).as("the pin on adapter-commands").isNotNull();
                assertThat(commands.deserialize(command.topic(), command.headers(), command.value()).action()).isEqualTo(AdapterCommand.Action.PIN);
            }
        }
    }

    /** The first record of the topic that matches, read from the start as the operator; null if none within 60 s. */
    private static ConsumerRecord<String, byte[]> awaitRecord(SecureKafka kafka, String topic, Predicate<ConsumerRecord<String, byte[]>> wanted) {
        Map<String, Object> props = new HashMap<>(kafka.operatorConfig());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < Topics.PARTITIONS; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (wanted.test(record)) {
                        return record;
                    }
                }
            }
        }
        return null;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
