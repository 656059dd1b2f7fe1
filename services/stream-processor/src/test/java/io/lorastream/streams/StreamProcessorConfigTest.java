package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.events.RolloutRule;
import io.lorastream.events.TrainingRequested.Trigger;
import io.lorastream.testing.ConfigMappings;
import io.smallrye.config.ConfigValidationException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The settings as declared on {@link StreamProcessorConfig}: defaults, and the start refusing bad values by key and value. */
class StreamProcessorConfigTest {
    private static final TrainingPolicy POLICY = new TrainingPolicy(100, Duration.ofSeconds(60), 10, Duration.ofSeconds(30),
            Duration.ofMinutes(10));

    private static StreamProcessorConfig.Feedback feedback(Map<String, String> values) {
        return ConfigMappings.load(StreamProcessorConfig.Feedback.class, "lorastream.feedback", values);
    }

    private static StreamProcessorConfig.Policies policies(Map<String, String> values) {
        return ConfigMappings.load(StreamProcessorConfig.Policies.class, "lorastream.training-policy", values);
    }

    private static StreamProcessorConfig.Rollout rollout(Map<String, String> values) {
        return ConfigMappings.load(StreamProcessorConfig.Rollout.class, "lorastream.rollout", values);
    }

    @Test
    void theDefaultsAreValid() {
        assertThat(feedback(Map.of()).holdoutFraction()).isEqualTo(0.2);
        assertThat(policies(Map.of()).policy("acme")).isEqualTo(new TrainingPolicy(100, Duration.ofSeconds(10), 20, Duration.ofSeconds(5),
                Duration.ofMinutes(10)));
        assertThat(rollout(Map.of()).rule()).isEqualTo(new RolloutRule(100, 30, 1000, 0.01, 0.02, 0.1));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            holdout-fraction   | 1.0   | lorastream.feedback.holdout-fraction must be less than 1 (was 1.0)
            holdout-fraction   | -0.1  | lorastream.feedback.holdout-fraction must be at least 0 (was -0.1)
            shard-max-examples | 0     | lorastream.feedback.shard-max-examples must be at least 1 (was 0)
            holdout-window     | 0     | lorastream.feedback.holdout-window must be at least 1 (was 0)
            holdout-reservoir  | -1    | lorastream.feedback.holdout-reservoir must be at least 0 (was -1)
            dedup-window       | PT0S  | lorastream.feedback.dedup-window must be a positive duration (was PT0S)
            shard-max-age      | -PT1S | lorastream.feedback.shard-max-age must be a positive duration (was PT-1S)
            check-interval     | PT0S  | lorastream.feedback.check-interval must be a positive duration (was PT0S)
            segment-examples   | 0     | lorastream.feedback.segment-examples must be at least 1 (was 0)
            request-max-examples | 0   | lorastream.feedback.request-max-examples must be at least 1 (was 0)
            segment-max-age    | PT0S  | lorastream.feedback.segment-max-age must be a positive duration (was PT0S)
            delete-grace       | -PT1S | lorastream.feedback.delete-grace must not be a negative duration (was PT-1S)
            dataset-retention  | PT0S  | lorastream.feedback.dataset-retention must be a positive duration (was PT0S)
            dataset-max-examples | 0   | lorastream.feedback.dataset-max-examples must be at least 1 (was 0)
            """)
    void aBadFeedbackSettingIsRefusedNamingKeyAndValue(String key, String value, String message) {
        assertThatThrownBy(() -> feedback(Map.of(key, value))).isInstanceOf(ConfigValidationException.class).hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            defaults.min-examples               | 0     | lorastream.training-policy.defaults.min-examples must be at least 1 (was 0)
            defaults.max-wait                   | PT0S  | lorastream.training-policy.defaults.max-wait must be a positive duration (was PT0S)
            defaults.min-interval               | -PT1S | lorastream.training-policy.defaults.min-interval must not be a negative duration (was PT-1S)
            defaults.answer-timeout             | -PT1S | lorastream.training-policy.defaults.answer-timeout must not be a negative duration (was PT-1S)
            defaults.min-examples-after-wait    | 101   | lorastream.training-policy defaults.min-examples-after-wait=101: must be at most min-examples (100)
            tenants."acme".min-examples         | 0     | lorastream.training-policy.tenants.acme.min-examples must be at least 1 (was 0)
            tenants."acme".max-wait             | PT0S  | lorastream.training-policy.tenants.acme.max-wait must be a positive duration (was PT0S)
            tenants."acme".min-examples-after-wait | 300 | lorastream.training-policy tenants."acme".min-examples-after-wait=300: must be at most min-examples (100)
            tenants."acme".answer-timeout       | -PT1S | lorastream.training-policy.tenants.acme.answer-timeout must not be a negative duration (was PT-1S)
            tenants."Not_A_Tenant".min-examples | 5     | lorastream.training-policy.tenants.Not_A_Tenant must match
            """)
    void aBadPolicyIsRefusedNamingKeyAndValue(String key, String value, String message) {
        assertThatThrownBy(() -> policies(Map.of(key, value))).isInstanceOf(ConfigValidationException.class).hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            canary-share         | 1     | lorastream.rollout.canary-share must be less than 1 (was 1.0)
            label-window         | PT0S  | lorastream.rollout.label-window must be a positive duration (was PT0S)
            min-rollback-samples | 101   | lorastream.rollout min-rollback-samples=101: must be between 1 and min-samples (100)
            max-samples          | 99    | lorastream.rollout max-samples=99: must be at least min-samples (100)
            alpha                | 0.5   | lorastream.rollout alpha=0.5: must be in (0, 0.5)
            """)
    void aBadRolloutSettingIsRefusedNamingKeyAndValue(String key, String value, String message) {
        assertThatThrownBy(() -> rollout(Map.of(key, value))).isInstanceOf(ConfigValidationException.class).hasMessageContaining(message);
    }

    @Test
    void aTenantsOwnValuesOverrideTheDefaultsOneByOne() {
        StreamProcessorConfig.Policies policies = policies(Map.of("defaults.min-examples", "100", "defaults.min-examples-after-wait", "30",
                "defaults.max-wait", "PT60S", "defaults.min-interval", "PT30S",
                "tenants.\"big\".max-wait", "PT10M", "tenants.\"small\".min-examples", "10", "tenants.\"eager\".answer-timeout", "PT0S"));
        Duration tenMinutes = Duration.ofMinutes(10);
        assertThat(policies.policy("acme")).isEqualTo(new TrainingPolicy(100, Duration.ofSeconds(60), 30, Duration.ofSeconds(30), tenMinutes));
        assertThat(policies.policy("big")).isEqualTo(new TrainingPolicy(100, Duration.ofMinutes(10), 30, Duration.ofSeconds(30), tenMinutes));
        // lowering min-examples below the default after-wait count lowers that count with it
        assertThat(policies.policy("small")).isEqualTo(new TrainingPolicy(10, Duration.ofSeconds(60), 10, Duration.ofSeconds(30), tenMinutes));
        assertThat(policies.policy("eager")).isEqualTo(new TrainingPolicy(100, Duration.ofSeconds(60), 30, Duration.ofSeconds(30), Duration.ZERO));
    }

    /** POLICY: min-examples 100, max-wait 60 s with 10, min-interval 30 s, answer-timeout 10 min. */
    @ParameterizedTest(name = "{0} new, oldest waited {1} ms, {2} ms since the last request, awaiting its answer {3}: {4}")
    @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
            100 | 0       | 9223372036854775807 | false | MIN_EXAMPLES
            99  | 59999   | 9223372036854775807 | false | none
            10  | 60000   | 9223372036854775807 | false | MAX_WAIT
            9   | 600000  | 9223372036854775807 | false | none
            500 | 600000  | 29999               | false | none
            500 | 600000  | 30000               | false | MIN_EXAMPLES
            0   | 0       | 9223372036854775807 | false | none
            500 | 600000  | 30000               | true  | none
            500 | 600000  | 599999              | true  | none
            500 | 600000  | 600000              | true  | MIN_EXAMPLES
            10  | 600000  | 600000              | true  | MAX_WAIT
            9   | 600000  | 600000              | true  | none
            """)
    void policyDecisions(int newExamples, long oldestWaitedMs, long sinceLastRequestMs, boolean awaitingAnswer, Trigger expected) {
        assertThat(POLICY.decide(newExamples, oldestWaitedMs, sinceLastRequestMs, awaitingAnswer)).isEqualTo(java.util.Optional.ofNullable(expected));
    }

    @Test
    void withAnAnswerTimeoutOfZeroRequestsNeverWaitForAnswers() {
        TrainingPolicy eager = new TrainingPolicy(100, Duration.ofSeconds(60), 10, Duration.ofSeconds(30), Duration.ZERO);
        assertThat(eager.decide(100, 0, 30_000, true)).contains(Trigger.MIN_EXAMPLES);
        assertThat(eager.decide(100, 0, 29_999, true)).isEmpty(); // min-interval still holds
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
