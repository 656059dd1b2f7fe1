package io.lorastream.streams;

import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.EventSerde;
import io.lorastream.events.LiveSample;
import io.lorastream.events.LoraEvent;
import io.lorastream.events.RegistryEntry.VersionRef;
import io.lorastream.events.Topics;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.jboss.logging.Logger;

/**
 * Per tenant and version: {@code PUBLISHED → REJECTED} (offline gate), {@code PUBLISHED → CANARY →
 * PROMOTED | ROLLED_BACK} by {@link RolloutRule} on live labels, and after a promotion the regression
 * watch that can roll back to the previous stable. The first version, and every gate-passed version when
 * {@code canary-share} is 0, is promoted at once. A newer candidate supersedes an undecided one.
 * Every transition is a registry entry and an {@code adapter-lifecycle} event with its evidence; labels
 * that decide nothing only update the store. Event times date everything (a replay gives the same result).
 */
final class RolloutStateMachine implements Processor<String, Object, String, LoraEvent> {
    private static final Logger LOG = Logger.getLogger(RolloutStateMachine.class);

    private final RolloutSettings settings;
    private final RolloutRule rule;
    private final Deserializer<AdapterEvent> decoder = EventSerde.of(AdapterEvent.class, FeedbackDatasets.SOURCE).deserializer();
    private ProcessorContext<String, LoraEvent> context;
    private KeyValueStore<String, TenantRollout> tenants;

    RolloutStateMachine(RolloutSettings settings) {
        this.settings = settings;
        this.rule = settings.rule();
    }

    @Override
    public void init(ProcessorContext<String, LoraEvent> context) {
        this.context = context;
        this.tenants = context.getStateStore(Rollout.STATE_STORE);
    }

    @Override
    public void process(Record<String, Object> record) {
        Instant at = Instant.ofEpochMilli(record.timestamp());
        if (record.value() instanceof Rollout.LiveLabel label) {
            labelled(label, at);
        } else if (record.value() instanceof byte[] bytes) {
            AdapterEvent event;
            try {
                event = decoder.deserialize(Topics.ADAPTER_EVENTS, record.headers(), bytes);
            } catch (RuntimeException e) {
                LOG.errorf("skipped an adapter event that is not a valid event: %s", e.getMessage());
                return;
            }
            if (event instanceof AdapterPublished published) {
                published(published, Instant.ofEpochMilli(Math.max(record.timestamp(), published.publishedAt().toEpochMilli())));
            } // lifecycle events are this machine's own output; load failures do not move the registry
        }
    }

    private void published(AdapterPublished p, Instant at) {
        TenantRollout state = current(p.tenant());
        if (state.knows(p.version())) {
            return; // a redelivered job's event
        }
        VersionRef ref = new VersionRef(p.version(), p.uri(), p.files().get("manifest.json"));
        AdapterLifecycle.Holdout holdout = new AdapterLifecycle.Holdout(p.metrics().candidate(), p.metrics().stable());
        Integer stableVersion = state.stable() == null ? null : state.stable().version();
        if (!p.gate().passed()) {
            TenantRollout next = state.next(state.stable(), state.previousStable(), state.previousStableSample(), state.candidate(),
                    state.watching(), state.live(), p.version(), AdapterStatus.REJECTED, at);
            commit(next, at, new AdapterLifecycle(p.tenant(), p.version(), Transition.REJECTED, stableVersion,
                    String.format(Locale.ROOT, "holdout accuracy %.4f is worse than stable's %.4f by more than the margin %.2f",
                            p.metrics().candidate().accuracy(), p.metrics().stable() == null ? 0 : p.metrics().stable().accuracy(), p.gate().margin()),
                    null, new AdapterLifecycle.Evidence("offline gate", null, null, holdout, Map.of("margin", p.gate().margin())), at));
            return;
        }
        if (state.stable() == null || settings.canaryShare() == 0) {
            String why = state.stable() == null ? "the tenant's first version" : "passed the offline gate; canaries are off (canary-share 0)";
            TenantRollout next = state.next(ref, state.stable(), null, null, null, Map.of(), p.version(), AdapterStatus.PROMOTED, at);
            commit(next, at, new AdapterLifecycle(p.tenant(), p.version(), Transition.PROMOTED, p.version(), why, null,
                    new AdapterLifecycle.Evidence("offline gate", null, null, holdout, Map.of("margin", p.gate().margin())), at));
            return;
        }
        TenantRollout next = state;
        if (state.candidate() != null) {
            next = next.next(state.stable(), state.previousStable(), state.previousStableSample(), null, null, Map.of(),
                    state.candidate().version(), AdapterStatus.SUPERSEDED, at);
        }
        next = next.next(state.stable(), state.previousStable(), state.previousStableSample(), ref, null, Map.of(),
                p.version(), AdapterStatus.CANARY, at);
        commit(next, at, new AdapterLifecycle(p.tenant(), p.version(), Transition.CANARY, stableVersion,
                String.format(Locale.ROOT, "passed the offline gate; %.0f %% of traffic%s until the rule decides", 100 * settings.canaryShare(),
                        settings.shadow() ? " (and shadowing stable)" : ""),
                null, new AdapterLifecycle.Evidence(RolloutRule.CANARY_RULE, null, null, holdout, rule.thresholds()), at));
    }

