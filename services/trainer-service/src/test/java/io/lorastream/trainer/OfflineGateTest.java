package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

class OfflineGateTest {
    final OfflineGate gate = new OfflineGate(0.02, 0.01);

    @Test
    void theMcNemarTailAgreesWithExactBinomialSums() {
        // Python: sum(math.comb(n, k) for k in range(stableOnly, n + 1)) / 2**n
        assertThat(OfflineGate.pWorse(7, 12)).isCloseTo(0.1796417236328125, offset(1e-12));
        assertThat(OfflineGate.pWorse(2, 15)).isCloseTo(0.0011749267578125, offset(1e-12));
        assertThat(OfflineGate.pWorse(5, 5)).isCloseTo(0.623046875, offset(1e-12));
        assertThat(OfflineGate.pWorse(0, 30)).isCloseTo(9.313225746154785e-10, offset(1e-18));
        assertThat(OfflineGate.pWorse(30, 0)).isEqualTo(1.0);
        assertThat(OfflineGate.pWorse(0, 0)).as("no discordant example: no evidence").isEqualTo(1.0);
    }

    @Test
    void aCandidateIsRejectedOnlyWhenWorseByTheMarginAndBeyondChance() {
        assertThat(gate.passes(0.9012, 0.9302, 0.18)).as("the CI run's honest version: 2.9 points down, p = 0.18").isTrue();
        assertThat(gate.passes(0.5000, 0.9000, 1e-9)).as("poisoned").isFalse();
        assertThat(gate.passes(0.8900, 0.9000, 1e-4)).as("shown worse, but within the margin").isTrue();
        assertThat(gate.passes(0.9500, 0.9000, 1.0)).isTrue();
    }

    @Test
    void theVerdictCountsTheExamplesOnlyOneOfTheTwoGetsRight() {
        // 40 examples: both right on 20, only stable on 15, only the candidate on 2, both wrong on 3
        boolean[] candidate = new boolean[40];
        boolean[] stable = new boolean[40];
        for (int i = 0; i < 40; i++) {
            candidate[i] = i < 20 || (i >= 35 && i < 37);
            stable[i] = i < 35;
        }
        OfflineGate.Verdict verdict = gate.judge(candidate, stable);
        assertThat(verdict.candidateOnly()).isEqualTo(2);
        assertThat(verdict.stableOnly()).isEqualTo(15);
        assertThat(verdict.pWorse()).isCloseTo(0.0011749267578125, offset(1e-12));
        assertThat(verdict.passed()).as("0.55 vs 0.875 and p = 0.0012").isFalse();

        assertThat(gate.event(verdict)).isEqualTo(new io.lorastream.events.AdapterPublished.Gate(false, 0.02, 0.01, verdict.pWorse()));
        assertThat(gate.event(null)).as("no stable to compare with")
                .isEqualTo(new io.lorastream.events.AdapterPublished.Gate(true, 0.02, 0.01, null));

        OfflineGate.Verdict swapped = gate.judge(stable, candidate);
        assertThat(swapped.candidateOnly()).isEqualTo(15);
        assertThat(swapped.passed()).isTrue();
    }

    @Test
    void answersFromDifferentHoldoutsAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gate.judge(new boolean[3], new boolean[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 candidate and 4 stable");
    }
}
