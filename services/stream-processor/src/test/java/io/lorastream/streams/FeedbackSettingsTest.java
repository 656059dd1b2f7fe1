package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.events.TrainingRequested.Trigger;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeedbackSettingsTest {
    private static final TrainingPolicy POLICY = new TrainingPolicy("p", 100, Duration.ofSeconds(60), 10, Duration.ofSeconds(30));

    @Test
    void invalidValuesAreRefusedNamingKeyAndValue() {
        assertThatThrownBy(() -> new HoldoutSplit(1.0))
                .hasMessage("lorastream.feedback.holdout-fraction=1.0: must be at least 0 and below 1");
        assertThatThrownBy(() -> new HoldoutSplit(Double.NaN)).hasMessageContaining("holdout-fraction=NaN");
        assertThatThrownBy(() -> new TrainingPolicy("lorastream.training-policy.defaults", 0, Duration.ofSeconds(1), 1, Duration.ZERO))
                .hasMessage("lorastream.training-policy.defaults.min-examples=0: must be at least 1");
        assertThatThrownBy(() -> new TrainingPolicy("k", 10, Duration.ofSeconds(1), 11, Duration.ZERO))
                .hasMessageContaining("k.min-examples-after-wait=11");
        assertThatThrownBy(() -> new TrainingPolicy("k", 10, Duration.ZERO, 1, Duration.ZERO))
                .hasMessageContaining("k.max-wait=PT0S");
        assertThatThrownBy(() -> new FeedbackSettings(new HoldoutSplit(0.2), Duration.ofDays(1), 0, Duration.ofSeconds(1),
                Duration.ofSeconds(1), POLICY, Map.of()))
                .hasMessage("lorastream.feedback.shard-max-examples=0: must be at least 1");
    }

    @Test
    void policyDecisions() {
        assertThat(POLICY.decide(100, 0, Long.MAX_VALUE)).contains(Trigger.MIN_EXAMPLES);
        assertThat(POLICY.decide(99, 59_999, Long.MAX_VALUE)).isEmpty();
        assertThat(POLICY.decide(10, 60_000, Long.MAX_VALUE)).contains(Trigger.MAX_WAIT);
        assertThat(POLICY.decide(9, 600_000, Long.MAX_VALUE)).isEmpty();
        assertThat(POLICY.decide(500, 600_000, 29_999)).isEmpty();
        assertThat(POLICY.decide(500, 600_000, 30_000)).contains(Trigger.MIN_EXAMPLES);
        assertThat(POLICY.decide(0, 0, Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void theSplitIsAFunctionOfTheIdOnly() {
        HoldoutSplit split = new HoldoutSplit(0.3);
        assertThat(split.isHoldout("fb-1")).isEqualTo(new HoldoutSplit(0.3).isHoldout("fb-1"));
        assertThat(new HoldoutSplit(0).isHoldout("anything")).isFalse();
        long holdout = java.util.stream.IntStream.range(0, 10_000).filter(i -> split.isHoldout("id-" + i)).count();
        assertThat(holdout).isBetween(2_850L, 3_150L);
    }
}
