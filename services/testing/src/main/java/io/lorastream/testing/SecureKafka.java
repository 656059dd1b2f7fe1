package io.lorastream.testing;

import io.lorastream.events.KafkaAccess;
import io.lorastream.events.KafkaAccessGrant;
import io.lorastream.events.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.JaasUtils;
import org.apache.kafka.common.test.KafkaClusterTestKit;

/**
 * A KRaft broker in this JVM that authenticates every client and authorizes it: SASL/SCRAM-SHA-512 for the services, one
 * SCRAM user each with a random password, and {@link KafkaAccess}'s ACLs, enforced by Kafka's {@code StandardAuthorizer}
 * (what no rule allows is refused). The operator (topics, users, ACLs) is the test kit's PLAIN super user.
 *
 * <p>Its own broker, apart from the shared one the other integration tests use in the clear. SASL over plaintext: it
 * listens on loopback only; deploy/ puts SCRAM over TLS.
 */
public final class SecureKafka implements AutoCloseable {
    private static final String BROKER_LISTENER = "EXTERNAL";

    private final Path workDir;
    private final KafkaClusterTestKit kafka;
    private final Map<KafkaAccess.Service, String> passwords;

    private SecureKafka(Path workDir, KafkaClusterTestKit kafka, Map<KafkaAccess.Service, String> passwords) {
        this.workDir = workDir;
        this.kafka = kafka;
        this.passwords = passwords;
    }

    /** Starts the broker and creates the standard topics, a SCRAM user per service and their ACLs. */
    public static SecureKafka start() {
        return start(true);
    }

    /**
     * Starts the broker with nothing on it but its operator: no topic, no user, no ACL (for testing what creates them, e.g.
     * docker-compose's kafka-init). {@link #clientConfig(KafkaAccess.Service)} holds the passwords such a step should give.
     */
    public static SecureKafka startEmpty() {
        return start(false);
    }

    private static SecureKafka start(boolean provisioned) {
        Path workDir;
        try {
            workDir = Files.createTempDirectory("lorastream-secure-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KafkaClusterTestKit kafka = null;
        try {
            kafka = SingleNodeKafka.builder(SingleNodeKafka.node(workDir.resolve("kafka"))
                    .setBrokerListenerName(ListenerName.normalised(BROKER_LISTENER))
                    .setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                    // the controller authorizes too: the broker registers with it as the super user
                    .setControllerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                    .build())
                    .setConfigProp("auto.create.topics.enable", "false")
                    // the test kit's PLAIN for its super user (and the broker itself), SCRAM for the services
                    .setConfigProp("sasl.enabled.mechanisms", "PLAIN," + KafkaAccessGrant.MECHANISM)
                    .setConfigProp(listenerMechanismProperty(BROKER_LISTENER),
                            "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                    .build();
            kafka.format();
            kafka.startup();
            kafka.waitForReadyBrokers();
            Map<KafkaAccess.Service, String> passwords = new EnumMap<>(KafkaAccess.Service.class);
            for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
                passwords.put(service, UUID.randomUUID().toString());
            }
            SecureKafka secure = new SecureKafka(workDir, kafka, passwords);
            if (provisioned) {
                secure.provision();
            }
            return secure;
        } catch (Exception e) {
            SingleNodeKafka.closeQuietly(kafka);
            throw new IllegalStateException("cannot start the SASL Kafka broker", e);
        }
    }

    private static String listenerMechanismProperty(String listener) {
        return "listener.name." + ListenerName.normalised(listener).value().toLowerCase() + "."
                + KafkaAccessGrant.MECHANISM.toLowerCase() + "." + SaslConfigs.SASL_JAAS_CONFIG;
    }

    /** Topics, then each service's user and its ACLs ({@link KafkaAccessGrant}), enforced before this returns. */
    private void provision() throws Exception {
        try (Admin admin = Admin.create(operatorConfig())) {
            admin.createTopics(Topics.newTopics((short) 1)).all().get();
            KafkaAccessGrant.apply(admin, passwords, Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.SASL_PLAINTEXT.name), Duration.ofSeconds(60));
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** The password the service's user has (or, on an empty broker, should be given). */
    public String password(KafkaAccess.Service service) {
        return passwords.get(service);
    }

    /** What a client needs to connect as the service: bootstrap servers, SASL/SCRAM and its user's password. */
    public Map<String, Object> clientConfig(KafkaAccess.Service service) {
        return clientConfig(service.user(), passwords.get(service));
    }

    /** A client that logs in as this user with this password (a wrong one is refused). */
    public Map<String, Object> clientConfig(String user, String password) {
        Map<String, Object> config = new HashMap<>(KafkaAccessGrant.scramLogin(user, password));
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.SASL_PLAINTEXT.name);
        return Map.copyOf(config);
    }

    /** The service's settings as a Quarkus service reads them ({@code kafka.*}, which SmallRye and our own clients use). */
    public Map<String, String> serviceSettings(KafkaAccess.Service service) {
        Map<String, String> settings = new HashMap<>();
        clientConfig(service).forEach((key, value) -> settings.put("kafka." + key, String.valueOf(value)));
        return settings;
    }

    /** The operator: the super user, who may do anything. */
    public Map<String, Object> operatorConfig() {
        Map<String, Object> config = new java.util.HashMap<>(KafkaAccessGrant.plainLogin(JaasUtils.KAFKA_PLAIN_ADMIN,
                JaasUtils.KAFKA_PLAIN_ADMIN_PASSWORD));
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.SASL_PLAINTEXT.name);
        return Map.copyOf(config);
    }

    @Override
    public void close() {
        SingleNodeKafka.closeQuietly(kafka);
        SingleNodeKafka.deleteTree(workDir);
    }
}
