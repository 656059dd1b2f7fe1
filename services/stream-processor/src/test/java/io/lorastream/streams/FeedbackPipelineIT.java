package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventJson;
import io.lorastream.events.Sha256;
import io.lorastream.events.EventSerde;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingRequested;
import io.lorastream.events.TrainingSnapshotRequested;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.S3Endpoint;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.TestTokens;
import io.lorastream.testing.WithKafkaAndS3;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.errors.ErrorResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 feedback records for 5 tenants against a real broker and S3 server, through the real
 * ingest-service (HTTP) and straight onto Kafka, with duplicates and malformed records mixed in;
 * the stream-processor is killed with SIGKILL mid-stream and started again. Every record is
 * accounted for: in a train shard, a holdout shard, dropped as a duplicate, or in the DLQ —
 * none lost, none twice — and the training requests follow the policy.
 */
@WithKafkaAndS3
class FeedbackPipelineIT {
    static final List<String> TENANTS = List.of("acme", "globex", "initech", "umbrella", "hooli");
    static final int UNIQUE_PER_TENANT = 1_600;  // 8,000 valid, distinct events
    static final int DUPLICATES = 1_500;        // second copies of some of them
    static final int MALFORMED = 500;           // 5 kinds × 100
    static final int MIN_EXAMPLES = 300;
    static final int MIN_EXAMPLES_AFTER_WAIT = 20;
    static final Duration MIN_INTERVAL = Duration.ofSeconds(3);
    static final Duration MAX_WAIT = Duration.ofSeconds(8);
    static final HoldoutSplit SPLIT = new HoldoutSplit(0.2);

    @TempDir
    static Path work;

    static TestTokens tokens;
    static ServiceProcess ingest;
    static ServiceProcess streams;
    static MinioClient s3;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** What was sent: each valid id once, and the malformed payloads. */
    static final Set<String> validIds = new HashSet<>();
    static final List<byte[]> malformedPayloads = new ArrayList<>();
    static int recordsSent;

    @BeforeAll
    static void startServices(Infrastructure infra) throws IOException {
        tokens = TestTokens.create();
        S3Endpoint endpoint = infra.s3();
        s3 = endpoint.newClient();
        Map<String, String> streamsConfig = new LinkedHashMap<>();
        streamsConfig.put("quarkus.kafka-streams.bootstrap-servers", infra.kafkaBootstrapServers());
        streamsConfig.put("kafka-streams.state.dir", work.resolve("stream-processor-state").toString());
        // a restarted instance gets the dead one's partitions after 6 s, not the default 45 s
        streamsConfig.put("kafka-streams.consumer.session.timeout.ms", "6000");
        streamsConfig.put("lorastream.s3.endpoint", endpoint.url());
        streamsConfig.put("lorastream.s3.access-key", endpoint.accessKey());
        streamsConfig.put("lorastream.s3.secret-key", endpoint.secretKey());
        streamsConfig.put("lorastream.s3.bucket", endpoint.bucket());
        streamsConfig.put("lorastream.feedback.shard-max-examples", "200");
        streamsConfig.put("lorastream.feedback.shard-max-age", "PT2S");
        streamsConfig.put("lorastream.feedback.check-interval", "PT0.5S");
        streamsConfig.put("lorastream.training-policy.defaults.min-examples", String.valueOf(MIN_EXAMPLES));
        streamsConfig.put("lorastream.training-policy.defaults.max-wait", MAX_WAIT.toString());
        streamsConfig.put("lorastream.training-policy.defaults.min-examples-after-wait", String.valueOf(MIN_EXAMPLES_AFTER_WAIT));
        streamsConfig.put("lorastream.training-policy.defaults.min-interval", MIN_INTERVAL.toString());
        streamsConfig.put("lorastream.training-policy.defaults.answer-timeout", "PT0S"); // no trainer here answers
        streams = new ServiceProcess("stream-processor", Path.of(System.getProperty("lorastream.stream-processor.jar")),
                freePort(), streamsConfig, Map.of(), work.resolve("stream-processor.log"));
        ingest = new ServiceProcess("ingest-service", Path.of(System.getProperty("lorastream.ingest.jar")), freePort(),
                Map.of("kafka.bootstrap.servers", infra.kafkaBootstrapServers(),
                        "mp.jwt.verify.publickey.location", tokens.publicKeyFile().toString()),
                Map.of(), work.resolve("ingest.log"));
        streams.start(Duration.ofSeconds(90));
        ingest.start(Duration.ofSeconds(90));
    }

