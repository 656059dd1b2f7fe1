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

/**
 * The canary phases: wait for the gate's word on a tenant's next version and, while it runs as a canary,
 * score live traffic one text per request (routing is per request) and label every prediction with the
 * truth until the rule decides. Each phase of a tenant is judged on a window of texts of its own
 * ({@link DemoData#liveWindow}).
 */
final class Canaries {
    /** The live traffic of one canary: the rule's decision, labels sent in all, and how many of them the canary had answered. */
    record Live(AdapterLifecycle decision, int labels, int canaryLabels) {}

    private final DemoStack stack;
    private final AdapterEventLog events;
    private final Progress progress;
    private final int liveTexts;
    private final int maxLiveLabels;
    private final int sentAsFeedback;
    /** Canary phases with live traffic so far, per tenant: which window of live texts is next. */
    private final Map<String, Integer> phases = new HashMap<>();
    /** Per {@code tenant:vN}, the canary's live traffic. */
    final Map<String, Live> live = new LinkedHashMap<>();

    /** @param sentAsFeedback how many examples at the start of each set are sent as feedback: the texts after them are the live pool */
    Canaries(DemoStack stack, AdapterEventLog events, Progress progress, int liveTexts, int maxLiveLabels, int sentAsFeedback) {
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
     * Waits for the gate's word on the tenant's next version (above {@code after}); a canary gets live
     * traffic until the rule decides. Returns that decision: the gate's, or the rule's on the last
     * candidate (a newer version may supersede the first one meanwhile: the traffic follows it).
     */
    AdapterLifecycle next(Tenant t, int after) throws Exception {
        AdapterLifecycle gate = events.awaitDecision(t.id(), v -> v > after,
                l -> l.transition() == Transition.CANARY || l.transition() == Transition.REJECTED || l.transition() == Transition.PROMOTED);
        if (gate.transition() == Transition.PROMOTED) {
            throw new IllegalStateException(t.id() + " v" + gate.version() + " was promoted without a canary (" + gate.reason()
                    + "): the stack runs with canary-share 0; stop it (./lorastream down) and run the demo again");
        }
        if (gate.transition() != Transition.CANARY) {
            return gate;
        }
        int phase = phases.merge(t.id(), 1, Integer::sum) - 1;
        List<Example> pool = t.examples().subList(sentAsFeedback, t.examples().size());
        if (phase >= pool.size() / liveTexts) {
            progress.log("%s: every window of live texts was used; v%d is judged on texts labelled in an earlier canary", t.id(), gate.version());
        }
        Live traffic = traffic(t, gate.version(), phase, DemoData.liveWindow(pool, phase, liveTexts));
        live.put(t.id() + ":v" + traffic.decision().version(), traffic);
        return traffic.decision();
    }

    /** One text per request, each prediction labelled with the truth, until the rule decides {@code version}. */
    private Live traffic(Tenant t, int version, int phase, List<Example> texts) throws Exception {
        int labels = 0;
        int canary = 0;
        while (labels < maxLiveLabels) {
            Example e = texts.get(labels % texts.size());
            JsonNode prediction = stack.score(t.id(), e.text());
            stack.label(t.id(), new Feedback("live-" + phase + "-" + labels, e.text(), e.label()), prediction.path("predictionId").asText());
            labels++;
            if ("CANARY".equals(prediction.path("route").asText())) {
                canary++;
            }
            events.poll();
            if (labels % 50 == 0) {
                progress.log("%s: %d live predictions labelled, %d of them by the v%d canary", t.id(), labels, canary, version);
            }
            int current = version;
            int newer = events.decisions.stream().filter(d -> d.tenant().equals(t.id()) && d.version() > current && d.commandId() == null
                    && d.transition() == Transition.CANARY).mapToInt(AdapterLifecycle::version).max().orElse(version);
            if (newer != version) {
                progress.log("%s: v%d superseded by v%d (more feedback came meanwhile); labelling goes on for v%d", t.id(), version, newer, newer);
                version = newer;
                canary = 0;
            }
            AdapterLifecycle decided = events.last(t.id(), version, false);
            if (decided != null && (decided.transition() == Transition.PROMOTED || decided.transition() == Transition.ROLLED_BACK)) {
                return new Live(decided, labels, canary);
            }
        }
        int finalVersion = version;
        AdapterLifecycle decided = events.awaitDecision(t.id(), v -> v == finalVersion,
                l -> l.transition() == Transition.PROMOTED || l.transition() == Transition.ROLLED_BACK);
        return new Live(decided, labels, canary);
    }
}
