package io.lorastream.local;

import io.smallrye.jwt.build.Jwt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Bearer tokens for the local stack: {@code keys} makes the RS256 key pair once ({@code up} calls
 * it); {@code issue} prints a token whose subject is the tenant ({@code groups: [tenant]}), or with
 * {@code --admin} one for every tenant ({@code groups: [admin]}). Issuer {@code lorastream}, as the
 * services' {@code mp.jwt.verify.issuer} expects.
 */
@Command(name = "lorastream-token", mixinStandardHelpOptions = true, subcommands = {LocalTokens.Keys.class, LocalTokens.Issue.class})
public final class LocalTokens {
    static final String SIGN_KEY = "token-sign.pem";
    static final String VERIFY_KEY = "token-verify.pem";
    private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalTokens()).execute(args));
    }

    @Command(name = "keys", description = "Create DIR/token-sign.pem and DIR/token-verify.pem unless they exist.")
    static final class Keys implements Callable<Integer> {
        @Option(names = "--dir", required = true)
        Path dir;

        @Override
        public Integer call() throws Exception {
            if (Files.exists(dir.resolve(SIGN_KEY)) && Files.exists(dir.resolve(VERIFY_KEY))) {
                return 0;
            }
            Files.createDirectories(dir);
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            Path sign = dir.resolve(SIGN_KEY);
            Files.writeString(sign, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            Files.setPosixFilePermissions(sign, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(dir.resolve(VERIFY_KEY), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
            return 0;
        }
    }

    @Command(name = "issue", description = "Print a bearer token for TENANT (or, with --admin, for every tenant).")
    static final class Issue implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "where `keys` put the key pair")
        Path dir;

        @Parameters(index = "0", paramLabel = "TENANT", description = "the tenant id (any name for --admin)")
        String tenant;

        @Option(names = "--admin", description = "admin role: every tenant, and the admin API")
        boolean admin;

        @Option(names = "--ttl", defaultValue = "P30D", description = "lifetime, ISO-8601 (default ${DEFAULT-VALUE})")
        Duration ttl;

        @Override
        public Integer call() throws Exception {
            if (!admin && !TENANT.matcher(tenant).matches()) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "TENANT " + tenant + " is not a tenant id (" + TENANT.pattern() + ")");
            }
            Path key = dir.resolve(SIGN_KEY);
            if (!Files.exists(key)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "no signing key at " + key + " (run ./lorastream up first)");
            }
            System.out.println(Jwt.issuer("lorastream")
                    .subject(tenant)
                    .groups(Set.of(admin ? "admin" : "tenant"))
                    .expiresIn(ttl)
                    .sign(readPrivateKey(key)));
            return 0;
        }
    }

    static PrivateKey readPrivateKey(Path pem) throws Exception {
        String base64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
