package io.lorastream.bench.demo;

import io.lorastream.bench.StackClient;
import io.lorastream.bench.demo.AdapterEventLog.Progress;
import io.lorastream.bench.demo.DemoData.Tenant;
import io.lorastream.engine.Example;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.AdapterPublished;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The fault suite's poisoned version on a stack with its default settings (no canary): a tenant's first version
 * from honest feedback, labelled live traffic on it, then label-flipped feedback until a version trained on it
 * passes the gate (its holdout is poisoned too) and is promoted at once; live labels must roll it back (the goal:
 * within {@link DemoChecks#POISON_LABELS_GOAL} of its labelled predictions), and the next version that serves
 * must not descend from it. With the demo's phases ({@link LivePhases}, {@link PoisonPhase}) and checks.
 */
public final class PoisonedVersionFault {
    /**
     * What happened.
     *
     * @param poisonEnd      the decision the poison ended with: ROLLED_BACK, or the gate's last rejection
     * @param labels         labelled predictions of the rolled-back version the rule had when it decided (its evidence)
     * @param sentLabels     labelled predictions of it the client had sent by the time it saw the roll-back
     * @param seconds        from its promotion to its roll-back
     * @param next           the first version promoted after the roll-back; null when none came in time
     * @param rolledBack     every version of the tenant rolled back during the run
     * @param violations     what the platform guarantees and the run broke (lineage, the rule's verdicts)
     */
    public record Outcome(AdapterLifecycle poisonEnd, long labels, int sentLabels, double seconds, AdapterPublished next, Set<Integer> rolledBack,
                          List<String> violations) {}

    /** Examples of the tenant's set: honest first, honest after the roll-back, the live pool, then the poison (which wraps round). */
    static final int FIRST = 300;
    static final int AFTER = 300;
    static final int LIVE_POOL = 1_000;
    static final int POISON = 1_000;

    private PoisonedVersionFault() {}

    /** How many examples {@link #run} needs. */
    public static int examplesNeeded() {
        return FIRST + AFTER + LIVE_POOL + POISON;
    }

    public static Outcome run(StackClient client, String ingest, String serving, String tenant, List<Example> examples, int timeoutMinutes)
            throws Exception {
        if (examples.size() < examplesNeeded()) {
            throw new IllegalArgumentException(examples.size() + " examples; the poisoned-version fault needs " + examplesNeeded());
        }
        Progress progress = new Progress();
        Tenant t = new Tenant(tenant, "sst2", List.copyOf(examples.subList(0, examplesNeeded())));
        try (AdapterEventLog events = new AdapterEventLog(client, progress, timeoutMinutes)) {
            DemoStack stack = new DemoStack(client, ingest, serving);
            LivePhases phases = new LivePhases(stack, events, progress, 100, 1_500, FIRST + AFTER);
            stack.sendFeedback(tenant, DemoData.feedback("first", t.examples().subList(0, FIRST), false));
            events.awaitDecision(tenant, v -> v == 1, l -> l.transition() == Transition.PROMOTED);
            stack.awaitServed(events, tenant, 1);
            phases.yardstick(t, 100);

            AdapterLifecycle end = new PoisonPhase(stack, events, phases, progress).run(t, FIRST + AFTER + LIVE_POOL, POISON, new HashMap<>());
            long labels = 0;
            int sentLabels = 0;
            double seconds = -1;
            AdapterPublished next = null;
            if (end.transition() == Transition.ROLLED_BACK) {
                LivePhases.Live live = phases.of(tenant, end.version());
                sentLabels = live == null ? 0 : live.judgedLabels();
                labels = DemoChecks.labelsWhenDecided(end);
                AdapterLifecycle atPromotion = events.decisions.stream()
                        .filter(d -> d.tenant().equals(tenant) && d.version() == end.version() && d.transition() == Transition.PROMOTED)
                        .findFirst().orElse(end);
                seconds = Duration.between(atPromotion.occurredAt(), end.occurredAt()).toMillis() / 1e3;
                progress.log("%s v%d rolled back on %d of its labelled predictions (%d sent by then); %d honest examples more", tenant, end.version(),
                        labels, sentLabels, AFTER);
                stack.sendFeedback(tenant, DemoData.feedback("after", t.examples().subList(FIRST, FIRST + AFTER), false));
                int rolled = end.version();
                AdapterLifecycle served = events.awaitDecision(tenant, v -> v > rolled,
                        l -> l.transition() == Transition.PROMOTED || l.transition() == Transition.CANARY);
                next = events.published(tenant, served.version());
            }
            events.poll();
            List<AdapterLifecycle> decisions = events.decisions.stream().filter(d -> d.tenant().equals(tenant)).toList();
            List<String> violations = new ArrayList<>(DemoChecks.lineageViolations(decisions, events.published));
            decisions.forEach(d -> DemoChecks.ruleViolation(d).ifPresent(violations::add));
            decisions.forEach(d -> DemoChecks.gateViolation(d, events.published).ifPresent(violations::add));
            Set<Integer> rolledBack = decisions.stream().filter(d -> d.transition() == Transition.ROLLED_BACK).map(AdapterLifecycle::version)
                    .collect(Collectors.toCollection(java.util.TreeSet::new));
            return new Outcome(end, labels, sentLabels, seconds, next, rolledBack, violations);
        }
    }
}
