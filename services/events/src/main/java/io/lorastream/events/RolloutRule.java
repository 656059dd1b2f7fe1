package io.lorastream.events;

import java.util.List;
import java.util.Map;

/**
 * When a canary is promoted or rolled back, and when a promoted version is rolled back by the
 * regression watch, from labelled live predictions. The rule, stated:
 * <ul>
 *   <li><b>Roll back</b> as soon as both versions have {@code minRollbackSamples} labelled predictions
 *       and a sequential test says the candidate is less accurate than stable at level {@code alpha}.</li>
 *   <li><b>Promote</b> once both have {@code minSamples} and the candidate is not more than {@code margin}
 *       less accurate than stable (and not shown worse by the test).</li>
 *   <li><b>Roll back</b> a candidate still undecided after {@code maxSamples}: it could not show it is as good.</li>
 * </ul>
 * The regression watch applies the first rule to the promoted version's predictions after promotion
 * against the previous stable's during the canary, and ends after {@code minSamples} without regression.
 *
 * <p>The rule looks again after every label, so a fixed-sample test would be wrong here: a z-test at
 * 1 % checked after each label from 30 to 100 per arm rolls back 6–8 % of candidates exactly as good
 * as stable (RolloutRuleTest simulates it). The test is therefore a mixture sequential probability
 * ratio test (mSPRT; Johari, Pekelis, Walsh, "Always valid inference", 2017) on the difference of the
 * two accuracies θ, normal approximation with the pooled variance V of its estimate θ̂, mixing
 * θ ~ N(0, τ²): Λ = sqrt(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²))). Rolling back the first time
 * θ̂ &lt; 0 and Λ ≥ 1/alpha keeps the chance that an as-good candidate is ever rolled back on evidence
 * at or below alpha however often the rule looks. τ ({@code effectScale}) is the size of difference
 * the test detects fastest.
 *
 * <p>It lives with the event contracts because every decision's {@link AdapterLifecycle.Evidence}
 * records the counts and {@link #thresholds()} it was taken on: anyone holding the event can recompute
 * the verdict with {@link #fromThresholds} (the demo does, for every decision it sees).
 */
public record RolloutRule(int minSamples, int minRollbackSamples, int maxSamples, double alpha, double margin, double effectScale) {
    public static final String CANARY_RULE = "always-valid sequential test (mSPRT, normal mixture) that the candidate is worse, promote within margin";
    /** Not this rule's verdict: a version trained from, or against, a version the rollout rolled back is rejected. */
    public static final String LINEAGE_RULE = "lineage: nothing descends from a rolled-back version";
    public static final String WATCH_RULE = "regression watch: always-valid sequential test (mSPRT) against the previous stable";

    public enum Verdict { WAIT, PROMOTE, ROLL_BACK }

    public RolloutRule {
        require(minRollbackSamples >= 1 && minRollbackSamples <= minSamples, "min-rollback-samples", minRollbackSamples,
                "between 1 and min-samples (" + minSamples + ")");
        require(maxSamples >= minSamples, "max-samples", maxSamples, "at least min-samples (" + minSamples + ")");
        require(alpha > 0 && alpha < 0.5, "alpha", alpha, "in (0, 0.5)");
        require(margin >= 0 && margin < 1, "margin", margin, "in [0, 1)");
        require(effectScale > 0 && effectScale <= 1, "effect-scale", effectScale, "in (0, 1]");
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

    /** The rule whose {@link #thresholds()} a lifecycle event's evidence recorded. */
    public static RolloutRule fromThresholds(Map<String, Double> thresholds) {
        for (String key : List.of("minSamples", "minRollbackSamples", "maxSamples", "alpha", "margin", "effectScale")) {
            if (thresholds == null || thresholds.get(key) == null) {
                throw new IllegalArgumentException("evidence thresholds " + thresholds + ": no " + key);
            }
        }
        return new RolloutRule(thresholds.get("minSamples").intValue(), thresholds.get("minRollbackSamples").intValue(),
                thresholds.get("maxSamples").intValue(), thresholds.get("alpha"), thresholds.get("margin"), thresholds.get("effectScale"));
    }

    public Map<String, Double> thresholds() {
        return Map.of("minSamples", (double) minSamples, "minRollbackSamples", (double) minRollbackSamples,
                "maxSamples", (double) maxSamples, "alpha", alpha, "margin", margin, "effectScale", effectScale);
    }

    private boolean shownWorse(LiveSample a, LiveSample b) {
        return a.predictions() >= minRollbackSamples && b.predictions() >= minRollbackSamples && pWorse(a, b) < alpha;
    }

    /**
     * Always-valid p-value of "a is less accurate than b" at this look: 1/Λ while a's accuracy is the
     * lower, else 1 (see the class comment). The rule acts the first time it falls below alpha, so the
     * running minimum that makes it a p-value across looks need not be kept.
     */
    public double pWorse(LiveSample a, LiveSample b) {
        double difference = accuracy(a) - accuracy(b); // θ̂
        if (difference >= 0 || a.predictions() == 0 || b.predictions() == 0) {
            return 1;
        }
        double pooled = (double) (a.correct() + b.correct()) / (a.predictions() + b.predictions());
        double variance = pooled * (1 - pooled) * (1.0 / a.predictions() + 1.0 / b.predictions()); // V
        double tau2 = effectScale * effectScale;
        double logLambda = 0.5 * Math.log(variance / (variance + tau2))
                + tau2 * difference * difference / (2 * variance * (variance + tau2));
        return Math.min(1, Math.exp(-logLambda));
    }

    public static double accuracy(LiveSample s) {
        return s.predictions() == 0 ? 0 : (double) s.correct() / s.predictions();
    }

    private static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(key + "=" + value + ": must be " + expected);
        }
    }
}
