package io.lorastream.trainer;

import io.lorastream.engine.Adapter;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.Example;
import io.lorastream.events.AdapterPublished;
import java.util.List;

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
    record Verdict(boolean passed, int candidateOnly, int stableOnly, double pWorse) {
        AdapterPublished.Gate event(OfflineGate gate) {
            return new AdapterPublished.Gate(passed, gate.margin(), gate.alpha(), pWorse);
        }
    }

    Verdict judge(Adapter candidate, Adapter stable, List<Example> holdout, double candidateAccuracy, double stableAccuracy) {
        List<String> texts = holdout.stream().map(Example::text).toList();
        List<Classifier.Prediction> c = new Classifier(candidate, 64).predict(texts);
        List<Classifier.Prediction> s = new Classifier(stable, 64).predict(texts);
        int candidateOnly = 0;
        int stableOnly = 0;
        for (int i = 0; i < holdout.size(); i++) {
            boolean candidateRight = c.get(i).label().equals(holdout.get(i).label());
            boolean stableRight = s.get(i).label().equals(holdout.get(i).label());
            if (candidateRight && !stableRight) {
                candidateOnly++;
            } else if (stableRight && !candidateRight) {
                stableOnly++;
            }
        }
        double p = pWorse(candidateOnly, stableOnly);
        return new Verdict(passes(candidateAccuracy, stableAccuracy, p), candidateOnly, stableOnly, p);
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
