package io.lorastream.testing;

import io.lorastream.events.KafkaAccess;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Set;

/**
 * A fresh RS256 key pair for one test run and the bearer tokens it signs, shaped as
 * {@code ./lorastream token} shapes them (issuer {@code lorastream}, audiences ingest and serving, subject = tenant,
 * groups {@code tenant} or {@code admin}). Services under test verify with {@link #publicKeyFile()}.
 */
public final class TestTokens implements AutoCloseable {
    private final Path dir;
    private final KeyPair pair;

    private TestTokens(Path dir, KeyPair pair) {
        this.dir = dir;
        this.pair = pair;
    }

    public static TestTokens create() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            Path dir = Files.createTempDirectory("lorastream-test-keys");
            Files.writeString(dir.resolve("token-verify.pem"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
            Files.writeString(dir.resolve("token-sign.pem"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            return new TestTokens(dir, pair);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has RSA", e);
        }
    }

    public Path publicKeyFile() {
        return dir.resolve("token-verify.pem");
    }

    public Path privateKeyFile() {
        return dir.resolve("token-sign.pem");
    }

    /** The audiences {@code ./lorastream token} gives a token by default: both APIs, ingest's and serving's. */
    public static final Set<String> AUDIENCES = Set.of(KafkaAccess.Service.INGEST.audience(), KafkaAccess.Service.SERVING.audience());

    /** A token's claims as {@code ./lorastream token} makes them: issuer, both audiences, the subject and its groups. */
    public static JwtClaimsBuilder claims(String subject, String... groups) {
        return Jwt.issuer("lorastream").audience(AUDIENCES).subject(subject).groups(Set.of(groups));
    }

    /** A token for {@code tenant} ({@code groups: [tenant]}). */
    public String tenant(String tenant) {
        return claims(tenant, "tenant").sign(pair.getPrivate());
    }

    /** A token for every tenant ({@code groups: [admin]}). */
    public String admin() {
        return claims("admin", "admin").sign(pair.getPrivate());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    @Override
    public void close() {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
            Files.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
