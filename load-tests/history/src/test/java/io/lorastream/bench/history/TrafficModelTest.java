package io.lorastream.bench.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The scale test's traffic, at the run's defaults: the history the issue asks for, and the same on every run. */
class TrafficModelTest {
    private static final long STEPS_PER_DAY = 144; // 10-minute steps
    private static final TrafficModel YEAR = new TrafficModel(1000, 365 * STEPS_PER_DAY, STEPS_PER_DAY, 10_000, 50, 2, 100, 40, 20260101L);

    @Test
    void aYearGivesTheBigTenantAboutFiftyThousandShardsTheVersionsTenantAHundredRequestsAndEveryOtherTenantATrickle() {
        Map<String, Long> sends = new HashMap<>();
        Map<String, Long> examples = new HashMap<>();
        LongStream.range(0, YEAR.steps()).forEach(step -> YEAR.at(step).forEach(send -> {
            sends.merge(send.tenant(), 1L, Long::sum);
            examples.merge(send.tenant(), (long) send.examples(), Long::sum);
        }));
        // each send of the big tenant is sealed by the next check as one training and one holdout shard
        assertThat(2 * sends.get(TrafficModel.BIG)).isBetween(50_000L, 55_000L);
        assertThat(examples.get(TrafficModel.BIG)).as("past dataset-max-examples (1,000,000): retention by size acts")
                .isGreaterThan(1_000_000L);
        assertThat(sends.get(TrafficModel.VERSIONS)).isEqualTo(100);
        assertThat(sends.keySet()).as("every trickle tenant sends in a year").hasSize(1000);
        long trickle = sends.entrySet().stream().filter(e -> e.getKey().startsWith("t")).mapToLong(Map.Entry::getValue).sum();
        assertThat(trickle / 998.0).as("about weekly").isBetween(45.0, 60.0);
    }

    @Test
    void aStepIsTheSameOnEveryRun() {
        TrafficModel again = new TrafficModel(1000, 365 * STEPS_PER_DAY, STEPS_PER_DAY, 10_000, 50, 2, 100, 40, 20260101L);
        for (long step : new long[] {0, 1, 777, 52_559}) {
            assertThat(again.at(step)).isEqualTo(YEAR.at(step));
        }
    }
}
