package io.lorastream.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RolloutRuleTest {
    final RolloutRule rule = new RolloutRule(100, 30, 1000, 0.01, 0.02, 0.1);

    static LiveSample sample(int version, long n, long correct) {
        return new LiveSample(version, n, correct, n == 0 ? null : (double) correct / n);
    }

    @Test
    void theSequentialTestAgreesWithAHandComputation() {
        // 45/60 vs 180/200, τ = 0.1. Python: θ = -0.15, pooled 225/260, V = p(1-p)(1/60+1/200) = 0.0025240385,
        // Λ = sqrt(V/(V+τ²))·exp(τ²θ²/(2V(V+τ²))) = 15.767888, p = 1/Λ = 0.063420035
        assertThat(rule.pWorse(sample(2, 60, 45), sample(1, 200, 180))).isCloseTo(0.063420035, offset(1e-8));
        // the demo run that rolled back an honest canary under the old per-look z-test (p = 0.0099 there): not evidence now
        assertThat(rule.pWorse(sample(2, 105, 86), sample(1, 117, 108))).isCloseTo(0.25463773, offset(1e-7));
        assertThat(rule.pWorse(sample(2, 60, 55), sample(1, 60, 50))).as("the candidate is the better one").isEqualTo(1);
        assertThat(rule.pWorse(sample(2, 60, 60), sample(1, 60, 60))).isEqualTo(1);
    }

    @Test
    void aPoisonedCandidateIsRolledBackAtTheFirstRollbackSampleSize() {
        assertThat(rule.canary(sample(2, 29, 3), sample(1, 300, 270))).as("too few yet").isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.canary(sample(2, 30, 3), sample(1, 300, 270))).isEqualTo(RolloutRule.Verdict.ROLL_BACK);
        assertThat(rule.canary(sample(2, 30, 11), sample(1, 34, 34))).as("the demo's poisoned canaries").isEqualTo(RolloutRule.Verdict.ROLL_BACK);
    }

    @Test
    void aGoodCandidateIsPromotedOnceBothHaveEnoughSamples() {
        assertThat(rule.canary(sample(2, 99, 91), sample(1, 500, 450))).isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.canary(sample(2, 100, 92), sample(1, 500, 450))).isEqualTo(RolloutRule.Verdict.PROMOTE);
        assertThat(rule.canary(sample(2, 100, 89), sample(1, 500, 450))).as("within the margin").isEqualTo(RolloutRule.Verdict.PROMOTE);
        assertThat(rule.canary(sample(2, 150, 130), sample(1, 500, 450)))
                .as("0.867 vs 0.90: not shown worse, not within 2 % either: wait").isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.canary(sample(2, 900, 783), sample(1, 5000, 4500)))
                .as("0.87 vs 0.90 at 900: p = 0.24, not yet evidence").isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.canary(sample(2, 900, 765), sample(1, 5000, 4500)))
                .as("0.85 vs 0.90 at 900: shown worse (p = 5.0e-4)").isEqualTo(RolloutRule.Verdict.ROLL_BACK);
        assertThat(rule.canary(sample(2, 1000, 870), sample(1, 5000, 4500)))
                .as("0.87 vs 0.90, not shown worse (p = 0.18), but not within the margin by max-samples").isEqualTo(RolloutRule.Verdict.ROLL_BACK);
        assertThat(rule.canary(sample(2, 100, 100), sample(1, 100, 100))).isEqualTo(RolloutRule.Verdict.PROMOTE);
    }

    @Test
    void theWatchRollsBackARegressionAndEndsWithoutOne() {
        assertThat(rule.watch(sample(2, 40, 20), sample(1, 300, 270))).isEqualTo(RolloutRule.Verdict.ROLL_BACK);
        assertThat(rule.watch(sample(2, 60, 55), sample(1, 300, 270))).isEqualTo(RolloutRule.Verdict.WAIT);
        assertThat(rule.watch(sample(2, 100, 90), sample(1, 300, 270))).isEqualTo(RolloutRule.Verdict.PROMOTE);
    }

    /**
     * The property the rule is for, simulated as the state machine runs it: labels arrive one at a time,
     * each for the candidate or stable with probability ½, and the rule looks after every one. With both
     * versions equally accurate, at most alpha of the canaries may end rolled back on evidence; a fixed-sample
     * z-test at the same level, looking as often, rolls back several times as many (why it was replaced).
     */
    @Test
    void anAsGoodCandidateIsRolledBackOnEvidenceAtMostAlphaOfTheTimeThoughTheRuleLooksAfterEveryLabel() {
        SplittableRandom random = new SplittableRandom(20261130);
        int runs = 4000;
        int sequential = 0;
        int perLookZ = 0;
        for (int run = 0; run < runs; run++) {
            Outcome o = simulate(random, 0.9, 0.9, 2000);
            sequential += o.rolledBackOnEvidence() ? 1 : 0;
            perLookZ += o.zTestWouldHaveRolledBack() ? 1 : 0;
        }
        double falseRollbacks = (double) sequential / runs;
        double zFalseRollbacks = (double) perLookZ / runs;
        assertThat(falseRollbacks).as("rolled back on evidence, as good as stable").isLessThanOrEqualTo(0.01);
        assertThat(zFalseRollbacks).as("the per-look z-test at 1 % on the same label streams").isGreaterThan(0.03); // 0.072 measured (0.002 for the rule)
    }

    @Test
    void aClearlyWorseCandidateIsStillRolledBackQuickly() {
        SplittableRandom random = new SplittableRandom(7);
        int runs = 1000;
        int within100 = 0;
        for (int run = 0; run < runs; run++) {
            Outcome o = simulate(random, 0.6, 0.95, 400);
            within100 += o.rolledBackOnEvidence() && o.candidateLabels() <= 100 ? 1 : 0;
        }
        assertThat((double) within100 / runs).as("0.60 vs 0.95: rolled back within 100 candidate labels").isGreaterThan(0.95); // 0.994 measured
    }

    record Outcome(boolean rolledBackOnEvidence, boolean zTestWouldHaveRolledBack, long candidateLabels) {}

    /** Labels in random order until the rule decides (or {@code labels} run out); also whether a per-look z-test fired first. */
    private Outcome simulate(SplittableRandom random, double candidateAccuracy, double stableAccuracy, int labels) {
        long cn = 0, cc = 0, sn = 0, sc = 0;
        boolean zFired = false;
        for (int i = 0; i < labels; i++) {
            if (random.nextBoolean()) {
                cn++;
                cc += random.nextDouble() < candidateAccuracy ? 1 : 0;
            } else {
                sn++;
                sc += random.nextDouble() < stableAccuracy ? 1 : 0;
            }
            LiveSample c = sample(2, cn, cc);
            LiveSample s = sample(1, sn, sc);
            zFired |= cn >= 30 && sn >= 30 && zTestP(c, s) < rule.alpha();
            RolloutRule.Verdict v = rule.canary(c, s);
            if (v != RolloutRule.Verdict.WAIT) {
                boolean onEvidence = v == RolloutRule.Verdict.ROLL_BACK && cn < rule.maxSamples();
                return new Outcome(onEvidence, zFired, cn);
            }
        }
        return new Outcome(false, zFired, cn);
    }

    /** The replaced rule: one-sided two-proportion z-test, pooled, p = Φ(z) (Φ via the complementary error function's series). */
    private static double zTestP(LiveSample a, LiveSample b) {
        double pooled = (double) (a.correct() + b.correct()) / (a.predictions() + b.predictions());
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / a.predictions() + 1.0 / b.predictions()));
        if (se == 0) {
            return 1;
        }
        double z = (RolloutRule.accuracy(a) - RolloutRule.accuracy(b)) / se;
        return z >= 0 ? 1 : 0.5 * erfc(-z / Math.sqrt(2));
    }

    private static double erfc(double x) { // Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: ample for "is p below 0.01"
        double t = 1 / (1 + 0.3275911 * x);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        return poly * Math.exp(-x * x);
    }

    @Test
    void invalidSettingsNameTheKey() {
        assertThatThrownBy(() -> new RolloutRule(100, 200, 1000, 0.01, 0.02, 0.1)).hasMessageContaining("min-rollback-samples=200");
        assertThatThrownBy(() -> new RolloutRule(100, 30, 1000, 0.7, 0.02, 0.1)).hasMessageContaining("alpha=0.7");
        assertThatThrownBy(() -> new RolloutRule(100, 30, 1000, 0.01, 0.02, 0)).hasMessageContaining("effect-scale=0.0");
    }

    @Test
    void theRuleIsRebuiltFromTheThresholdsAnEventRecords() throws Exception {
        AdapterLifecycle.Evidence evidence = new AdapterLifecycle.Evidence(RolloutRule.CANARY_RULE, sample(2, 30, 3), sample(1, 30, 29),
                null, rule.thresholds());
        AdapterLifecycle.Evidence read = EventJson.MAPPER.readValue(EventJson.MAPPER.writeValueAsString(evidence), AdapterLifecycle.Evidence.class);
        assertThat(RolloutRule.fromThresholds(read.thresholds())).isEqualTo(rule);
        assertThatThrownBy(() -> RolloutRule.fromThresholds(java.util.Map.of("margin", 0.02))).hasMessageContaining("no minSamples");
    }
}
