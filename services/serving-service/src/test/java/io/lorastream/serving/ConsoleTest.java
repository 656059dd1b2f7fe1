package io.lorastream.serving;

import static io.lorastream.serving.HotReloadTest.LABELS;
import static io.lorastream.serving.HotReloadTest.awaitVersion;
import static io.lorastream.serving.HotReloadTest.bootstrap;
import static io.lorastream.serving.HotReloadTest.tenant;
import static io.lorastream.serving.HotReloadTest.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorastream.engine.BaseModel;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.LiveSample;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.Topics;
import io.lorastream.store.ObjectStore;
import io.lorastream.testing.KafkaAndS3TestResource;
import io.lorastream.testing.TestTokenKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console page in headless Chromium (Debian's {@code chromium}; the test is skipped, saying so, where
 * it is not installed): rendered against the real admin API, it shows the tenant, its version timeline
 * with statuses, the accuracy plot and the traffic split; the screenshot is a full page, not a blank one.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaAndS3TestResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = TestTokenKeys.class, restrictToAnnotatedClass = true)
class ConsoleTest {
    static final Path CHROMIUM = Path.of(System.getProperty("lorastream.chromium", "/usr/bin/chromium"));

    @Inject
    BaseModel base;

    @Inject
    ObjectStore store;

    @TestHTTPResource("/console/")
    URL console;

    @TempDir
    Path dir;

    @Test
    void theConsoleShowsTenantsTheirTimelineAccuracyPlotAndTrafficSplit() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "headless Chromium not installed at " + CHROMIUM + " (apt-get install chromium): console test skipped");
        String tenant = tenant();
        RegistryEntry.VersionRef v1 = TestVersions.publish(store, base, tenant, 1, 61, LABELS);
        RegistryEntry.VersionRef v2 = TestVersions.publish(store, base, tenant, 2, 62, LABELS);
        Instant t0 = Instant.now();
        TestVersions.send(bootstrap(), Topics.ADAPTER_REGISTRY, RegistryEntry.class, new RegistryEntry(tenant, 4, v1,
                new RegistryEntry.Candidate(v2, 0.25, false), null, List.of(new LiveSample(1, 40, 36, 0.9), new LiveSample(2, 12, 11, 11 / 12.0)),
                List.of(new RegistryEntry.HistoryItem(1, AdapterStatus.PROMOTED, t0.minusSeconds(60), 0.88, null),
                        new RegistryEntry.HistoryItem(2, AdapterStatus.CANARY, t0, 0.91, null)), t0));
        awaitVersion(tenant, 1, Duration.ofSeconds(60));

        String page = console + "#token=" + token("ops", "admin");
        String dom = chromium("--dump-dom", page);
        assertThat(dom).contains("tenant-" + tenant).contains(tenant + " — stable v1 · candidate v2")
                .contains("v1 PROMOTED").contains("v2 CANARY")
                .contains("class=\"accuracy-plot\"").contains("v1 75 %").contains("v2 25 %")
                .contains("0.8800").contains("11/12")
                .doesNotContain("class=\"error\"");

        Path png = dir.resolve("console.png");
        chromium("--screenshot=" + png, "--window-size=1280,800", page);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1280);
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 4) {
            for (int x = 0; x < image.getWidth(); x += 4) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertThat(colours.size()).as("distinct colours in the screenshot: a rendered page, not a blank one").isGreaterThan(20);
        Path kept = Path.of("target", "console-screenshot.png");
        Files.copy(png, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** One headless run; returns what it printed (the DOM for --dump-dom). */
    private String chromium(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + Files.createTempDirectory(dir, "profile"), "--virtual-time-budget=5000"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(dir.resolve("chromium.err").toFile()).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(process.exitValue()).as(Files.readString(dir.resolve("chromium.err"))).isZero();
        return out;
    }
}
