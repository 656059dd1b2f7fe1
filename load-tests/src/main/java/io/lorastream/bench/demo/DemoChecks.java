package io.lorastream.bench.demo;

import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.LiveSample;
import io.lorastream.events.RolloutRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What one demo run must show, as a pure function of what it recorded. Two kinds of finding:
 * <ul>
 *   <li><b>Violations</b>: what the platform guarantees, whatever the data order, the training or the
 *       thread timing. Every decision of the rollout rule is recomputed from the evidence on its event
 *       (the labelled counts and thresholds) and must be that verdict; a version the gate rejected never
 *       serves; no version trained from or against a version the rollout had rolled back serves; the admin's
 *       commands answer as documented. Any violation fails the run.</li>
 *   <li><b>Expectations</b>: what the demo sets out to show and usually does, but what the rule does not
 *       promise: a rule that promotes a candidate within its margin may promote one slightly worse, and a
 *       test at level alpha may roll back a good one. These are reported (true or false) in the table and
 *       the JSON, and counted by {@code ./lorastream demo --repeat N}; they never fail a run.</li>
 * </ul>
 * A run once failed on an expectation checked as if guaranteed: imdb v2, promoted correctly at 134/159
 * live against stable's 128/149 (within 0.02), was "not better than its first".
 */
final class DemoChecks {
    private DemoChecks() {}

    /**
     * What a run recorded.
     *
     * @param second     per tenant, the decision that ended its phase-2 live phase (or the gate's word)
     * @param poisonEnd  the decision the poisoned phase ended with
     * @param poisonLiveLabels labelled predictions the version of {@code poisonEnd} answered in its live phase (sent, not all seen
     *                         by the rule when it decided); null when it had none
     */
    record Run(List<String> tenants, String poisoned, List<AdapterLifecycle> decisions, List<AdapterPublished> published,
               Map<String, AdapterLifecycle> second, AdapterLifecycle poisonEnd, Integer poisonLiveLabels,
               String adminTenant, AdminSteps.Outcome admin) {}

    record Findings(List<String> violations, Map<String, Boolean> expected) {}

    /** Labelled predictions of the poisoned version it should be caught within (the goal; the rule's own bound is its max-samples). */
    static final int POISON_LABELS_GOAL = 200;

    static Findings check(Run run) {
        List<String> violations = new ArrayList<>();
        Map<String, Boolean> expected = new LinkedHashMap<>();
        for (AdapterLifecycle d : run.decisions()) {
            ruleViolation(d).ifPresent(violations::add);
            gateViolation(d, run.published()).ifPresent(violations::add);
        }
        violations.addAll(lineageViolations(run.decisions(), run.published()));
        violations.addAll(adminViolations(run.adminTenant(), run.admin()));

        for (String t : run.tenants()) {
            AdapterLifecycle d = run.second().get(t);
            AdapterPublished p = published(run.published(), t, d.version());
            boolean promoted = d.transition() == Transition.PROMOTED || d.transition() == Transition.WATCH_PASSED;
            boolean betterLive = d.evidence() != null && d.evidence().candidate() != null && d.evidence().stable() != null
                    && RolloutRule.accuracy(d.evidence().candidate()) > RolloutRule.accuracy(d.evidence().stable());
            boolean betterHoldout = p != null && p.metrics().stable() != null
                    && p.metrics().candidate().accuracy() > p.metrics().stable().accuracy();
            expected.put(t + ".secondPromoted", promoted);
            expected.put(t + ".secondBetterLiveOrHoldout", promoted && (betterLive || betterHoldout));
        }
        expected.put(run.poisoned() + ".poisonRolledBackByLiveLabels", run.poisonEnd().transition() == Transition.ROLLED_BACK);
        expected.put(run.poisoned() + ".poisonCaughtWithin" + POISON_LABELS_GOAL + "Labels",
                run.poisonEnd().transition() == Transition.ROLLED_BACK && labelsWhenDecided(run.poisonEnd()) < POISON_LABELS_GOAL);
        expected.put(run.adminTenant() + ".adminRollbackApplied", run.admin().rollback() == 200);
        return new Findings(violations, expected);
    }

