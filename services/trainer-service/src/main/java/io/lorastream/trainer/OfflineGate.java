package io.lorastream.trainer;

import io.lorastream.events.AdapterPublished;

/**
 * The offline gate on the tenant's holdout: a candidate is rejected when it is more than {@code margin}
 * less accurate than stable <em>and</em> the holdout shows it worse beyond chance. The second part is
 * a one-sided exact McNemar test on the paired predictions: of the examples exactly one of the two gets
 * right, how likely is it that stable gets at least as many as it does if both were equally good
 * (Binomial(discordant, ½))? A holdout of a couple of hundred examples moves a point estimate by two
 * points or more by chance alone, so the margin on its own rejected honest versions (one CI run's demo:
 * 0.9012 vs 0.9302 on 172 examples); a version trained on poison is worse by far and p is tiny.
 */
record OfflineGate(double margin, double alpha) {

    /** @param candidateOnly holdout examples only the candidate gets right; {@code stableOnly} the reverse */
    record Verdict(boolean passed, int candidateOnly, int stableOnly, double pWorse) {}

    /** The event's gate: {@code verdict} null when there was no stable to compare with (passed, no p). */
    AdapterPublished.Gate event(Verdict verdict) {
        return verdict == null
                ? new AdapterPublished.Gate(true, margin, alpha, null)
                : new AdapterPublished.Gate(verdict.passed(), margin, alpha, verdict.pWorse());
    }

    /** From each holdout example's correctness under the candidate and under stable, in the same order. */
    Verdict judge(boolean[] candidateCorrect, boolean[] stableCorrect) {
        if (candidateCorrect.length != stableCorrect.length || candidateCorrect.length == 0) {
            throw new IllegalArgumentException("the gate pairs answers on one holdout: got " + candidateCorrect.length
                    + " candidate and " + stableCorrect.length + " stable answers");
        }
        int candidateOnly = 0;
        int stableOnly = 0;
        int candidateRight = 0;
        int stableRight = 0;
        for (int i = 0; i < candidateCorrect.length; i++) {
            candidateRight += candidateCorrect[i] ? 1 : 0;
            stableRight += stableCorrect[i] ? 1 : 0;
            if (candidateCorrect[i] && !stableCorrect[i]) {
                candidateOnly++;
            } else if (stableCorrect[i] && !candidateCorrect[i]) {
                stableOnly++;
            }
        }
        double p = pWorse(candidateOnly, stableOnly);
        int n = candidateCorrect.length;
        return new Verdict(passes((double) candidateRight / n, (double) stableRight / n, p), candidateOnly, stableOnly, p);
    }

    boolean passes(double candidateAccuracy, double stableAccuracy, double pWorse) {
        return !(candidateAccuracy < stableAccuracy - margin && pWorse < alpha);
    }

    /** P(X ≥ stableOnly) for X ~ Binomial(candidateOnly + stableOnly, ½); 1 with no discordant example. */
    static double pWorse(int candidateOnly, int stableOnly) {
        int n = candidateOnly + stableOnly;
        double tail = 0;
        for (int k = stableOnly; k <= n; k++) {
            tail += Math.exp(logChoose(n, k) - n * Math.log(2));
        }
        return Math.min(1, tail);
    }

    private static double logChoose(int n, int k) {
        double log = 0;
        for (int i = 1; i <= k; i++) {
            log += Math.log(n - k + i) - Math.log(i);
        }
        return log;
    }
}
