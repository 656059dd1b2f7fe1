package io.lorastream.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.lorastream.events.LiveSample;
import org.junit.jupiter.api.Test;

class RolloutRuleTest {
    final RolloutRule rule = new RolloutRule(100, 30, 1000, 0.01, 0.02);

    static LiveSample sample(int version, long n, long correct) {
        return new LiveSample(version, n, correct, n == 0 ? null : (double) correct / n);
    }

    @Test
    void normalCdfMatchesTheTable() {
        // standard normal table values (independent reference)
        assertThat(RolloutRule.normalCdf(0)).isCloseTo(0.5, offset(1e-7));
        assertThat(RolloutRule.normalCdf(-1.644854)).isCloseTo(0.05, offset(1e-6));
        assertThat(RolloutRule.normalCdf(-2.326348)).isCloseTo(0.01, offset(1e-6));
        assertThat(RolloutRule.normalCdf(1.959964)).isCloseTo(0.975, offset(1e-6));
        assertThat(RolloutRule.normalCdf(-3.090232)).isCloseTo(0.001, offset(1e-6));
    }

    @Test
    void theZTestAgreesWithAHandComputation() {
        // 45/60 vs 180/200: pooled 225/260; SE = sqrt(p(1-p)(1/60+1/200)); z = (0.75-0.9)/SE
        double pooled = 225.0 / 260;
        double z = (0.75 - 0.9) / Math.sqrt(pooled * (1 - pooled) * (1.0 / 60 + 1.0 / 200));
        assertThat(z).isCloseTo(-2.98568, offset(1e-4)); // Python: math.erfc gives p = 0.0014147
        assertThat(RolloutRule.pWorse(sample(2, 60, 45), sample(1, 200, 180))).isCloseTo(RolloutRule.normalCdf(z), offset(1e-12))
                .isCloseTo(0.0014147, offset(1e-6));
    }

    @Test
    void aPoisonedCandidateIsRolledBackAtTheFirstRollbackSampleSize() {
        assertThat(rule.canary(sample(2, 29, 3), sample(1, 300, 270))).as("too few yet").isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.canary(sample(2, 30, 3), sample(1, 300, 270))).isEqualTo(RolloutRule.Verdict.ROLL_BACK);
    }

    @Test
    void aGoodCandidateIsPromotedOnceBothHaveEnoughSamples() {
        assertThat(rule.canary(sample(2, 99, 91), sample(1, 500, 450))).isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.canary(sample(2, 100, 92), sample(1, 500, 450))).isEqualTo(RolloutRule.Verdict.PROMOTE);
        assertThat(rule.canary(sample(2, 100, 89), sample(1, 500, 450))).as("within the margin").isEqualTo(RolloutRule.Verdict.PROMOTE);
        assertThat(rule.canary(sample(2, 150, 130), sample(1, 500, 450)))
                .as("0.867 vs 0.90: not shown worse at 1 %, not within 2 % either: wait").isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.canary(sample(2, 1000, 870), sample(1, 5000, 4500))).as("worse, shown").isEqualTo(RolloutRule.Verdict.ROLL_BACK);
        assertThat(rule.canary(sample(2, 100, 100), sample(1, 100, 100))).isEqualTo(RolloutRule.Verdict.PROMOTE);
    }

    @Test
    void theWatchRollsBackARegressionAndEndsWithoutOne() {
        assertThat(rule.watch(sample(2, 40, 20), sample(1, 300, 270))).isEqualTo(RolloutRule.Verdict.ROLL_BACK);
        assertThat(rule.watch(sample(2, 60, 55), sample(1, 300, 270))).isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.watch(sample(2, 100, 90), sample(1, 300, 270))).isEqualTo(RolloutRule.Verdict.PROMOTE);
    }

    @Test
    void invalidSettingsNameTheKey() {
        assertThatThrownBy(() -> new RolloutRule(100, 200, 1000, 0.01, 0.02)).hasMessageContaining("lorastream.rollout.min-rollback-samples=200");
        assertThatThrownBy(() -> new RolloutRule(100, 30, 1000, 0.7, 0.02)).hasMessageContaining("lorastream.rollout.alpha=0.7");
    }
}
