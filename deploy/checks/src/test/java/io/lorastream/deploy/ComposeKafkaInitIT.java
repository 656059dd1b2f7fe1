package io.lorastream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.events.KafkaAccess;
import io.lorastream.events.KafkaAccessGrant;
import io.lorastream.events.Topics;
import io.lorastream.testing.SecureKafka;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose's {@code kafka-init} step, run: its script, as compose would hand it to bash, against a real broker that
 * authenticates and authorizes (SASL, {@code StandardAuthorizer}) and has nothing on it but its operator. Kafka's own
 * command-line tools (the classes {@code /opt/kafka/bin}'s scripts start, from the same Kafka version as the image) stand
 * in for the image's scripts; the paths of the mounted secrets and the broker's address are this test's. Afterwards the
 * broker holds the contract's topics, a SCRAM user per service that logs in with the password from its file, and exactly
 * {@link KafkaAccess}'s ACLs, which it enforces. There is no Docker engine here; this is the part of compose that can run.
 */
class ComposeKafkaInitIT {
    static final Path ROOT = Path.of(System.getProperty("lorastream.root", "../..")).toAbsolutePath().normalize();
    /** What {@code /opt/kafka/bin/NAME.sh} runs in Kafka 4.1. */
    static final Map<String, String> TOOLS = Map.of(
            "kafka-topics", "org.apache.kafka.tools.TopicCommand",
            "kafka-configs", "kafka.admin.ConfigCommand",
            "kafka-acls", "org.apache.kafka.tools.AclCommand");

    @TempDir
    Path work;

    @Test
    void kafkaInitCreatesTheTopicsEachServicesUserAndExactlyKafkaAccessAcls() throws Exception {
        Map<String, Object> init = kafkaInit();
        @SuppressWarnings("unchecked")
        Map<String, String> environment = (Map<String, String>) init.get("environment");
        @SuppressWarnings("unchecked")
        String script = ((List<String>) init.get("command")).get(0);

        try (SecureKafka kafka = SecureKafka.startEmpty()) {
            Path secrets = Files.createDirectory(work.resolve("secrets"), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            StringBuilder operator = new StringBuilder();
            kafka.operatorConfig().forEach((key, value) -> {
                if (!key.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
                    operator.append(key).append('=').append(value).append('\n');
                }
            });
            Files.writeString(secrets.resolve("operator.properties"), operator);
            for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
                Files.writeString(secrets.resolve(service.user() + ".password"), kafka.password(service));
            }
            Path bin = Files.createDirectory(work.resolve("bin"));
            String java = ProcessHandle.current().info().command().orElse("java");
            for (Map.Entry<String, String> tool : TOOLS.entrySet()) {
                Path wrapper = bin.resolve(tool.getKey() + ".sh");
                Files.writeString(wrapper, "#!/bin/sh\nexec \"" + java + "\" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m "
                        + "-cp \"$TOOLS_CLASSPATH\" " + tool.getValue() + " \"$@\"\n");
                wrapper.toFile().setExecutable(true);
            }
            String runnable = script.replace("$$", "$") // compose's escape for a literal '$'
                    .replace("/opt/kafka/bin/", bin + "/")
                    .replace("/etc/lorastream/kafka/", secrets + "/")
                    .replace("kafka:19092", kafka.bootstrapServers());

            ProcessBuilder bash = new ProcessBuilder("bash", "-c", runnable).redirectErrorStream(true)
                    .redirectOutput(work.resolve("kafka-init.log").toFile());
            bash.environment().putAll(environment);
            bash.environment().put("TOOLS_CLASSPATH", System.getProperty("java.class.path"));
            Process process = bash.start();
            boolean finished = process.waitFor(8, TimeUnit.MINUTES);
            String log = Files.readString(work.resolve("kafka-init.log"), StandardCharsets.UTF_8);
            if (!finished) {
                process.destroyForcibly();
            }
            assertThat(finished && process.exitValue() == 0).as("kafka-init exits 0:\n" + log).isTrue();

            try (Admin admin = Admin.create(kafka.operatorConfig())) {
                Map<String, TopicDescription> topics = admin.describeTopics(Topics.ALL.stream().map(Topics.Spec::name).toList())
                        .allTopicNames().get();
                for (Topics.Spec spec : Topics.ALL) {
                    assertThat(topics.get(spec.name()).partitions()).as(spec.name()).hasSize(spec.partitions());
                }
                assertThat(new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get()))
                        .isEqualTo(new HashSet<>(KafkaAccess.allBindings()));
            }
            Map<KafkaAccess.Service, String> passwords = new EnumMap<>(KafkaAccess.Service.class);
            for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
                passwords.put(service, kafka.password(service));
            }
            KafkaAccessGrant.awaitLogins(passwords, Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT"), Duration.ofSeconds(60));
            Map<String, Object> ingest = new HashMap<>(kafka.clientConfig(KafkaAccess.Service.INGEST));
            ingest.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(ingest, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(Topics.FEEDBACK, "acme", "allowed")).get();
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.ADAPTER_REGISTRY, "acme", "forged")).get())
                        .hasCauseInstanceOf(TopicAuthorizationException.class);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> kafkaInit() throws IOException {
        try (Reader reader = Files.newBufferedReader(ROOT.resolve("docker-compose.yml"))) {
            Map<String, Object> compose = new Yaml().load(reader);
            return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get("kafka-init");
        }
    }
}
