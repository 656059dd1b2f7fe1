package io.lorastream.bench.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorastream.bench.demo.AdapterEventLog.Progress;
import io.lorastream.bench.demo.DemoData.Feedback;
import io.lorastream.bench.demo.DemoData.Tenant;
import io.lorastream.engine.Example;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The live phases, in which labelled live traffic judges a version the gate passed: a canary when the stack
 * runs with {@code canary-share} above 0, else (the default) the regression watch after the version was
 * promoted at once. Live traffic is scored over REST one text per request (routing is per request) and every
 * prediction is labelled with the truth, until the rule decides. Before a tenant's next version the stable's
 * own labelled traffic is the watch's yardstick ({@link #yardstick}). Each phase of a tenant is judged on a
 * window of texts of its own ({@link DemoData#liveWindow}).
 */
final class LivePhases {
    /** The live traffic of one phase: the rule's decision, labels sent in all, and how many of them the judged version answered. */
    record Live(AdapterLifecycle decision, int labels, int judgedLabels) {}

    /** What ends a phase: the canary promoted or rolled back, the watch passed or rolled back. */
    private static final Set<Transition> ENDS_A_CANARY = Set.of(Transition.PROMOTED, Transition.ROLLED_BACK);
    private static final Set<Transition> ENDS_A_WATCH = Set.of(Transition.WATCH_PASSED, Transition.ROLLED_BACK);

    private final DemoStack stack;
    private final AdapterEventLog events;
    private final Progress progress;
    private final int liveTexts;
    private final int maxLiveLabels;
    private final int sentAsFeedback;
    /** Live phases so far, per tenant: which window of live texts is next. */
    private final Map<String, Integer> phases = new HashMap<>();
    /** Per {@code tenant:vN}, the live traffic of the phase that judged it. */
    final Map<String, Live> live = new LinkedHashMap<>();

    /** @param sentAsFeedback how many examples at the start of each set are sent as feedback: the texts after them are the live pool */
    LivePhases(DemoStack stack, AdapterEventLog events, Progress progress, int liveTexts, int maxLiveLabels, int sentAsFeedback) {
        this.stack = stack;
        this.events = events;
        this.progress = progress;
        this.liveTexts = liveTexts;
        this.maxLiveLabels = maxLiveLabels;
        this.sentAsFeedback = sentAsFeedback;
    }

    Live of(String tenant, int version) {
        return live.get(tenant + ":v" + version);
    }

    /**
     * Labelled live traffic for the tenant's stable, {@code count} predictions: the yardstick the regression watch
     * measures the next version against (it needs at least min-rollback-samples of them).
     */
    void yardstick(Tenant t, int count) throws Exception {
        List<Example> texts = window(t);
        int phase = phases.get(t.id()) - 1;
        for (int i = 0; i < count; i++) {
            scoreAndLabel(t, phase, i, texts.get(i % texts.size()));
            events.poll();
        }
        progress.log("%s: %d live predictions of stable v%d labelled (the watch's yardstick)", t.id(), count, stack.stableVersion(t.id()));
    }

    /**
     * Waits for the gate's word on the tenant's next version (above {@code after}); a canary or a watched promotion
     * gets live traffic until the rule decides. Returns that decision, or the gate's (a rejection; a promotion
     * without a watch, when the stable had too few labels). A newer version may take over the phase meanwhile: the
     * traffic follows it.
     */
    AdapterLifecycle next(Tenant t, int after) throws Exception {
        AdapterLifecycle gate = events.awaitDecision(t.id(), v -> v > after,
                l -> l.transition() == Transition.CANARY || l.transition() == Transition.REJECTED || l.transition() == Transition.PROMOTED);
        boolean watched = gate.transition() == Transition.PROMOTED && gate.reason().contains("watched against");
        if (gate.transition() != Transition.CANARY && !watched) {
            return gate;
        }
        Live traffic = traffic(t, gate, window(t));
        live.put(t.id() + ":v" + traffic.decision().version(), traffic);
        return traffic.decision();
    }

    private List<Example> window(Tenant t) {
        int phase = phases.merge(t.id(), 1, Integer::sum) - 1;
        List<Example> pool = t.examples().subList(sentAsFeedback, t.examples().size());
        if (phase >= pool.size() / liveTexts) {
            progress.log("%s: every window of live texts was used; this phase reuses texts labelled before", t.id());
        }
        return DemoData.liveWindow(pool, phase, liveTexts);
    }

    /** One text per request, each prediction labelled with the truth, until the rule ends the phase {@code started} began. */
    private Live traffic(Tenant t, AdapterLifecycle started, List<Example> texts) throws Exception {
        int phase = phases.get(t.id()) - 1;
        int version = started.version();
        Set<Transition> ends = started.transition() == Transition.CANARY ? ENDS_A_CANARY : ENDS_A_WATCH;
        int labels = 0;
        int judged = 0;
        while (labels < maxLiveLabels) {
            JsonNode prediction = scoreAndLabel(t, phase, labels, texts.get(labels % texts.size()));
            labels++;
            if (prediction.path("version").asInt() == version) {
                judged++;
            }
            events.poll();
            if (labels % 50 == 0) {
                progress.log("%s: %d live predictions labelled, %d of them by v%d", t.id(), labels, judged, version);
            }
            int current = version;
            AdapterLifecycle newer = events.decisions.stream().filter(d -> d.tenant().equals(t.id()) && d.version() > current
                    && d.commandId() == null && (d.transition() == Transition.CANARY
                    || d.transition() == Transition.PROMOTED && d.reason().contains("watched against"))).reduce((a, b) -> b).orElse(null);
            if (newer != null) {
                progress.log("%s: v%d taken over by v%d (more feedback came meanwhile); labelling goes on for v%d", t.id(), version,
                        newer.version(), newer.version());
                version = newer.version();
                ends = newer.transition() == Transition.CANARY ? ENDS_A_CANARY : ENDS_A_WATCH;
                judged = 0;
            }
            AdapterLifecycle decided = ended(t.id(), version, ends);
            if (decided != null) {
                return new Live(decided, labels, judged);
            }
        }
        int finalVersion = version;
        Set<Transition> finalEnds = ends;
        AdapterLifecycle decided = events.awaitDecision(t.id(), v -> v == finalVersion, l -> finalEnds.contains(l.transition()) && l.evidence() != null
                && l.evidence().candidate() != null);
        return new Live(decided, labels, judged);
    }

    /**
     * One live request for the text, and its label: the truth, as feedback naming the prediction. The feedback id is the
     * phase's and the label's number, so no two labels of a run share an id (the stream-processor drops a second copy).
     */
    private JsonNode scoreAndLabel(Tenant t, int phase, int i, Example e) throws Exception {
        JsonNode prediction = stack.score(t.id(), e.text());
        stack.label(t.id(), new Feedback("live-" + phase + "-" + i, e.text(), e.label()), prediction.path("predictionId").asText());
        return prediction;
    }

    /** The rule's decision that ended the version's phase, if it came: one with live evidence. */
    private AdapterLifecycle ended(String tenant, int version, Set<Transition> ends) {
        return events.decisions.stream().filter(d -> d.tenant().equals(tenant) && d.version() == version && d.commandId() == null
                && ends.contains(d.transition()) && d.evidence() != null && d.evidence().candidate() != null).findFirst().orElse(null);
    }
}
