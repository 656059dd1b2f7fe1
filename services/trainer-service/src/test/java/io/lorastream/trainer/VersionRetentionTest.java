package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.AdapterPublished;
import io.lorastream.events.Evaluation;
import io.lorastream.store.VersionManifest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VersionRetentionTest {
    static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

    /** Versions 1..n, version v created {@code n - v} hours before now (the newest just now). */
    static List<VersionManifest> versions(int n) {
        List<VersionManifest> all = new ArrayList<>();
        for (int v = 1; v <= n; v++) {
            Integer parent = v > 1 ? v - 1 : null;
            all.add(new VersionManifest("acme", v, parent, parent, "training:acme:" + v, new AdapterPublished.BaseModel("base", "0".repeat(64)),
                    List.of(), List.of(), List.of(), null, null, Map.of(), new AdapterPublished.Metrics(new Evaluation(0.9, null, null, 1), null),
                    new AdapterPublished.Gate(true, 0.02), Map.of(), 1, "cpu", NOW.minus(Duration.ofHours(n - v))));
        }
        return all;
    }

    static Set<Integer> numbers(String list) {
        return list.isBlank() ? Set.of() : Arrays.stream(list.split(" ")).map(Integer::valueOf).collect(Collectors.toSet());
    }

    /** Each row: versions, keep-last, grace in hours, what the registry protects; what is retired. */
    @ParameterizedTest(name = "{0} versions, keep {1}, grace {2} h, protected [{3}] → retire [{4}]")
    @CsvSource(delimiter = '|', value = {
            "3   | 10 | 24 |         | ",                 // fewer than keep-last
            "12  | 10 | 0  |         | 1 2",
            "12  | 10 | 0  | 1       | 2",                // v1 is the stable (or pinned, or a roll-back target)
            "12  | 10 | 11 |         | ",                 // v1 and v2 are 11 and 10 hours old: not past a grace of 11 h
            "12  | 10 | 9  |         | 1 2",
            "30  | 10 | 0  | 3 7 25  | 1 2 4 5 6 8 9 10 11 12 13 14 15 16 17 18 19 20",
            "5   | 1  | 0  | 2       | 1 3 4",            // the newest is always kept
    })
    void whatRetentionDeletes(int n, int keep, int graceHours, String protectedVersions, String expected) {
        List<Integer> retired = new VersionRetention(keep, Duration.ofHours(graceHours)).retire(versions(n), numbers(protectedVersions == null ? "" : protectedVersions), NOW);
        assertThat(retired).containsExactlyElementsOf(numbers(expected == null ? "" : expected).stream().sorted().toList());
    }
}
