package io.lorastream.local;

import io.lorastream.events.KafkaAccess;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
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
 * services' {@code mp.jwt.verify.issuer} expects; audiences the APIs it opens (both by default), each of which checks
 * its own ({@code mp.jwt.verify.audiences}).
 */
@Command(name = "lorastream-token", mixinStandardHelpOptions = true, subcommands = {LocalTokens.Keys.class, LocalTokens.Issue.class})
public final class LocalTokens {
    static final String SIGN_KEY = "token-sign.pem";
    static final String VERIFY_KEY = "token-verify.pem";
    private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalTokens()).execute(args));
    }

    /** Owner only: the folder of the signing key, and the key itself. */
    static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");

    @Command(name = "keys", description = "Create the local stack's secrets unless they exist: DIR/token-sign.pem and "
            + "DIR/token-verify.pem, the Kafka logins under DIR/kafka, docker-compose's MinIO users under DIR/s3.")
    static final class Keys implements Callable<Integer> {
        @Option(names = "--dir", required = true)
        Path dir;

        /**
         * The folder is made 0700 and the private key 0600 as they are created, never wider in between; a folder and
         * key made by an older version (with the umask's rights) are narrowed here too.
         */
        @Override
        public Integer call() throws Exception {
            createPrivateFolder(dir);
            new LocalKafkaCredentials(dir.resolve("kafka")).ensure();
            ComposeS3Users.ensure(dir.resolve("s3"));
            Path sign = dir.resolve(SIGN_KEY);
            if (Files.exists(sign) && Files.exists(dir.resolve(VERIFY_KEY))) {
                narrow(sign);
                return 0;
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            Files.deleteIfExists(sign); // half a pair from an interrupted run: made again
            writePrivate(sign, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            Files.writeString(dir.resolve(VERIFY_KEY), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
            return 0;
        }
    }

    /** {@code dir} 0700: made so, or narrowed to it if an older version made it with the umask's rights. */
    static void createPrivateFolder(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            Files.setPosixFilePermissions(dir, FOLDER);
        } else {
            Files.createDirectories(dir.toAbsolutePath().getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(FOLDER));
        }
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /**
     * A new password or secret key: 32 characters of base64url from 24 random bytes. No quote, backslash or space, so it
     * goes into JAAS, env files and MinIO as it is.
     */
    static String randomSecret() {
        byte[] secret = new byte[24];
        RANDOM.nextBytes(secret);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    /** A new file, 0600 from its creation (it must not exist), then its text. */
    static void writePrivate(Path file, String text) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PRIVATE));
        Files.writeString(file, text);
    }

    static void narrow(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PRIVATE);
    }

    /** Lifetimes: a tenant token lives 30 days unless told otherwise, at most 90; an admin token 12 hours, at most a day. */
    static final Duration TENANT_TTL = Duration.ofDays(30);
    static final Duration TENANT_TTL_MAX = Duration.ofDays(90);
    static final Duration ADMIN_TTL = Duration.ofHours(12);
    static final Duration ADMIN_TTL_MAX = Duration.ofDays(1);

    @Command(name = "issue", description = "Print a bearer token for TENANT (or, with --admin, for every tenant).")
    static final class Issue implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "where `keys` put the key pair")
        Path dir;

        @Parameters(index = "0", paramLabel = "TENANT", description = "the tenant id (any name for --admin)")
        String tenant;

        @Option(names = "--admin", description = "admin role: every tenant, and the admin API")
        boolean admin;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec; // errors go to the command line that runs this, and its streams

        @Option(names = "--ttl", description = "lifetime, ISO-8601: a tenant's 30 days by default, at most 90 (P90D); an admin's 12 hours, at most a day (PT24H)")
        Duration ttl;

        @Option(names = "--audience", split = ",", description = "the APIs the token opens: ingest, serving (default: both)")
        List<Api> audience = List.of(Api.values());

        @Override
        public Integer call() throws Exception {
            if (!admin && !TENANT.matcher(tenant).matches()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "TENANT " + tenant + " is not a tenant id (" + TENANT.pattern() + ")");
            }
            Duration lifetime = ttl != null ? ttl : admin ? ADMIN_TTL : TENANT_TTL;
            Duration max = admin ? ADMIN_TTL_MAX : TENANT_TTL_MAX;
            if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(max) > 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--ttl " + lifetime + " is not a lifetime for "
                        + (admin ? "an admin" : "a tenant") + " token (more than zero, at most " + max + ")");
            }
            Path key = dir.resolve(SIGN_KEY);
            if (!Files.exists(key)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no signing key at " + key + " (run ./lorastream up first)");
            }
            System.out.println(Jwt.issuer("lorastream")
                    .audience(audience.stream().map(api -> api.service.audience()).collect(java.util.stream.Collectors.toSet()))
                    .subject(tenant)
                    .groups(Set.of(admin ? "admin" : "tenant"))
                    .expiresIn(lifetime)
                    .sign(readPrivateKey(key)));
            return 0;
        }
    }

    /** The APIs that check tokens, each its own audience ({@code aud}): a token opens those it names. */
    enum Api {
        ingest(KafkaAccess.Service.INGEST), serving(KafkaAccess.Service.SERVING);

        final KafkaAccess.Service service;

        Api(KafkaAccess.Service service) {
            this.service = service;
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