    /**
     * The labelled predictions of the judged version that the rule had when it decided: the measure of how fast a poison is
     * caught. Labels sent meanwhile are not: they reach the rule a few seconds later (ingest, two topics, a join), and a
     * client labelling every 40 ms sends a hundred more in that time. {@link Integer#MAX_VALUE} without live evidence.
     */
    static long labelsWhenDecided(AdapterLifecycle decision) {
        return decision.evidence() == null || decision.evidence().candidate() == null ? Integer.MAX_VALUE
                : decision.evidence().candidate().predictions();
    }

    /** A decision of the rollout rule whose recorded evidence gives another verdict; empty for the rest. */
    static Optional<String> ruleViolation(AdapterLifecycle d) {
        if (d.commandId() != null || d.evidence() == null) {
            return Optional.empty();
        }
        String rule = d.evidence().rule();
        boolean canary = RolloutRule.CANARY_RULE.equals(rule);
        boolean watch = RolloutRule.WATCH_RULE.equals(rule);
        boolean decides = d.transition() == Transition.PROMOTED || d.transition() == Transition.ROLLED_BACK || d.transition() == Transition.WATCH_PASSED;
        if (!decides || !(canary || watch)) {
            return Optional.empty();
        }
        if (canary && d.transition() == Transition.WATCH_PASSED) {
            return Optional.of(d.tenant() + " v" + d.version() + ": a canary's rule does not end a watch");
        }
        LiveSample c = d.evidence().candidate();
        LiveSample s = d.evidence().stable();
        RolloutRule.Verdict verdict = canary ? RolloutRule.fromThresholds(d.evidence().thresholds()).canary(c, s)
                : RolloutRule.fromThresholds(d.evidence().thresholds()).watch(c, s);
        RolloutRule.Verdict recorded = d.transition() == Transition.ROLLED_BACK ? RolloutRule.Verdict.ROLL_BACK : RolloutRule.Verdict.PROMOTE;
        if (watch && d.transition() == Transition.PROMOTED) {
            return Optional.of(d.tenant() + " v" + d.version() + ": the regression watch never promotes; it passes (WATCH_PASSED) or rolls back");
        }
        if (verdict != recorded) {
            return Optional.of(String.format(Locale.ROOT, "%s v%d was %s, but its evidence (%d/%d against %d/%d, %s) gives %s",
                    d.tenant(), d.version(), d.transition(), c.correct(), c.predictions(), s.correct(), s.predictions(), d.evidence().thresholds(),
                    verdict));
        }
        if (d.transition() != Transition.ROLLED_BACK && (d.stableVersion() == null || d.stableVersion() != d.version())) {
            return Optional.of(d.tenant() + " v" + d.version() + " was " + d.transition() + " but stable is then v" + d.stableVersion());
        }
        return Optional.empty();
    }

    /** A rollout decision at odds with the gate's word in the version's adapter-published event; empty for the rest. */
    static Optional<String> gateViolation(AdapterLifecycle d, List<AdapterPublished> published) {
        AdapterPublished p = published(published, d.tenant(), d.version());
        if (p == null) {
            return Optional.empty();
        }
        boolean servesOrWillServe = d.transition() == Transition.CANARY || d.transition() == Transition.PROMOTED || d.transition() == Transition.PINNED;
        if (!p.gate().passed() && servesOrWillServe) {
            return Optional.of(d.tenant() + " v" + d.version() + " failed the offline gate but was " + d.transition());
        }
        boolean byLineage = d.evidence() != null && RolloutRule.LINEAGE_RULE.equals(d.evidence().rule());
        if (p.gate().passed() && d.transition() == Transition.REJECTED && !byLineage) {
            return Optional.of(d.tenant() + " v" + d.version() + " passed the offline gate but was REJECTED");
        }
        return Optional.empty();
    }

    /**
     * Versions trained from, or against, a version the rollout had rolled back before they were published, that the rule then let
     * serve (CANARY or PROMOTED): each is a violation. A version an admin promoted again after its roll-back may be built on.
     */
    static List<String> lineageViolations(List<AdapterLifecycle> decisions, List<AdapterPublished> published) {
        List<String> violations = new ArrayList<>();
        for (int i = 0; i < decisions.size(); i++) {
            AdapterLifecycle d = decisions.get(i);
            AdapterPublished p = published(published, d.tenant(), d.version());
            boolean serves = d.commandId() == null && (d.transition() == Transition.CANARY || d.transition() == Transition.PROMOTED);
            if (p == null || !serves) {
                continue;
            }
            for (Integer from : java.util.Arrays.asList(p.parentVersion(), p.baselineVersion())) {
                if (from != null && rolledBackBefore(decisions.subList(0, i), d.tenant(), from)) {
                    violations.add(String.format(Locale.ROOT, "%s v%d (parent v%s, baseline v%s) was %s, but v%d had been rolled back before",
                            d.tenant(), d.version(), p.parentVersion(), p.baselineVersion(), d.transition(), from));
                    break;
                }
            }
        }
        return violations;
    }

