package io.lorastream.local;

import io.lorastream.events.KafkaAccess;
import io.lorastream.events.KafkaAccessGrant;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * The local broker's logins, made once under {@code KEYS/kafka} (0700, each file 0600 from its creation), for the local
 * stack and docker-compose alike:
 * <ul>
 *   <li>{@code USER.password}: a random password for the operator, the broker's super user (PLAIN; the broker and the
 *       controller log in to each other with it, and so do the launcher's tools: provisioning, demo, benchmarks, fault
 *       suite), and one for each service's SCRAM user ({@link KafkaAccess});</li>
 *   <li>{@code operator.properties}: the operator's client login, for {@code --kafka-config} and Kafka's own tools'
 *       {@code --command-config};</li>
 *   <li>{@code SERVICE-USER.env}: a service's login as the environment it reads ({@code KAFKA_SASL_JAAS_CONFIG} …), in the
 *       syntax both bash and compose's {@code env_file} read;</li>
 *   <li>{@code broker-jaas.conf}: the broker's JAAS file ({@code -Djava.security.auth.login.config}): the operator's
 *       PLAIN login and the users it accepts, and SCRAM, whose users the broker keeps in its metadata.</li>
 * </ul>
 * The files other than the passwords are written again from them at every {@code up}.
 */
final class LocalKafkaCredentials {
    static final String OPERATOR = "operator";
    static final String OPERATOR_CONFIG = "operator.properties";
    static final String BROKER_JAAS = "broker-jaas.conf";

    private final Path dir;

    LocalKafkaCredentials(Path dir) {
        this.dir = dir;
    }

    /** Creates what is missing; keeps what exists (the broker and its users already know those passwords). */
    void ensure() throws IOException {
        LocalTokens.createPrivateFolder(dir);
        List<String> users = new ArrayList<>(List.of(OPERATOR));
        for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
            users.add(service.user());
        }
        for (String user : users) {
            Path file = passwordFile(user);
            if (!Files.exists(file)) {
                LocalTokens.writePrivate(file, LocalTokens.randomSecret());
            } else {
                LocalTokens.narrow(file);
            }
        }
        for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
            String jaas = KafkaAccessGrant.scramJaasConfig(service.user(), password(service.user()));
            rewritePrivate(dir.resolve(service.user() + ".env"), "# " + service.user() + "'s Kafka login; made by ./lorastream up\n"
                    + "KAFKA_SECURITY_PROTOCOL='" + SecurityProtocol.SASL_PLAINTEXT.name + "'\n"
                    + "KAFKA_SASL_MECHANISM='" + KafkaAccessGrant.MECHANISM + "'\n"
                    + "KAFKA_SASL_JAAS_CONFIG='" + jaas + "'\n");
        }
        String operatorPassword = password(OPERATOR);
        rewritePrivate(dir.resolve(BROKER_JAAS), "// the broker's logins; made by ./lorastream up\nKafkaServer {\n"
                + "    org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + OPERATOR + "\" password=\""
                + operatorPassword + "\" user_" + OPERATOR + "=\"" + operatorPassword + "\";\n"
                + "    org.apache.kafka.common.security.scram.ScramLoginModule required;\n};\n");
        Properties operator = new Properties();
        operator.setProperty(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.SASL_PLAINTEXT.name);
        KafkaAccessGrant.plainLogin(OPERATOR, operatorPassword).forEach(operator::setProperty);
        StringWriter text = new StringWriter();
        operator.store(text, "the local stack's operator (Kafka super user); made by ./lorastream up");
        rewritePrivate(dir.resolve(OPERATOR_CONFIG), text.toString());
    }

    private static void rewritePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        LocalTokens.writePrivate(file, text);
    }

    String password(String user) throws IOException {
        Path file = passwordFile(user);
        if (!Files.exists(file)) {
            throw new IllegalStateException("no Kafka password at " + file + " (./lorastream up makes it)");
        }
        return Files.readString(file).strip();
    }

    Map<KafkaAccess.Service, String> servicePasswords() throws IOException {
        Map<KafkaAccess.Service, String> passwords = new EnumMap<>(KafkaAccess.Service.class);
        for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
            passwords.put(service, password(service.user()));
        }
        return passwords;
    }

    private Path passwordFile(String user) {
        return dir.resolve(user + ".password");
    }
}
