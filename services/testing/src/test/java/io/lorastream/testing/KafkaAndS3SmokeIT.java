package io.lorastream.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.events.Topics;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

@WithKafkaAndS3
class KafkaAndS3SmokeIT {

    @Test
    void theStandardTopicsExistWithTheirLayout(Infrastructure infra) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrapServers()))) {
            Map<String, TopicDescription> topics = admin.describeTopics(
                    Topics.ALL.stream().map(Topics.Spec::name).toList()).allTopicNames().get();
            for (Topics.Spec spec : Topics.ALL) {
                assertThat(topics.get(spec.name()).partitions()).hasSize(spec.partitions());
            }
            ConfigResource registry = new ConfigResource(ConfigResource.Type.TOPIC, Topics.ADAPTER_REGISTRY);
            assertThat(admin.describeConfigs(List.of(registry)).all().get().get(registry).get("cleanup.policy").value())
                    .isEqualTo("compact");
        }
    }

    @Test
    void thousandRecordsProducedWithAcksAllAndIdempotenceAreAllConsumedBack(Infrastructure infra) throws Exception {
        String topic = "smoke-" + System.nanoTime();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 3, (short) 1))).all().get();
        }
        Set<String> sent = new HashSet<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new StringSerializer())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                String value = "record-" + i;
                sent.add(value);
                acks.add(producer.send(new ProducerRecord<>(topic, "tenant-" + (i % 7), value)));
            }
            for (Future<RecordMetadata> ack : acks) {
                assertThat(ack.get().offset()).isNotNegative();
            }
        }

        List<String> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "smoke-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (received.size() < sent.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    received.add(record.value());
                }
            }
        }
        assertThat(received).hasSize(1000).doesNotHaveDuplicates();
        assertThat(new HashSet<>(received)).isEqualTo(sent);
    }

    @Test
    void objectsPutStatGetListAndDeleteByteExact(S3Endpoint s3) throws Exception {
        byte[] small = "{\"text\":\"crème brûlée\",\"label\":\"1\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] large = new byte[12 * 1024 * 1024 + 17]; // above the SDK's part size: a multipart upload
        new Random(42).nextBytes(large);
        String prefix = "smoke/" + System.nanoTime() + "/";
        Map<String, byte[]> objects = Map.of(prefix + "small.jsonl", small, prefix + "large.bin", large);

        try (MinioClient client = s3.newClient()) {
            for (var object : objects.entrySet()) {
                client.putObject(PutObjectArgs.builder().bucket(s3.bucket()).object(object.getKey())
                        .stream(new ByteArrayInputStream(object.getValue()), (long) object.getValue().length, 5L * 1024 * 1024)
                        .build());
            }
            for (var object : objects.entrySet()) {
                StatObjectResponse stat = client.statObject(StatObjectArgs.builder().bucket(s3.bucket()).object(object.getKey()).build());
                assertThat(stat.size()).isEqualTo((long) object.getValue().length);
                try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(s3.bucket()).object(object.getKey()).build())) {
                    byte[] read = in.readAllBytes();
                    assertThat(sha256(read)).isEqualTo(sha256(object.getValue()));
                    assertThat(read).isEqualTo(object.getValue());
                }
            }
            assertThat(list(client, s3.bucket(), prefix)).containsExactlyInAnyOrderElementsOf(objects.keySet());

            client.removeObject(RemoveObjectArgs.builder().bucket(s3.bucket()).object(prefix + "small.jsonl").build());
            assertThat(list(client, s3.bucket(), prefix)).containsExactly(prefix + "large.bin");
            assertThatThrownBy(() -> client.statObject(StatObjectArgs.builder().bucket(s3.bucket()).object(prefix + "small.jsonl").build()))
                    .isInstanceOf(ErrorResponseException.class);
            client.removeObject(RemoveObjectArgs.builder().bucket(s3.bucket()).object(prefix + "large.bin").build());
            assertThat(list(client, s3.bucket(), prefix)).isEmpty();
        }
    }

    @Test
    void wrongCredentialsAreRefused(S3Endpoint s3) {
        S3Endpoint wrong = new S3Endpoint(s3.url(), s3.region(), s3.accessKey(), "not-the-secret", s3.bucket());
        try (MinioClient client = wrong.newClient()) {
            assertThatThrownBy(() -> client.statObject(StatObjectArgs.builder().bucket(s3.bucket()).object("x").build()))
                    .isInstanceOf(ErrorResponseException.class)
                    .satisfies(e -> assertThat(((ErrorResponseException) e).errorResponse().code()).isNotEqualTo("NoSuchKey"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> list(MinioClient client, String bucket, String prefix) throws Exception {
        List<String> names = new ArrayList<>();
        for (Result<Item> item : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
            names.add(item.get().objectName());
        }
        return names;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
