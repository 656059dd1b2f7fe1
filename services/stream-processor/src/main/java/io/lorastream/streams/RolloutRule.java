package io.lorastream.streams;

import io.lorastream.events.LiveSample;
import java.util.Map;

/**
 * When a canary is promoted or rolled back, and when a promoted version is rolled back by the
 * regression watch, from labelled live predictions. The rule, stated:
 * <ul>
 *   <li><b>Roll back</b> as soon as both versions have {@code minRollbackSamples} labelled predictions
 *       and a one-sided two-proportion z-test says the candidate is less accurate than stable at level
 *       {@code alpha} (pooled standard error; p = Φ(z)).</li>
 *   <li><b>Promote</b> once both have {@code minSamples} and the candidate is not more than {@code margin}
 *       less accurate than stable (and not shown worse by the test).</li>
 *   <li><b>Roll back</b> a candidate still undecided after {@code maxSamples}: it could not show it is as good.</li>
 * </ul>
 * The regression watch applies the first rule to the promoted version's predictions after promotion
 * against the previous stable's during the canary, and ends after {@code minSamples} without regression.
 */
public record RolloutRule(int minSamples, int minRollbackSamples, int maxSamples, double alpha, double margin) {
    public static final String CANARY_RULE = "one-sided two-proportion z-test (pooled), promote within margin";
    public static final String WATCH_RULE = "regression watch: one-sided two-proportion z-test against the previous stable";

    public enum Verdict { WAIT, PROMOTE, ROLL_BACK }

    public RolloutRule {
        require(minRollbackSamples >= 1 && minRollbackSamples <= minSamples, "min-rollback-samples", minRollbackSamples,
                "between 1 and min-samples (" + minSamples + ")");
        require(maxSamples >= minSamples, "max-samples", maxSamples, "at least min-samples (" + minSamples + ")");
        require(alpha > 0 && alpha < 0.5, "alpha", alpha, "in (0, 0.5)");
        require(margin >= 0 && margin < 1, "margin", margin, "in [0, 1)");
    }

    public Verdict canary(LiveSample candidate, LiveSample stable) {
        if (shownWorse(candidate, stable)) {
            return Verdict.ROLL_BACK;
        }
        if (candidate.predictions() >= minSamples && stable.predictions() >= minSamples
                && accuracy(candidate) >= accuracy(stable) - margin) {
            return Verdict.PROMOTE;
        }
        return candidate.predictions() >= maxSamples ? Verdict.ROLL_BACK : Verdict.WAIT;
    }

    /** PROMOTE here means: the watch is over, the promoted version stays. */
    public Verdict watch(LiveSample promoted, LiveSample previousStable) {
        if (shownWorse(promoted, previousStable)) {
            return Verdict.ROLL_BACK;
        }
        return promoted.predictions() >= minSamples ? Verdict.PROMOTE : Verdict.WAIT;
    }

    public Map<String, Double> thresholds() {
        return Map.of("minSamples", (double) minSamples, "minRollbackSamples", (double) minRollbackSamples,
                "maxSamples", (double) maxSamples, "alpha", alpha, "margin", margin);
    }

    private boolean shownWorse(LiveSample a, LiveSample b) {
        return a.predictions() >= minRollbackSamples && b.predictions() >= minRollbackSamples && pWorse(a, b) < alpha;
    }

    /** One-sided p-value of "a is less accurate than b": Φ(z), z = (p_a − p_b) / SE with the pooled proportion. */
    static double pWorse(LiveSample a, LiveSample b) {
        double pa = accuracy(a);
        double pb = accuracy(b);
        double pooled = (double) (a.correct() + b.correct()) / (a.predictions() + b.predictions());
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / a.predictions() + 1.0 / b.predictions()));
        if (se == 0) {
            return pa < pb ? 0 : 1; // both all right or all wrong: only a real difference counts
        }
        return normalCdf((pa - pb) / se);
    }

    static double accuracy(LiveSample s) {
        return s.predictions() == 0 ? 0 : (double) s.correct() / s.predictions();
    }

    /** Φ(z) via erfc (Numerical Recipes' erfcc, fractional error below 1.2e-7). */
    static double normalCdf(double z) {
        double x = Math.abs(z) / Math.sqrt(2);
        double t = 1 / (1 + 0.5 * x);
        double erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return z >= 0 ? 1 - erfc / 2 : erfc / 2;
    }

    private static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("lorastream.rollout." + key + "=" + value + ": must be " + expected);
        }
    }
}