    @AfterAll
    static void stopServices() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {ingest, streams, s3, tokens}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    /** One thing to send: an NDJSON batch over HTTP, or one record straight onto the topic. */
    sealed interface Send permits HttpBatch, KafkaRecord {}

    record HttpBatch(String tenant, List<FeedbackReceived> items) implements Send {}

    record KafkaRecord(String key, byte[] value, RecordHeaders headers) implements Send {}

    @Test
    void everyRecordIsAccountedForAcrossAKillDashNineOfTheStreamProcessor() throws Exception {
        List<Send> sends = plan(new Random(42));
        assertThat(recordsSent).isEqualTo(10_000);

        try (KafkaProducer<String, byte[]> producer = producer()) {
            int first = sends.size() * 2 / 5;
            int second = sends.size() * 7 / 10;
            send(sends.subList(0, first), producer);
            Thread.sleep(1_500); // shards sealed and transactions open: mid-stream
            streams.kill();
            assertThat(streams.alive()).isFalse();
            send(sends.subList(first, second), producer); // accepted by ingest and Kafka while the processor is dead
            streams.start(Duration.ofSeconds(120));
            assertThat(Files.readString(work.resolve("stream-processor.log")).split(" started in ", -1))
                    .as("two starts of the stream-processor in its log").hasSize(3);
            send(sends.subList(second, sends.size()), producer);
        }

        Map<String, Set<String>> trainIds = new HashMap<>();
        Map<String, Set<String>> holdoutIds = new HashMap<>();
        Map<String, JsonNode> manifests = awaitAllShards(trainIds, holdoutIds, Duration.ofSeconds(180));
        Set<String> seen = new HashSet<>();
        for (String tenant : TENANTS) {
            for (String id : trainIds.get(tenant)) {
                assertThat(SPLIT.isHoldout(id)).as("train id " + id).isFalse();
                assertThat(seen.add(tenant + "/" + id)).as("once: " + id).isTrue();
            }
            for (String id : holdoutIds.get(tenant)) {
                assertThat(SPLIT.isHoldout(id)).as("holdout id " + id).isTrue();
                assertThat(seen.add(tenant + "/" + id)).as("once: " + id).isTrue();
            }
        }
        assertThat(seen).as("every valid event in exactly one shard").isEqualTo(validIds);

        List<ConsumerRecord<String, byte[]>> deadLetters = readCommitted(Topics.FEEDBACK_DLQ, MALFORMED, Duration.ofSeconds(60));
        assertThat(deadLetters).as("each malformed record in the DLQ exactly once").hasSize(MALFORMED);
        List<String> expectedPayloads = new ArrayList<>(malformedPayloads.stream().map(Arrays::toString).toList());
        List<String> actualPayloads = new ArrayList<>();
        var dlqSerde = EventSerde.of(DeadLetter.class, "/test").deserializer();
        for (ConsumerRecord<String, byte[]> record : deadLetters) {
            DeadLetter letter = dlqSerde.deserialize(record.topic(), record.headers(), record.value());
            assertThat(record.headers().lastHeader(DeadLetter.REASON_HEADER)).isNotNull();
            assertThat(letter.reason()).isNotBlank();
            actualPayloads.add(Arrays.toString(letter.payloadBytes()));
        }
        Collections.sort(expectedPayloads);
        Collections.sort(actualPayloads);
        assertThat(actualPayloads).as("the DLQ keeps each payload byte for byte").isEqualTo(expectedPayloads);

        // once the maximum wait has passed (and the backlog after the restart has drained), every training
        // shard has been named by exactly one request
        Thread.sleep(MAX_WAIT.plusSeconds(3).toMillis());
        List<TrainingRequested> requests = requests();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!everyTrainShardRequested(requests, manifests) && System.nanoTime() < deadline) {
            Thread.sleep(2_000);
            requests = requests();
        }
        for (String tenant : TENANTS) {
            List<TrainingRequested> mine = requests.stream().filter(r -> r.tenant().equals(tenant)).toList();
            System.out.printf("%s: %d train + %d holdout examples, %d training requests %s%n", tenant, trainIds.get(tenant).size(),
                    holdoutIds.get(tenant).size(), mine.size(), mine.stream().map(r -> r.newExamples() + " " + r.trigger()).toList());
            checkRequests(tenant, mine, manifests.get(tenant));
        }
    }

    /** The committed requests, each with the shard lists of the snapshot it names (read from S3, sha256 checked). */
    private static List<TrainingRequested> requests() throws Exception {
        List<TrainingRequested> resolved = new ArrayList<>();
        for (var r : readCommitted(Topics.TRAINING_REQUESTS, 0, Duration.ofSeconds(5))) {
            TrainingSnapshotRequested request = EventSerde.of(TrainingSnapshotRequested.class, "/test").deserializer()
                    .deserialize(r.topic(), r.headers(), r.value());
            assertThat(r.value().length).as("a request record is small whatever the history").isLessThan(10_000);
            resolved.add(request.resolve(io.lorastream.events.DatasetSnapshot.decode(request.tenant(), request.snapshot().key(),
                    read(request.snapshot().key()), request.snapshot().sha256())));
        }
        return resolved;
    }

    /** True once what no request names is, per tenant, fewer examples than a request after a wait needs. */
    private static boolean everyTrainShardRequested(List<TrainingRequested> requests, Map<String, JsonNode> manifests) {
        Set<String> named = new HashSet<>();
        requests.forEach(r -> named.addAll(r.shards()));
        for (JsonNode manifest : manifests.values()) {
            int waiting = 0;
            for (JsonNode shard : manifest.get("shards")) {
                if (shard.get("kind").asText().equals("TRAIN") && !named.contains(shard.get("key").asText())) {
                    waiting += shard.get("examples").asInt();
                }
            }
            if (waiting >= MIN_EXAMPLES_AFTER_WAIT) {
                return false;
            }
        }
        return true;
    }

    private static void checkRequests(String tenant, List<TrainingRequested> requests, JsonNode manifest) {
        Map<String, Integer> trainShards = new LinkedHashMap<>();
        for (JsonNode shard : manifest.get("shards")) {
            if (shard.get("kind").asText().equals("TRAIN")) {
                trainShards.put(shard.get("key").asText(), shard.get("examples").asInt());
            }
        }
        List<String> named = new ArrayList<>();
        Instant previous = null;
        for (int i = 0; i < requests.size(); i++) {
            TrainingRequested request = requests.get(i);
            assertThat(request.requestId()).isEqualTo("training:" + tenant + ":" + (i + 1));
            int examples = request.shards().stream().mapToInt(trainShards::get).sum();
            assertThat(request.newExamples()).as(request.requestId() + " counts its shards").isEqualTo(examples);
            assertThat(request.newExamples()).isGreaterThanOrEqualTo(
                    request.trigger() == TrainingRequested.Trigger.MIN_EXAMPLES ? MIN_EXAMPLES : MIN_EXAMPLES_AFTER_WAIT);
            if (previous != null) {
                assertThat(Duration.between(previous, request.requestedAt())).as("min interval").isGreaterThanOrEqualTo(MIN_INTERVAL);
            }
            previous = request.requestedAt();
            named.addAll(request.shards());
        }
        // every train shard requested once, in order — except a tail of fewer examples than the policy
        // requests after a wait (min-examples-after-wait), which waits for more feedback by design
        List<String> all = new ArrayList<>(trainShards.keySet());
        assertThat(named).as(tenant + ": train shards requested once, in order").isEqualTo(all.subList(0, named.size()));
        int waiting = all.subList(named.size(), all.size()).stream().mapToInt(trainShards::get).sum();
        assertThat(waiting).as(tenant + ": train examples not requested yet").isLessThan(MIN_EXAMPLES_AFTER_WAIT);
        // the first request comes at 300 examples at the latest, so 1,280 need a second one; how many more
        // depends on how fast the backlog drains after the restart (min-interval merges what arrives meanwhile)
        assertThat(requests).as(tenant + ": 1,280 train examples at min-examples 300").hasSizeGreaterThanOrEqualTo(2);
    }

    /** Shuffled sends: 8,000 valid (half HTTP, half Kafka), 1,500 second copies, 500 malformed. */
    private static List<Send> plan(Random random) {
        List<Send> sends = new ArrayList<>();
        List<FeedbackReceived> sentOverKafka = new ArrayList<>();
        List<FeedbackReceived> sentOverHttp = new ArrayList<>();
        for (String tenant : TENANTS) {
            List<FeedbackReceived> http = new ArrayList<>();
            for (int i = 0; i < UNIQUE_PER_TENANT; i++) {
                FeedbackReceived event = new FeedbackReceived(tenant + "-" + i + "-" + UUID.randomUUID(), tenant,
                        "example " + i + " of " + tenant, random.nextBoolean() ? "pos" : "neg", null, null, Instant.now());
                validIds.add(tenant + "/" + event.id());
                if (i % 2 == 0) {
                    sends.add(kafka(event.tenant(), event));
                    sentOverKafka.add(event);
                } else {
                    http.add(event);
                    sentOverHttp.add(event);
                }
            }
            for (int from = 0; from < http.size(); from += 200) {
                sends.add(new HttpBatch(tenant, http.subList(from, Math.min(from + 200, http.size()))));
            }
        }
        recordsSent = 8_000;
        Collections.shuffle(sends, random);
        // second copies come after their originals: half over Kafka, half over HTTP in batches of their own
        List<Send> copies = new ArrayList<>();
        Collections.shuffle(sentOverKafka, random);
        Collections.shuffle(sentOverHttp, random);
        for (FeedbackReceived event : sentOverKafka.subList(0, DUPLICATES / 2)) {
            copies.add(kafka(event.tenant(), event));
        }
        List<FeedbackReceived> httpCopies = new ArrayList<>(sentOverHttp.subList(0, DUPLICATES / 2));
        for (String tenant : TENANTS) {
            List<FeedbackReceived> mine = httpCopies.stream().filter(e -> e.tenant().equals(tenant)).toList();
            for (int from = 0; from < mine.size(); from += 100) {
                copies.add(new HttpBatch(tenant, mine.subList(from, Math.min(from + 100, mine.size()))));
            }
        }
        recordsSent += DUPLICATES;
        copies.addAll(malformed(random));
        recordsSent += MALFORMED;
        Collections.shuffle(copies, random);
        // interleave: the copies and bad records spread over the second half of the stream
        List<Send> all = new ArrayList<>(sends.subList(0, sends.size() / 2));
        List<Send> rest = new ArrayList<>(sends.subList(sends.size() / 2, sends.size()));
        rest.addAll(copies);
        Collections.shuffle(rest, random);
        all.addAll(rest);
        return all;
    }

    private static List<Send> malformed(Random random) {
        List<Send> bad = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String tenant = TENANTS.get(i % TENANTS.size());
            byte[] garbage = ("garbage " + i + " {").getBytes(StandardCharsets.UTF_8);
            byte[] noLabel = ("{\"id\":\"nolabel-" + i + "\",\"tenant\":\"" + tenant + "\",\"text\":\"t\",\"timestamp\":\"2026-11-22T10:00:00Z\"}")
                    .getBytes(StandardCharsets.UTF_8);
            byte[] binary = new byte[16];
            random.nextBytes(binary);
            binary[0] = (byte) 0xff;
            FeedbackReceived misKeyed = new FeedbackReceived("miskeyed-" + i, tenant, "t", "pos", null, null, Instant.now());
            RecordHeaders wrongType = new RecordHeaders();
            wrongType.add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8));
            wrongType.add("ce_id", ("wrong-type-" + i).getBytes(StandardCharsets.UTF_8));
            wrongType.add("ce_source", "/test".getBytes(StandardCharsets.UTF_8));
            wrongType.add("ce_type", "io.lorastream.adapter.published.v1".getBytes(StandardCharsets.UTF_8));
            byte[] wrongTypeValue = EventJson.encode(new FeedbackReceived("wrongtype-" + i, tenant, "t", "pos", null, null, Instant.now()));
            KafkaRecord wrongKey = kafka(TENANTS.get((i + 1) % TENANTS.size()), misKeyed);
            for (KafkaRecord record : List.of(new KafkaRecord(tenant, garbage, new RecordHeaders()),
                    new KafkaRecord(tenant, noLabel, new RecordHeaders()), new KafkaRecord(tenant, binary, new RecordHeaders()),
                    wrongKey, new KafkaRecord(tenant, wrongTypeValue, wrongType))) {
                bad.add(record);
                malformedPayloads.add(record.value());
            }
        }
        return bad;
    }

    private static KafkaRecord kafka(String key, FeedbackReceived event) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = EventSerde.of(FeedbackReceived.class, "/test/producer").serializer().serialize(Topics.FEEDBACK, headers, event);
        return new KafkaRecord(key, value, headers);
    }

    private static void send(List<Send> sends, KafkaProducer<String, byte[]> producer) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (Send send : sends) {
            if (send instanceof KafkaRecord record) {
                acks.add(producer.send(new ProducerRecord<>(Topics.FEEDBACK, null, record.key(), record.value(), record.headers())));
            } else if (send instanceof HttpBatch batch) {
                StringBuilder ndjson = new StringBuilder();
                for (FeedbackReceived e : batch.items()) {
                    ndjson.append("{\"id\":\"").append(e.id()).append("\",\"text\":\"").append(e.text())
                            .append("\",\"label\":\"").append(e.label()).append("\"}\n");
                }
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(ingest.url("/v1/tenants/" + batch.tenant() + "/feedback")))
                        .header("Authorization", "Bearer " + tokens.tenant(batch.tenant()))
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofString(ndjson.toString())).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            }
        }
        for (Future<RecordMetadata> ack : acks) {
            ack.get();
        }
    }

    /** Waits until the manifests list every valid id, then returns them; fills the ids found per tenant. */
    private static Map<String, JsonNode> awaitAllShards(Map<String, Set<String>> train, Map<String, Set<String>> holdout, Duration within)
            throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Map<String, JsonNode> manifests = new HashMap<>();
            int found = 0;
            train.clear();
            holdout.clear();
            for (String tenant : TENANTS) {
                JsonNode manifest = readJson(DatasetManifest.key(tenant));
                manifests.put(tenant, manifest);
                Set<String> trainIds = new HashSet<>();
                Set<String> holdoutIds = new HashSet<>();
                if (manifest != null) {
                    for (JsonNode shard : manifest.get("shards")) {
                        byte[] content = read(shard.get("key").asText());
                        assertThat(Sha256.hex(content)).as("sha256 of " + shard.get("key")).isEqualTo(shard.get("sha256").asText());
                        List<String> ids = new String(content, StandardCharsets.UTF_8).lines()
                                .map(line -> EventJson.decode(io.lorastream.events.EventType.FEEDBACK_RECEIVED,
                                        line.getBytes(StandardCharsets.UTF_8), FeedbackReceived.class).id()).toList();
                        assertThat(ids).as(shard.get("key") + " holds what the manifest says").hasSize(shard.get("examples").asInt());
                        (shard.get("kind").asText().equals("TRAIN") ? trainIds : holdoutIds).addAll(ids);
                        found += ids.size();
                    }
                }
                train.put(tenant, trainIds);
                holdout.put(tenant, holdoutIds);
            }
            if (found >= validIds.size() || System.nanoTime() > deadline) {
                assertThat(found).as("examples in shards listed by the manifests (log: " + work + ")").isEqualTo(validIds.size());
                return manifests;
            }
            Thread.sleep(1_000);
        }
    }

    private static JsonNode readJson(String key) throws Exception {
        byte[] bytes = read(key);
        return bytes == null ? null : EventJson.MAPPER.readTree(bytes);
    }

    private static byte[] read(String key) throws Exception {
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(Infrastructure.BUCKET).object(key).build())) {
            return in.readAllBytes();
        } catch (ErrorResponseException e) {
            if (e.errorResponse().code().equals("NoSuchKey")) {
                return null;
            }
            throw e;
        }
    }

    /** Committed records of a topic; stops at {@code expected} (0: whatever arrives within the time). */
    private static List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int expected, Duration within) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline && (expected == 0 || records.size() < expected)) {
                consumer.poll(Duration.ofMillis(250)).forEach(records::add);
            }
            // more than expected would show in the next polls
            consumer.poll(Duration.ofSeconds(2)).forEach(records::add);
        }
        records.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition()) : Long.compare(a.offset(), b.offset()));
        return records;
    }

    static String bootstrap;

    @BeforeAll
    static void bootstrap(Infrastructure infra) {
        bootstrap = infra.kafkaBootstrapServers();
    }

    private static KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new ByteArraySerializer());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
