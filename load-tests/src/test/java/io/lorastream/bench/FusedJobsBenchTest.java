package io.lorastream.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a way's wall time is split: the events' phases, a group's training once from its log line, the rest as other. */
class FusedJobsBenchTest {
    private static final Map<String, Long> A = Map.of("read", 100L, "train", 4000L, "grade", 300L, "publish", 200L);
    private static final Map<String, Long> B = Map.of("read", 150L, "train", 4000L, "grade", 250L, "publish", 300L);

    @Test
    void jobsAloneSumEachTenantsPhases() {
        FusedJobsBench.Timed timed = FusedJobsBench.timed(10.0, List.of("a", "b"), Map.of("a", A, "b", B),
                "INFO training training:a:1 for a\nINFO training training:b:1 for b\n");
        assertThat(timed.parts()).containsExactly(Map.entry("read", 0.25), Map.entry("train", 8.0), Map.entry("grade", 0.55),
                Map.entry("publish", 0.5), Map.entry("other", 10.0 - 9.3));
        assertThat(timed.together()).isEmpty();
    }

    @Test
    void aGroupsTrainingCountsOnceFromTheLineThatNamesIt() {
        // both events carry the group's 4000 ms; the log line's 4100 ms is the group's whole training
        FusedJobsBench.Timed timed = FusedJobsBench.timed(6.0, List.of("a", "b"), Map.of("a", A, "b", B),
                "INFO [io.lorastream.trainer.TrainingWorker] (trainer-device) trained 2 tenants together (a, b): 60 steps in 30 forwards, 4100 ms\n");
        assertThat(timed.parts().get("train")).isEqualTo(4.1);
        assertThat(timed.parts().get("other")).isCloseTo(6.0 - 4.1 - 0.25 - 0.55 - 0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(timed.together()).containsExactly(2);
    }

    @Test
    void aTenantOfAnotherRunInTheGroupIsAnError() {
        assertThatThrownBy(() -> FusedJobsBench.timed(6.0, List.of("a", "b"), Map.of("a", A, "b", B),
                "trained 3 tenants together (a, b, fresh-1234): 90 steps in 30 forwards, 4100 ms\n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("fresh-1234");
    }
}
