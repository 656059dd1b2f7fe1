package io.lorastream.bench.demo;

import io.lorastream.bench.demo.AdapterEventLog.Progress;
import io.lorastream.bench.demo.DemoData.Tenant;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.RolloutRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Label-flipped feedback for one tenant, then its versions judged on live labels as any other, until live labels
 * roll one back or the gate has rejected {@link #MAX_MORE_POISON} + 1 of them. The demo's phase 3 and the fault
 * suite's poisoned version under default settings.
 */
final class PoisonPhase {
    /** Rounds of more poison after the gate rejected a poisoned version, before giving up on showing a roll-back. */
    static final int MAX_MORE_POISON = 3;

    private final DemoStack stack;
    private final AdapterEventLog events;
    private final LivePhases phases;
    private final Progress progress;

    PoisonPhase(DemoStack stack, AdapterEventLog events, LivePhases phases, Progress progress) {
        this.stack = stack;
        this.events = events;
        this.phases = phases;
        this.progress = progress;
    }

    /**
     * @param from     where in the tenant's set the flipped examples start (round the file as often as it takes)
     * @param examples how many flipped examples go first; each further round sends half as many
     * @return the last decision: the roll-back, or the gate's last rejection
     */
    AdapterLifecycle run(Tenant poisoned, int from, int examples, Map<String, Object> summary) throws Exception {
        int lastBeforePoison = Math.max(events.lastPublished(poisoned.id()), 1);
        stack.sendFeedback(poisoned.id(), DemoData.feedback("poison", DemoData.cycling(poisoned, from, examples), true));
        AdapterLifecycle bad = phases.next(poisoned, lastBeforePoison);
        List<String> rejected = new ArrayList<>();
        for (int more = 0; bad.transition() != Transition.ROLLED_BACK; ) {
            if (bad.transition() != Transition.REJECTED) {
                // the tenant's honest live labels were already waiting: the first request after the poison may hold them and only
                // the first poisoned shards; judged on live labels like any other. The rest of the poison comes in the next request.
                progress.log("%s v%d (the waiting honest labels and the first poisoned shards) was kept on live labels; the rest of the poison is next",
                        poisoned.id(), bad.version());
                summary.put(poisoned.id() + ".keptMeanwhile", "v" + bad.version());
            } else if (bad.evidence() != null && RolloutRule.LINEAGE_RULE.equals(bad.evidence().rule())) {
                progress.log("%s v%d was rejected: %s", poisoned.id(), bad.version(), bad.reason());
            } else {
                // the gate caught a version trained on the poison while the holdout was still mostly honest; the poison goes on
                // until the holdout is poisoned too and only live labels can tell: the roll-back this phase is for
                rejected.add("v" + bad.version());
                if (more++ == MAX_MORE_POISON) {
                    break;
                }
                progress.log("%s v%d was rejected by the offline gate; %d more label-flipped examples, until the holdout is poisoned too",
                        poisoned.id(), bad.version(), examples / 2);
                stack.sendFeedback(poisoned.id(), DemoData.feedback("poison-" + more,
                        DemoData.cycling(poisoned, from + examples + (more - 1) * (examples / 2), examples / 2), true));
            }
            bad = phases.next(poisoned, bad.version());
        }
        if (!rejected.isEmpty()) {
            summary.put(poisoned.id() + ".rejectedByGate", String.join(" ", rejected));
        }
        return bad;
    }
}