    private void labelled(Rollout.LiveLabel label, Instant at) {
        TenantRollout state = tenants.get(label.tenant());
        if (state == null || state.stable() == null) {
            return;
        }
        int stable = state.stable().version();
        if (state.candidate() != null && (label.version() == stable || label.version() == state.candidate().version())) {
            canary(state.withLabel(label.version(), label.correct()), at);
        } else if (state.watching() != null && label.version() == state.watching()) {
            watch(state.withLabel(label.version(), label.correct()), at);
        } // else: a label of a version no phase measures changes nothing
    }

    private void canary(TenantRollout state, Instant at) {
        int candidate = state.candidate().version();
        int stable = state.stable().version();
        LiveSample c = state.sample(candidate);
        LiveSample s = state.sample(stable);
        switch (rule.canary(c, s)) {
            case WAIT -> tenants.put(state.tenant(), state);
            case PROMOTE -> {
                TenantRollout next = state.next(state.candidate(), state.stable(), s, null, candidate, Map.of(), candidate, AdapterStatus.PROMOTED, at);
                commit(next, at, lifecycle(state, candidate, Transition.PROMOTED, candidate, String.format(Locale.ROOT,
                        "live accuracy %.4f (%d/%d) is within %.2f of stable's %.4f (%d/%d)", RolloutRule.accuracy(c), c.correct(), c.predictions(),
                        rule.margin(), RolloutRule.accuracy(s), s.correct(), s.predictions()), RolloutRule.CANARY_RULE, c, s, at));
            }
            case ROLL_BACK -> {
                TenantRollout next = state.next(state.stable(), state.previousStable(), state.previousStableSample(), null, null, Map.of(),
                        candidate, AdapterStatus.ROLLED_BACK, at);
                String why = c.predictions() >= rule.maxSamples() && RolloutRule.pWorse(c, s) >= rule.alpha()
                        ? String.format(Locale.ROOT, "not shown within %.2f of stable after %d labelled predictions", rule.margin(), c.predictions())
                        : String.format(Locale.ROOT, "live accuracy %.4f (%d/%d) is worse than stable's %.4f (%d/%d): p = %.2g < alpha %.2g",
                        RolloutRule.accuracy(c), c.correct(), c.predictions(), RolloutRule.accuracy(s), s.correct(), s.predictions(),
                        RolloutRule.pWorse(c, s), rule.alpha());
                commit(next, at, lifecycle(state, candidate, Transition.ROLLED_BACK, stable, why, RolloutRule.CANARY_RULE, c, s, at));
            }
        }
    }

    private void watch(TenantRollout state, Instant at) {
        int watched = state.watching();
        LiveSample w = state.sample(watched);
        LiveSample previous = state.previousStableSample();
        switch (rule.watch(w, previous)) {
            case WAIT -> tenants.put(state.tenant(), state);
            case PROMOTE -> tenants.put(state.tenant(), new TenantRollout(state.tenant(), state.revision(), state.stable(), state.previousStable(),
                    state.previousStableSample(), state.candidate(), null, Map.of(), state.history())); // the watch is over
            case ROLL_BACK -> {
                TenantRollout next = state.next(state.previousStable(), null, null, null, null, Map.of(), watched, AdapterStatus.ROLLED_BACK, at);
                commit(next, at, lifecycle(state, watched, Transition.ROLLED_BACK, state.previousStable().version(), String.format(Locale.ROOT,
                        "after promotion, live accuracy %.4f (%d/%d) is worse than v%d's %.4f (%d/%d) before it: p = %.2g < alpha %.2g",
                        RolloutRule.accuracy(w), w.correct(), w.predictions(), state.previousStable().version(), RolloutRule.accuracy(previous),
                        previous.correct(), previous.predictions(), RolloutRule.pWorse(w, previous), rule.alpha()), RolloutRule.WATCH_RULE, w, previous, at));
            }
        }
    }

    private AdapterLifecycle lifecycle(TenantRollout state, int version, Transition transition, int stableAfter, String reason, String ruleName,
                                       LiveSample candidate, LiveSample stable, Instant at) {
        return new AdapterLifecycle(state.tenant(), version, transition, stableAfter, reason, null,
                new AdapterLifecycle.Evidence(ruleName, candidate, stable, null, rule.thresholds()), at);
    }

    private TenantRollout current(String tenant) {
        TenantRollout state = tenants.get(tenant);
        return state == null ? TenantRollout.empty(tenant) : state;
    }

    private void commit(TenantRollout next, Instant at, AdapterLifecycle event) {
        tenants.put(next.tenant(), next);
        context.forward(new Record<String, LoraEvent>(next.tenant(), next.entry(settings, at), at.toEpochMilli()), Rollout.REGISTRY_SINK);
        context.forward(new Record<String, LoraEvent>(next.tenant(), event, at.toEpochMilli()), Rollout.EVENTS_SINK);
        LOG.infof("%s v%d %s: %s", next.tenant(), event.version(), event.transition(), event.reason());
    }
}
