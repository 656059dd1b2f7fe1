package io.lorastream.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The local token tool: where its signing key lives, and how long the tokens it signs live. */
class LocalTokensTest {
    @TempDir
    Path home;

    private int run(StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new LocalTokens());
        PrintWriter writer = new PrintWriter(err);
        cli.setErr(writer);
        int exit = cli.execute(args);
        writer.flush();
        return exit;
    }

    private JsonNode issue(Path keys, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 3];
            all[0] = "issue";
            all[1] = "--dir";
            all[2] = keys.toString();
            System.arraycopy(args, 0, all, 3, args.length);
            assertThat(run(new StringWriter(), all)).isZero();
        } finally {
            System.setOut(original);
        }
        String payload = out.toString(StandardCharsets.UTF_8).trim().split("\\.")[1];
        return new ObjectMapper().readTree(Base64.getUrlDecoder().decode(payload));
    }

    @Test
    void theSigningKeyIsOwnerOnlyInAnOwnerOnlyFolderAndAnOlderWiderOneIsNarrowed() throws Exception {
        Path keys = home.resolve("keys");
        assertThat(run(new StringWriter(), "keys", "--dir", keys.toString())).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve(LocalTokens.SIGN_KEY)))).isEqualTo("rw-------");
        String key = Files.readString(keys.resolve(LocalTokens.SIGN_KEY));

        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(keys.resolve(LocalTokens.SIGN_KEY), PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(run(new StringWriter(), "keys", "--dir", keys.toString())).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve(LocalTokens.SIGN_KEY)))).isEqualTo("rw-------");
        assertThat(Files.readString(keys.resolve(LocalTokens.SIGN_KEY))).as("the pair is kept").isEqualTo(key);
    }

    @Test
    void tenantTokensLive30DaysAndAdminTokens12HoursByDefault() throws Exception {
        Path keys = home.resolve("keys");
        run(new StringWriter(), "keys", "--dir", keys.toString());
        JsonNode tenant = issue(keys, "acme");
        assertThat(tenant.path("exp").asLong() - tenant.path("iat").asLong()).isEqualTo(30L * 24 * 3600);
        JsonNode admin = issue(keys, "ops", "--admin");
        assertThat(admin.path("exp").asLong() - admin.path("iat").asLong()).isEqualTo(12L * 3600);
        JsonNode shorter = issue(keys, "ops", "--admin", "--ttl", "PT2H");
        assertThat(shorter.path("exp").asLong() - shorter.path("iat").asLong()).isEqualTo(2L * 3600);
    }

    @Test
    void aTokenOpensBothApisByDefaultOrThoseItsAudienceNames() throws Exception {
        Path keys = home.resolve("keys");
        run(new StringWriter(), "keys", "--dir", keys.toString());
        assertThat(audiences(issue(keys, "acme"))).containsExactlyInAnyOrder("lorastream-ingest", "lorastream-serving");
        assertThat(audiences(issue(keys, "acme", "--audience", "serving"))).containsExactly("lorastream-serving");
        assertThat(audiences(issue(keys, "ops", "--admin", "--audience", "ingest,serving")))
                .containsExactlyInAnyOrder("lorastream-ingest", "lorastream-serving");
        StringWriter err = new StringWriter();
        assertThat(run(err, "issue", "--dir", keys.toString(), "acme", "--audience", "trainer")).isNotZero();
        assertThat(err.toString()).contains("--audience").contains("trainer");
    }

    /** {@code aud}: one string, or an array of them. */
    private static java.util.List<String> audiences(JsonNode claims) {
        JsonNode aud = claims.path("aud");
        java.util.List<String> names = new java.util.ArrayList<>();
        if (aud.isArray()) {
            aud.forEach(n -> names.add(n.asText()));
        } else if (aud.isTextual()) {
            names.add(aud.asText());
        }
        return names;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', textBlock = """
            acme --ttl P91D          ; --ttl PT2184H is not a lifetime for a tenant token (more than zero, at most PT2160H)
            ops --admin --ttl PT25H  ; --ttl PT25H is not a lifetime for an admin token (more than zero, at most PT24H)
            ops --admin --ttl P30D   ; --ttl PT720H is not a lifetime for an admin token
            acme --ttl PT0S          ; --ttl PT0S is not a lifetime for a tenant token
            acme --ttl -PT1H         ; --ttl PT-1H is not a lifetime for a tenant token
            """)
    void aLifetimeBeyondItsCapIsRefusedNamingValueAndLimit(String args, String message) throws Exception {
        Path keys = home.resolve("keys");
        run(new StringWriter(), "keys", "--dir", keys.toString());
        StringWriter err = new StringWriter();
        String[] words = args.trim().split(" ");
        String[] all = new String[words.length + 3];
        all[0] = "issue";
        all[1] = "--dir";
        all[2] = keys.toString();
        System.arraycopy(words, 0, all, 3, words.length);
        assertThat(run(err, all)).isNotZero();
        assertThat(err.toString()).contains(message);
    }
}
