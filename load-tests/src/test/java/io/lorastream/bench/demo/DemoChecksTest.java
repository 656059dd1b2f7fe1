package io.lorastream.bench.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Evidence;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.Evaluation;
import io.lorastream.events.LiveSample;
import io.lorastream.events.RolloutRule;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DemoChecksTest {
    static final RolloutRule RULE = new RolloutRule(100, 30, 1000, 0.01, 0.02, 0.1);
    static final Instant AT = Instant.parse("2026-12-04T12:00:00Z");

    static LiveSample sample(int version, long n, long correct) {
        return new LiveSample(version, n, correct, n == 0 ? null : (double) correct / n);
    }

    static AdapterLifecycle decided(String tenant, int version, Transition transition, int stableAfter, String rule, long cn, long cc, long sn, long sc) {
        return new AdapterLifecycle(tenant, version, transition, stableAfter, "the rule", null,
                new Evidence(rule, sample(version, cn, cc), sample(version - 1, sn, sc), null, RULE.thresholds()), AT);
    }

    static AdapterPublished published(String tenant, int version, double holdout, Double stableHoldout, boolean passed) {
        return new AdapterPublished(tenant, version, version - 1, version - 1, "s3://lorastream/adapters/" + tenant + "/v" + version, null, Map.of(), "r",
                new AdapterPublished.Metrics(new Evaluation(holdout, null, null, 100), stableHoldout == null ? null : new Evaluation(stableHoldout, null, null, 100)),
                new AdapterPublished.Gate(passed, 0.02), AT);
    }

    /** Each row: a decision the rule recorded, its evidence, and whether the recomputed verdict agrees. */
    @ParameterizedTest(name = "{0} {1} on {2}/{3} vs {4}/{5}: violation {6}")
    @CsvSource({
            // the failed CI run's imdb v2: a little worse on live labels, but within the margin: the rule promotes it
            "PROMOTED,    canary, 159, 134, 149, 128, false",
            "PROMOTED,    canary, 100, 92, 500, 450, false",
            "PROMOTED,    canary, 99, 91, 500, 450, true",     // too few labels to promote
            "PROMOTED,    canary, 100, 80, 500, 450, true",    // worse by more than the margin
            "ROLLED_BACK, canary, 30, 3, 300, 270, false",     // the poison, caught at the first roll-back sample size
            "ROLLED_BACK, canary, 29, 3, 300, 270, true",      // one label too early
            "ROLLED_BACK, canary, 100, 92, 500, 450, true",    // a good candidate
            "ROLLED_BACK, canary, 1000, 870, 1000, 900, false", // neither shown worse nor within the margin after max-samples
            "ROLLED_BACK, watch, 30, 3, 300, 270, false",
            "ROLLED_BACK, watch, 100, 90, 300, 270, true",
            "PROMOTED,    watch, 100, 90, 300, 270, true",     // the watch never promotes: it passes
            "WATCH_PASSED, watch, 100, 90, 300, 270, false",
            "WATCH_PASSED, watch, 99, 90, 300, 270, true",     // ended one label early
            "WATCH_PASSED, watch, 100, 10, 300, 270, true",    // shown worse: it had to roll back
            "WATCH_PASSED, canary, 100, 92, 500, 450, true",   // a canary is promoted or rolled back, never 'passed'
    })
    void everyRuleDecisionIsTheVerdictOfItsRecordedEvidence(Transition transition, String rule, long cn, long cc, long sn, long sc, boolean violation) {
        String ruleName = rule.equals("canary") ? RolloutRule.CANARY_RULE : RolloutRule.WATCH_RULE;
        int stableAfter = transition == Transition.ROLLED_BACK ? 1 : 2;
        Optional<String> found = DemoChecks.ruleViolation(decided("imdb-1", 2, transition, stableAfter, ruleName, cn, cc, sn, sc));
        assertThat(found.isPresent()).as(found.orElse("no violation")).isEqualTo(violation);
    }

    @Test
    void aPromotionThatLeavesAnotherVersionStableIsAViolationAndAnAdminsCommandIsNotJudgedByTheRule() {
        assertThat(DemoChecks.ruleViolation(decided("imdb-1", 2, Transition.PROMOTED, 1, RolloutRule.CANARY_RULE, 100, 92, 500, 450)))
                .hasValueSatisfying(v -> assertThat(v).contains("stable is then v1"));
        AdapterLifecycle byAdmin = new AdapterLifecycle("imdb-1", 2, Transition.PROMOTED, 2, "promoted by ops", "cmd-1", null, AT);
        assertThat(DemoChecks.ruleViolation(byAdmin)).isEmpty();
    }

    @ParameterizedTest(name = "gate passed {0}, then {1}: violation {2}")
    @CsvSource({
            "true,  CANARY,   false",
            "true,  PROMOTED, false",
            "true,  REJECTED, true",
            "false, REJECTED, false",
            "false, CANARY,   true",
            "false, PROMOTED, true",
            "false, PINNED,   true",
    })
    void whatTheGateRejectedNeverServes(boolean passed, Transition transition, boolean violation) {
        AdapterLifecycle d = new AdapterLifecycle("yelp-1", 3, transition, 2, "r", null, null, AT);
        List<AdapterPublished> published = List.of(published("yelp-1", 3, 0.6, 0.9, passed));
        assertThat(DemoChecks.gateViolation(d, published).isPresent()).isEqualTo(violation);
        assertThat(DemoChecks.gateViolation(d, List.of())).as("a version published before the run began").isEmpty();
    }

    /** Each row: stable before the steps, the statuses answered, the next request's version and route; how many violations. */
    @ParameterizedTest(name = "stable v{0}: roll-back {1} to v{2}, next v{3} {4}, promote {5}, pin {6} → {7} violations")
    @CsvSource({
            "2, 200, 1, 1, STABLE, 200, 409, 0",
            "3, 202, 1, 3, STABLE, 202, 409, 0",  // serving's command timeout passed: no promise about the next request
            "2, 200, 1, 3, CANARY, 200, 409, 0",  // routed to a canary that arrived meanwhile
            "2, 200, 1, 2, STABLE, 200, 409, 1",  // applied, yet the next request was answered by the old stable
            "1, 409, 0, 1, STABLE, 409, 409, 0",  // the second version was not promoted: v1 is stable already
            "1, 200, 1, 1, STABLE, 409, 409, 1",
            "2, 200, 1, 1, STABLE, 409, 409, 1",
            "2, 200, 1, 1, STABLE, 200, 200, 1",
    })
    void theAdminsStepsAnswerAsDocumented(int before, int rollback, int to, int next, String route, int promote, int pin, int violations) {
        AdminSteps.Outcome outcome = new AdminSteps.Outcome(null, before, rollback, to, next, route, promote, pin);
        assertThat(DemoChecks.adminViolations("amazon-1", outcome)).hasSize(violations);
    }

    @Test
    void expectationsAreReportedAndNeverFailARun() {
        // the failed CI run: imdb v2 promoted within the margin though worse on live and holdout accuracy
        AdapterLifecycle imdb = decided("imdb-1", 2, Transition.PROMOTED, 2, RolloutRule.CANARY_RULE, 159, 134, 149, 128);
        AdapterLifecycle amazon = decided("amazon-1", 2, Transition.PROMOTED, 2, RolloutRule.CANARY_RULE, 100, 89, 110, 91);
        AdapterLifecycle yelp = decided("yelp-1", 2, Transition.ROLLED_BACK, 1, RolloutRule.CANARY_RULE, 1000, 870, 1000, 900);
        AdapterLifecycle poison = decided("yelp-1", 3, Transition.ROLLED_BACK, 1, RolloutRule.CANARY_RULE, 210, 10, 200, 180);
        List<AdapterPublished> published = List.of(published("imdb-1", 2, 0.88, 0.90, true), published("amazon-1", 2, 0.93, 0.94, true),
                published("yelp-1", 2, 0.91, 0.88, true), published("yelp-1", 3, 0.59, 0.36, true));
        DemoChecks.Findings findings = DemoChecks.check(new DemoChecks.Run(List.of("amazon-1", "imdb-1", "yelp-1"), "yelp-1",
                List.of(amazon, imdb, yelp, poison), published, Map.of("amazon-1", amazon, "imdb-1", imdb, "yelp-1", yelp), poison, 210,
                "amazon-1", new AdminSteps.Outcome(null, 2, 200, 1, 1, "STABLE", 200, 409)));
        assertThat(findings.violations()).isEmpty();
        assertThat(findings.expected()).containsEntry("amazon-1.secondBetterLiveOrHoldout", true)
                .containsEntry("imdb-1.secondPromoted", true).containsEntry("imdb-1.secondBetterLiveOrHoldout", false)
                .containsEntry("yelp-1.secondPromoted", false)
                .containsEntry("yelp-1.poisonRolledBackByLiveLabels", true).containsEntry("yelp-1.poisonCaughtWithin200Labels", false)
                .containsEntry("amazon-1.adminRollbackApplied", true);
    }

    static AdapterPublished publishedFrom(String tenant, int version, Integer parent, Integer baseline) {
        return new AdapterPublished(tenant, version, parent, baseline, "s3://lorastream/adapters/" + tenant + "/v" + version, null, Map.of(), "r",
                new AdapterPublished.Metrics(new Evaluation(0.9, null, null, 100), new Evaluation(0.88, null, null, 100)),
                new AdapterPublished.Gate(true, 0.02), AT);
    }

    static AdapterLifecycle atOnce(String tenant, int version, Transition transition) {
        return new AdapterLifecycle(tenant, version, transition, version, "passed the offline gate", null,
                new Evidence(transition == Transition.REJECTED ? RolloutRule.LINEAGE_RULE : "offline gate", null, null, null, Map.of()), AT);
    }

    @Test
    void aVersionTrainedFromOrAgainstARolledBackOneThatServesIsAViolation() {
        AdapterLifecycle poison = decided("yelp-1", 4, Transition.ROLLED_BACK, 3, RolloutRule.WATCH_RULE, 30, 3, 300, 270);
        List<AdapterPublished> published = List.of(publishedFrom("yelp-1", 5, 4, 4), publishedFrom("yelp-1", 6, null, 4),
                publishedFrom("yelp-1", 7, 3, 3), publishedFrom("yelp-1", 8, 4, 4));
        List<AdapterLifecycle> decisions = List.of(atOnce("yelp-1", 4, Transition.PROMOTED), poison, atOnce("yelp-1", 5, Transition.PROMOTED),
                atOnce("yelp-1", 6, Transition.PROMOTED), atOnce("yelp-1", 7, Transition.PROMOTED), atOnce("yelp-1", 8, Transition.REJECTED));
        assertThat(DemoChecks.lineageViolations(decisions, published)).hasSize(2)
                .anySatisfy(v -> assertThat(v).startsWith("yelp-1 v5 (parent v4, baseline v4) was PROMOTED, but v4 had been rolled back"))
                .anySatisfy(v -> assertThat(v).startsWith("yelp-1 v6 (parent vnull, baseline v4)"));
        assertThat(DemoChecks.gateViolation(decisions.get(5), published)).as("rejected for its lineage, not by the gate").isEmpty();

        AdapterLifecycle promotedAgain = new AdapterLifecycle("yelp-1", 4, Transition.PROMOTED, 4, "ops", "cmd-1", null, AT);
        assertThat(DemoChecks.lineageViolations(List.of(poison, promotedAgain, atOnce("yelp-1", 5, Transition.PROMOTED)), published))
                .as("an admin promoted v4 again: it may be built on").isEmpty();
    }
}
