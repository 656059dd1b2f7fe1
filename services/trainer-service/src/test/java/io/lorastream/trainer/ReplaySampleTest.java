package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.FeedbackReceived;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReplaySampleTest {
    static FeedbackReceived example(int n) {
        return new FeedbackReceived("f-" + n, "acme", "text " + n, n % 2 == 0 ? "pos" : "neg", null, null, Instant.EPOCH);
    }

    static List<String> ids(List<FeedbackReceived> events) {
        return events.stream().map(FeedbackReceived::id).toList();
    }

    /** Each row: versions of {@code each} new examples, one after another, each sample kept to {@code max}; the last sample's size. */
    @ParameterizedTest(name = "{0} versions of {1} examples, sample of {2}: {3}")
    @CsvSource({
            "1,    30,  2000, 30",
            "10,   300, 2000, 2000",
            "365,  300, 2000, 2000",   // a year of daily versions: the same size
            "50,   1,   10,   10",
    })
    void theSampleIsTheLinesDataUpToItsBound(int versions, int each, int max, int expected) {
        List<FeedbackReceived> sample = List.of();
        List<FeedbackReceived> all = new ArrayList<>();
        int n = 0;
        for (int v = 0; v < versions; v++) {
            List<FeedbackReceived> trained = new ArrayList<>();
            for (int i = 0; i < each; i++) {
                trained.add(example(++n));
            }
            all.addAll(trained);
            sample = ReplaySample.next(sample, trained, max);
        }
        assertThat(ids(sample)).hasSize(expected).doesNotHaveDuplicates();
        assertThat(ids(all)).containsAll(ids(sample));
        // the same as sampling the whole line at once: kept one version at a time, it loses nothing a one-off sample would keep
        assertThat(sample).isEqualTo(ReplaySample.next(List.of(), all, max));
    }

    @Test
    void anExampleTrainedTwiceIsSampledOnce() {
        List<FeedbackReceived> first = List.of(example(1), example(2));
        List<FeedbackReceived> sample = ReplaySample.next(ReplaySample.next(List.of(), first, 10), first, 10);
        assertThat(ids(sample)).containsExactlyInAnyOrder("f-1", "f-2");
    }

    @Test
    void aSampleOfALongLineSpreadsOverItsHistory() {
        List<FeedbackReceived> all = new ArrayList<>();
        for (int n = 1; n <= 100_000; n++) {
            all.add(example(n));
        }
        List<FeedbackReceived> sample = ReplaySample.next(List.of(), all, 2000);
        long firstHalf = sample.stream().filter(e -> Integer.parseInt(e.id().substring(2)) <= 50_000).count();
        // a uniform sample of 2,000 of 100,000: about half from each half; the ranks are fixed, so this is exact, not chance
        assertThat(firstHalf).isBetween(900L, 1100L);
    }

    @Test
    void aJobDrawsFromTheSampleButNeverWhatItTrainsOnAnyway() {
        List<FeedbackReceived> sample = List.of(example(1), example(2), example(3), example(4));
        List<FeedbackReceived> fresh = List.of(example(3), example(5));
        List<FeedbackReceived> drawn = ReplaySample.draw(sample, fresh, 10, 42);
        assertThat(ids(drawn)).containsExactlyInAnyOrder("f-1", "f-2", "f-4");
        assertThat(ReplaySample.draw(sample, fresh, 2, 42)).hasSize(2).isEqualTo(ReplaySample.draw(sample, fresh, 2, 42));
        assertThat(ReplaySample.draw(sample, fresh, 0, 42)).isEmpty();
        Set<String> seen = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            seen.addAll(ids(ReplaySample.draw(sample, fresh, 1, seed)));
        }
        assertThat(seen).as("the seed picks which").hasSizeGreaterThan(1);
    }

    @Test
    void theObjectIsOneFeedbackEventPerLineAndReadsBack() {
        List<FeedbackReceived> sample = ReplaySample.next(List.of(), List.of(example(1), example(2), example(3)), 10);
        assertThat(TenantData.parse(ReplaySample.encode(sample))).isEqualTo(sample);
    }
}
