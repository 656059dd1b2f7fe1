package io.lorastream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.events.KafkaAccess;
import io.lorastream.events.KafkaAccessGrant;
import io.lorastream.events.KafkaConnection;
import io.lorastream.events.Topics;
import io.lorastream.testing.LauncherScript;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code ./lorastream} script: up, status, down, up again with the data still there. */
class LocalStackLauncherIT {
    static final Path ROOT = Path.of(System.getProperty("lorastream.root", "../../..")).toAbsolutePath().normalize();

    @TempDir
    static Path home;

    static LauncherScript launcher;
    static int kafkaPort;
    static int s3Port;
    static int ingestPort;
    static int streamProcessorPort;

    @BeforeAll
    static void ports() throws IOException {
        launcher = new LauncherScript(ROOT, home);
        kafkaPort = launcher.port("KAFKA");
        s3Port = launcher.port("S3");
        ingestPort = launcher.port("INGEST");
        streamProcessorPort = launcher.port("STREAM_PROCESSOR");
    }

    @AfterAll
    static void down() throws Exception {
        run("down");
    }

    @Test
    void upStatusDownAndUpAgainKeepsTopicsBucketAndObjects() throws Exception {
        LauncherScript.Result up = run("up");
        assertThat(up.exitCode()).as(up.output()).isZero();
        assertThat(up.output()).contains("created  partitions=6 cleanup.policy=compact").contains("bucket lorastream");

        LauncherScript.Result status = run("status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).containsPattern("kafka\\s+\\d+\\s+" + kafkaPort + "\\s+healthy")
                .containsPattern("s3\\s+\\d+\\s+" + s3Port + "\\s+healthy")
                .containsPattern("ingest\\s+\\d+\\s+" + ingestPort + "\\s+healthy")
                .containsPattern("stream-processor\\s+\\d+\\s+" + streamProcessorPort + "\\s+healthy");

        theBrokerRefusesWhatKafkaAccessDoesNotAllow();

        // the services are wired: a token from ./lorastream token, feedback over HTTP, a dataset shard in S3
        LauncherScript.Result token = run("token", "acme");
        assertThat(token.exitCode()).as(token.output()).isZero();
        String bearer = token.output().strip().lines().reduce((a, b) -> b).orElseThrow();
        HttpResponse<String> accepted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ingestPort + "/v1/tenants/acme/feedback"))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"good\",\"label\":\"1\"}\n{\"text\":\"bad\",\"label\":\"0\"}\n"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String manifest = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (MinioClient s3 = s3()) {
            while (manifest == null && System.nanoTime() < deadline) {
                try (var in = s3.getObject(GetObjectArgs.builder().bucket("lorastream").object("datasets/acme/manifest.json").build())) {
                    manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (io.minio.errors.ErrorResponseException notYet) {
                    Thread.sleep(500);
                }
            }
        }
        assertThat(manifest).as("datasets/acme/manifest.json written by the stream-processor").isNotNull();
        assertThat(manifest.replaceAll("\\s", "")).contains("\"trainExamples\":").contains("\"holdoutExamples\":");

        Map<String, Object> producerConfig = operator();
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.FEEDBACK, "acme", "kept across restarts")).get();
        }
        byte[] object = "adapter bytes".getBytes(StandardCharsets.UTF_8);
        try (MinioClient s3 = s3()) {
            s3.putObject(PutObjectArgs.builder().bucket("lorastream").object("adapters/acme/v1/manifest.json")
                    .stream(new ByteArrayInputStream(object), (long) object.length, -1L).build());
        }

        LauncherScript.Result down = run("down");
        assertThat(down.exitCode()).as(down.output()).isZero();
        assertThat(down.output()).contains("stopped kafka").contains("stopped s3").contains("stopped ingest").contains("stopped stream-processor");
        assertThat(listening(ingestPort)).as("ingest port free after down").isFalse();
        assertThat(listening(streamProcessorPort)).as("stream-processor port free after down").isFalse();
        assertThat(listening(kafkaPort)).as("Kafka port free after down").isFalse();
        assertThat(listening(s3Port)).as("S3 port free after down").isFalse();
        assertThat(Files.list(home.resolve("run")).toList()).as("no pid files left").isEmpty();
        LauncherScript.Result statusDown = run("status");
        assertThat(statusDown.exitCode()).isNotZero();
        assertThat(statusDown.output()).contains("down");

        LauncherScript.Result again = run("up");
        assertThat(again.exitCode()).as(again.output()).isZero();
        assertThat(again.output()).contains("exists   partitions=6").doesNotContain("created").contains("bucket lorastream        exists");
        try (Admin admin = Admin.create(operator())) {
            assertThat(admin.listTopics().names().get()).containsAll(Topics.ALL.stream().map(Topics.Spec::name).toList());
        }
        assertThat(consumeAll(Topics.FEEDBACK)).contains("kept across restarts").hasSize(3);
        try (MinioClient s3 = s3()) {
            assertThat(s3.bucketExists(BucketExistsArgs.builder().bucket("lorastream").build())).isTrue();
            try (var in = s3.getObject(GetObjectArgs.builder().bucket("lorastream").object("adapters/acme/v1/manifest.json").build())) {
                assertThat(in.readAllBytes()).isEqualTo(object);
            }
        }
    }

    @Test
    void aTakenPortIsNamedInTheError() throws Exception {
        try (ServerSocket squatter = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Map<String, String> saved = new HashMap<>(launcher.env());
            launcher.env().put("LORASTREAM_HOME", home.resolve("other").toString());
            launcher.env().put("LORASTREAM_S3_PORT", String.valueOf(squatter.getLocalPort()));
            try {
                LauncherScript.Result up = run("up");
                assertThat(up.exitCode()).isNotZero();
                assertThat(up.output()).contains("127.0.0.1:" + squatter.getLocalPort() + " is already taken")
                        .contains("LORASTREAM_S3_PORT");
            } finally {
                run("down");
                launcher.env().clear();
                launcher.env().putAll(saved);
            }
        }
    }

    static LauncherScript.Result run(String... args) throws Exception {
        return launcher.run(180, args);
    }

    /**
     * The local broker authenticates and authorizes: its secrets are the owner's alone, a client without a login gets
     * nothing, and a service's own login is refused what {@code KafkaAccess} does not give it (the full table is held
     * by KafkaAccessIT on the SASL test broker; this shows the launcher set the same up).
     */
    static void theBrokerRefusesWhatKafkaAccessDoesNotAllow() throws Exception {
        Path credentials = home.resolve("keys").resolve("kafka");
        assertThat(Files.getPosixFilePermissions(credentials)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        try (var files = Files.list(credentials)) {
            for (Path file : files.toList()) {
                assertThat(Files.getPosixFilePermissions(file)).as(file.toString()).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            }
        }
        String operatorPassword = Files.readString(credentials.resolve("operator.password")).strip();
        assertThat(Files.readString(home.resolve("kafka").resolve("server.properties")))
                .as("the broker's config (umask's rights) holds no password: its logins are in keys/kafka/broker-jaas.conf")
                .doesNotContain(operatorPassword);

        Map<String, Object> anonymous = new HashMap<>(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPort,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000));
        try (Admin admin = Admin.create(anonymous)) {
            assertThatThrownBy(() -> admin.listTopics().names().get()).as("a client without a login").isInstanceOf(ExecutionException.class);
        }

        String servingPassword = Files.readString(credentials.resolve(KafkaAccess.Service.SERVING.user() + ".password")).strip();
        Map<String, Object> serving = new HashMap<>(KafkaAccessGrant.scramLogin(KafkaAccess.Service.SERVING.user(), servingPassword));
        serving.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPort);
        serving.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        serving.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(serving, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.SCORE_RESULTS, "acme", "allowed")).get();
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.ADAPTER_REGISTRY, "acme", "forged")).get())
                    .as("serving's login writing adapter-registry").hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    /** The operator's login, which ./lorastream up made, for the checks the test makes itself. */
    static Map<String, Object> operator() {
        Map<String, Object> config = KafkaConnection.fromFile(home.resolve("keys").resolve("kafka").resolve("operator.properties"));
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPort);
        return config;
    }

    static MinioClient s3() {
        return MinioClient.builder().endpoint("http://127.0.0.1:" + s3Port).region("us-east-1")
                .credentials("lorastream", "lorastream-secret").build();
    }

    static List<String> consumeAll(String topic) {
        List<String> values = new ArrayList<>();
        Map<String, Object> config = operator();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "launcher-it-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(250))) {
                    values.add(record.value());
                }
            }
            // anything else already there arrives in the next polls
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
                values.add(record.value());
            }
        }
        return values;
    }

    static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

}