    /** Whether, in these decisions, the version's last roll-back or promotion was a roll-back. */
    private static boolean rolledBackBefore(List<AdapterLifecycle> decisions, String tenant, int version) {
        Transition last = null;
        for (AdapterLifecycle d : decisions) {
            if (d.tenant().equals(tenant) && d.version() == version && (d.transition() == Transition.ROLLED_BACK || d.transition() == Transition.PROMOTED)) {
                last = d.transition();
            }
        }
        return last == Transition.ROLLED_BACK;
    }

    /**
     * The admin's steps against their documented answers. A roll-back to v1 is applied (200; 202 when
     * serving's command timeout passed before the result was served) when stable was a later version, and
     * refused (409, "v1 is stable already") when the tenant's second version was not promoted; after a 200,
     * the next request is answered by v1 unless it was routed to a canary. Promoting the old stable again
     * answers alike. A pin of v99, which does not exist, is refused (409).
     */
    /** What offboarding left of the tenant, or answered otherwise than documented (docs/rollout.md). */
    static List<String> offboardViolations(String tenant, OffboardPhase.Outcome o) {
        List<String> violations = new ArrayList<>();
        if (o.deleteStatus() != 200 && o.deleteStatus() != 202) {
            violations.add("DELETE /v1/tenants/" + tenant + ": HTTP " + o.deleteStatus() + " (expected 200 or 202)");
        }
        if (!o.left().isEmpty()) {
            violations.add("offboarding " + tenant + " left " + o.left().size() + " objects in S3, e.g. " + o.left().get(0));
        }
        if (o.adaptersStatus() != 404 || o.scoreStatus() != 404) {
            violations.add("after offboarding " + tenant + " serving answered its adapters with HTTP " + o.adaptersStatus()
                    + " and a prediction with HTTP " + o.scoreStatus() + " (expected 404 and 404)");
        }
        return violations;
    }

    static List<String> adminViolations(String tenant, AdminSteps.Outcome a) {
        List<String> violations = new ArrayList<>();
        boolean applies = a.stableBefore() > 1;
        if (a.endedCanary() != null && a.endedCanary() != 200 && a.endedCanary() != 202) {
            violations.add("ending the canary of " + tenant + ": HTTP " + a.endedCanary() + " (expected 200 or 202)");
        }
        if (applies ? a.rollback() != 200 && a.rollback() != 202 : a.rollback() != 409) {
            violations.add("roll-back of " + tenant + " from v" + a.stableBefore() + " to v1: HTTP " + a.rollback() + " (expected "
                    + (applies ? "200 or 202" : "409: v1 is stable already") + ")");
        }
        if (a.rollback() == 200 && (a.rollbackTo() != 1 || "STABLE".equals(a.nextRequestRoute()) && a.nextRequestVersion() != 1)) {
            violations.add("roll-back of " + tenant + " to v1 answered 200 with stable v" + a.rollbackTo() + ", and the next request was answered by v"
                    + a.nextRequestVersion() + " (" + a.nextRequestRoute() + ")");
        }
        if (applies ? a.promoteAgain() != 200 && a.promoteAgain() != 202 : a.promoteAgain() != 409) {
            violations.add("promoting " + tenant + " v" + a.stableBefore() + " again: HTTP " + a.promoteAgain() + " (expected "
                    + (applies ? "200 or 202" : "409: it is stable already") + ")");
        }
        if (a.refusedPin() != 409) {
            violations.add("pin " + tenant + " v99 (no such version): HTTP " + a.refusedPin() + " (expected 409)");
        }
        return violations;
    }

    static AdapterPublished published(List<AdapterPublished> published, String tenant, int version) {
        return published.stream().filter(p -> p.tenant().equals(tenant) && p.version() == version).findFirst().orElse(null);
    }
}
