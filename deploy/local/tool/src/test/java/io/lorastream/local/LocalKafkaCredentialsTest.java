package io.lorastream.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.KafkaAccess;
import io.lorastream.events.KafkaAccessGrant;
import io.lorastream.events.KafkaConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local broker's logins: owner-only from their creation, a distinct password per user that a second {@code up} keeps,
 * and files that say what the readers of them (bash, compose, Kafka's properties loader) take them to say.
 */
class LocalKafkaCredentialsTest {
    @TempDir
    Path home;

    @Test
    void eachUserHasItsOwnPasswordOwnerOnlyKeptAcrossRuns() throws Exception {
        Path dir = home.resolve("keys").resolve("kafka");
        LocalKafkaCredentials credentials = new LocalKafkaCredentials(dir);
        credentials.ensure();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(file.toString()).isEqualTo("rw-------");
            }
        }
        Map<KafkaAccess.Service, String> passwords = credentials.servicePasswords();
        Set<String> distinct = new HashSet<>(passwords.values());
        distinct.add(credentials.password(LocalKafkaCredentials.OPERATOR));
        assertThat(distinct).hasSize(KafkaAccess.Service.values().length + 1).allSatisfy(p -> assertThat(p).hasSizeGreaterThanOrEqualTo(32));

        new LocalKafkaCredentials(dir).ensure();
        assertThat(new LocalKafkaCredentials(dir).servicePasswords()).as("the broker's users keep their passwords").isEqualTo(passwords);
    }

    @Test
    void composeGetsAMinioUserPerServiceThatTouchesS3OwnerOnlyAndKept() throws Exception {
        Path dir = home.resolve("s3");
        ComposeS3Users.ensure(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        Set<String> secrets = new HashSet<>();
        for (String service : ComposeS3Users.SERVICES) {
            Path file = dir.resolve(service + ".env");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            Process sh = new ProcessBuilder("sh", "-c", ". \"$1\" && printf '%s\\n%s' \"$LORASTREAM_S3_ACCESS_KEY\" \"$LORASTREAM_S3_SECRET_KEY\"",
                    "sh", file.toString()).redirectErrorStream(true).start();
            List<String> read = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assertThat(sh.waitFor()).isZero();
            assertThat(read).hasSize(2);
            assertThat(read.get(0)).isEqualTo("lorastream-" + service);
            assertThat(read.get(1)).hasSizeGreaterThanOrEqualTo(32);
            secrets.add(read.get(1));
        }
        assertThat(secrets).hasSize(ComposeS3Users.SERVICES.size());
        String before = Files.readString(dir.resolve("serving.env"));
        ComposeS3Users.ensure(dir);
        assertThat(Files.readString(dir.resolve("serving.env"))).as("MinIO keeps the user it made").isEqualTo(before);
    }

    @Test
    void aServiceEnvFileGivesBashItsScramLoginAndTheOperatorFileGivesKafkaThePlainOne() throws Exception {
        Path dir = home.resolve("kafka");
        LocalKafkaCredentials credentials = new LocalKafkaCredentials(dir);
        credentials.ensure();
        for (KafkaAccess.Service service : KafkaAccess.Service.values()) {
            Process bash = new ProcessBuilder("bash", "-c", "set -a && . \"$1\" && printf '%s\\n%s\\n%s' \"$KAFKA_SECURITY_PROTOCOL\" "
                    + "\"$KAFKA_SASL_MECHANISM\" \"$KAFKA_SASL_JAAS_CONFIG\"", "bash", dir.resolve(service.user() + ".env").toString())
                    .redirectErrorStream(true).start();
            List<String> read = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assertThat(bash.waitFor()).isZero();
            assertThat(read).containsExactly("SASL_PLAINTEXT", KafkaAccessGrant.MECHANISM,
                    KafkaAccessGrant.scramJaasConfig(service.user(), credentials.password(service.user())));
        }
        Map<String, Object> operator = KafkaConnection.fromFile(dir.resolve(LocalKafkaCredentials.OPERATOR_CONFIG));
        assertThat(operator).containsEntry("security.protocol", "SASL_PLAINTEXT").containsEntry("sasl.mechanism", "PLAIN");
        assertThat((String) operator.get("sasl.jaas.config")).contains("username=\"operator\"")
                .contains("password=\"" + credentials.password(LocalKafkaCredentials.OPERATOR) + "\"");
        assertThat(Files.readString(dir.resolve(LocalKafkaCredentials.BROKER_JAAS)))
                .contains("user_operator=\"" + credentials.password(LocalKafkaCredentials.OPERATOR) + "\"")
                .contains("ScramLoginModule required;");
    }
}
