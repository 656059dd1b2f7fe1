package io.lorastream.testing;

import io.smallrye.jwt.build.Jwt;
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
 * {@code ./lorastream token} shapes them (issuer {@code lorastream}, subject = tenant,
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

    /** A token for {@code tenant} ({@code groups: [tenant]}). */
    public String tenant(String tenant) {
        return Jwt.issuer("lorastream").subject(tenant).groups(Set.of("tenant")).sign(pair.getPrivate());
    }

    /** A token for every tenant ({@code groups: [admin]}). */
    public String admin() {
        return Jwt.issuer("lorastream").subject("admin").groups(Set.of("admin")).sign(pair.getPrivate());
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
