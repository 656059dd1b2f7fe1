package io.lorastream.streams;

import io.lorastream.events.RolloutRule;
import io.lorastream.events.AdapterCommand;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLoadFailed;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.AdapterRetired;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.EventSerde;
import io.lorastream.events.LiveSample;
import io.lorastream.events.LoraEvent;
import io.lorastream.events.RegistryEntry.HistoryItem;
import io.lorastream.events.RegistryEntry.VersionRef;
import io.lorastream.events.Topics;
import java.time.Instant;
import java.util.List;
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
 * Admin commands (adapter-commands) promote, roll back, pin and unpin, or are refused with the reason
 * ({@link #command}). Every transition is a registry entry and an {@code adapter-lifecycle} event with its
 * evidence; labels that decide nothing update the store, and every {@value #LIVE_REPORT_EVERY}th of a phase
 * the registry's live counts. Event times date everything (a replay gives the same result).
 */
final class RolloutStateMachine implements Processor<String, Object, String, LoraEvent> {
    private static final Logger LOG = Logger.getLogger(RolloutStateMachine.class);
    /** How often a phase in progress shows its live counts on the registry (in labels). */
    static final int LIVE_REPORT_EVERY = 10;

    private final StreamProcessorConfig.Rollout settings;
    private final RolloutRule rule;
    private final Deserializer<AdapterEvent> decoder = EventSerde.of(AdapterEvent.class, FeedbackDatasets.SOURCE).deserializer();
    private final Deserializer<AdapterCommand> commands = EventSerde.of(AdapterCommand.class, FeedbackDatasets.SOURCE).deserializer();
    /** LiveAccuracy's predictions waiting for labels: this machine only removes an offboarded tenant's. */
    private org.apache.kafka.streams.state.WindowStore<String, String> predictions;
    private ProcessorContext<String, LoraEvent> context;
    private KeyValueStore<String, TenantRollout> tenants;

    RolloutStateMachine(StreamProcessorConfig.Rollout settings) {
        this.settings = settings;
        this.rule = settings.rule();
    }

    @Override
    public void init(ProcessorContext<String, LoraEvent> context) {
        this.context = context;
        this.tenants = context.getStateStore(Rollout.STATE_STORE);
        this.predictions = context.getStateStore(Rollout.PREDICTIONS_STORE);
    }

    @Override
    public void process(Record<String, Object> record) {
        Instant at = Instant.ofEpochMilli(record.timestamp());
        if (record.value() instanceof Rollout.LiveLabel label) {
            labelled(label, at);
            return;
        }
        if (!(record.value() instanceof byte[] bytes)) {
            return;
        }
        String topic = context.recordMetadata().map(m -> m.topic()).orElse(Topics.ADAPTER_EVENTS);
        try {
            if (topic.equals(Topics.ADAPTER_COMMANDS)) {
                command(commands.deserialize(topic, record.headers(), bytes), at);
            } else {
                AdapterEvent event = decoder.deserialize(topic, record.headers(), bytes);
                if (event instanceof AdapterPublished published) {
                    published(published, Instant.ofEpochMilli(Math.max(record.timestamp(), published.publishedAt().toEpochMilli())));
                } else if (event instanceof AdapterLoadFailed failed) {
                    loadFailed(failed, at);
                } else if (event instanceof AdapterRetired retired) {
                    retired(retired, at);
                } else if (event instanceof io.lorastream.events.TenantOffboarded offboarded) {
                    offboarded(offboarded, at);
                }
            } // lifecycle events are this machine's own output
        } catch (RuntimeException e) {
            // serving validates commands before sending them: an invalid record here has no command id to answer
            LOG.errorf("skipped a record on %s that is not a valid event: %s", topic, e.getMessage());
        }
    }

    /**
     * A serving replica could not load a version (its files do not match its manifest, are cut short, or are
     * for another base): evidence as final as a failed gate. The version never serves again; a candidate is
     * rolled back; a stable falls back to the last version no replica refused (the previous stable first).
     */
    private void loadFailed(AdapterLoadFailed failed, Instant at) {
        TenantRollout state = current(failed.tenant());
        int v = failed.version();
        if (state.refused().contains(v) || !state.knows(v)) {
            if (!state.knows(v)) {
                LOG.warnf("%s: replica %s refused v%d, a version this machine does not know", failed.tenant(), failed.replica(), v);
            }
            return; // another replica's report of the same version
        }
        state = state.withRefused(v);
        String why = "replica " + failed.replica() + " could not load it: " + failed.reason();
        if (state.candidate() != null && state.candidate().version() == v) {
            TenantRollout next = state.next(state.stable(), state.previousStable(), state.previousStableSample(), null, null, Map.of(),
                    new HistoryItem(v, AdapterStatus.ROLLED_BACK, at, null, state.live().get(v)));
            commit(next, at, new AdapterLifecycle(failed.tenant(), v, Transition.ROLLED_BACK, state.stable().version(), why, null, null, at));
            return;
        }
        if (state.stable() != null && state.stable().version() == v) {
            VersionRef back = state.previousStable() != null && !state.refused().contains(state.previousStable().version())
                    ? state.previousStable() : state.lastLoadableBefore(v).orElse(null);
            if (back == null) {
                tenants.put(state.tenant(), state);
                LOG.errorf("%s: replica %s could not load the stable v%d, and no earlier version is left to fall back to: %s",
                        failed.tenant(), failed.replica(), v, failed.reason());
                return;
            }
            TenantRollout next = state.next(back, null, null, state.candidate(), null, Map.of(),
                    new HistoryItem(v, AdapterStatus.ROLLED_BACK, at, null, state.live().get(v)));
            commit(next, at, new AdapterLifecycle(failed.tenant(), v, Transition.ROLLED_BACK, back.version(), why + "; back to v" + back.version(),
                    null, null, at));
            return;
        }
        tenants.put(state.tenant(), state); // not serving now: it just never will
    }

    /**
     * Retention deleted these versions: each one's history becomes a single RETIRED item (so the bounded history is not
     * filled by retirements), and it is no longer servable (promote and pin refuse it). The trainer never retires what
     * serves; should a report name it anyway, it is left as it is and logged.
     */
    private void retired(AdapterRetired r, Instant at) {
        TenantRollout state = current(r.tenant());
        java.util.Set<Integer> serving = new java.util.HashSet<>();
        for (VersionRef ref : java.util.Arrays.asList(state.stable(), state.candidate(), state.pinned())) {
            if (ref != null) {
                serving.add(ref.version());
            }
        }
        List<Integer> gone = r.versions().stream().filter(v -> state.knows(v) && !serving.contains(v)
                && state.status(v).filter(s -> s == AdapterStatus.RETIRED).isEmpty()).toList();
        r.versions().stream().filter(serving::contains).forEach(v ->
                LOG.errorf("%s: retention reports v%d retired, but it serves (stable, candidate or pinned); left as it is", r.tenant(), v));
        if (gone.isEmpty()) {
            return;
        }
        TenantRollout next = state.retired(gone, at);
        tenants.put(next.tenant(), next);
        context.forward(new Record<String, LoraEvent>(next.tenant(), next.entry(settings, at), at.toEpochMilli()), Rollout.REGISTRY_SINK);
        LOG.infof("%s: v%s retired (%s)", r.tenant(), gone, r.reason());
    }

    private static Map<String, Double> gateThresholds(AdapterPublished.Gate gate) {
        return gate.alpha() == null ? Map.of("margin", gate.margin()) : Map.of("margin", gate.margin(), "alpha", gate.alpha());
    }

    private void published(AdapterPublished p, Instant at) {
        TenantRollout state = current(p.tenant());
        if (state.knows(p.version())) {
            return; // a redelivered job's event
        }
        VersionRef ref = new VersionRef(p.version(), p.uri(), p.files().get("manifest.json"));
        AdapterLifecycle.Holdout holdout = new AdapterLifecycle.Holdout(p.metrics().candidate(), p.metrics().stable());
        double holdoutAccuracy = p.metrics().candidate().accuracy();
        Integer stableVersion = state.stable() == null ? null : state.stable().version();
        Integer inherited = p.parentVersion() != null && state.rolledBack(p.parentVersion()) ? p.parentVersion()
                : p.baselineVersion() != null && state.rolledBack(p.baselineVersion()) ? p.baselineVersion() : null;
        if (inherited != null) {
            // its job started while that version was stable, and the rollout rolled it back before this one arrived
            // (the trainer checks before it publishes; this closes the race): it would hand a rolled-back line on
            TenantRollout next = state.next(state.stable(), state.previousStable(), state.previousStableSample(), state.candidate(),
                    state.watching(), state.live(), new HistoryItem(p.version(), AdapterStatus.REJECTED, at, holdoutAccuracy, null));
            commit(next, at, new AdapterLifecycle(p.tenant(), p.version(), Transition.REJECTED, stableVersion, String.format(Locale.ROOT,
                    "trained %s v%d, which was rolled back: it would inherit it", inherited.equals(p.parentVersion()) ? "from" : "against",
                    inherited), null, new AdapterLifecycle.Evidence(RolloutRule.LINEAGE_RULE, null, null, holdout, Map.of()), at));
            return;
        }
        if (!p.gate().passed()) {
            TenantRollout next = state.next(state.stable(), state.previousStable(), state.previousStableSample(), state.candidate(),
                    state.watching(), state.live(), new HistoryItem(p.version(), AdapterStatus.REJECTED, at, holdoutAccuracy, null));
            commit(next, at, new AdapterLifecycle(p.tenant(), p.version(), Transition.REJECTED, stableVersion,
                    String.format(Locale.ROOT, "holdout accuracy %.4f is worse than stable's %.4f by more than the margin %.2f%s",
                            holdoutAccuracy, p.metrics().stable() == null ? 0 : p.metrics().stable().accuracy(), p.gate().margin(),
                            p.gate().pWorse() == null ? "" : String.format(Locale.ROOT, " (McNemar p = %.2g < alpha %.2g)", p.gate().pWorse(), p.gate().alpha())),
                    null, new AdapterLifecycle.Evidence("offline gate", null, null, holdout, gateThresholds(p.gate())), at));
            return;
        }
        state = state.withServable(ref);
        if (state.stable() == null || settings.canaryShare() == 0) {
            // without a canary, the regression watch compares the new stable with the old one's last labelled predictions;
            // a stable still under its own watch with too few of them hands on the yardstick it is watched against
            LiveSample yardstick = state.stable() == null ? null : state.stableRecentSample();
            if (yardstick != null && yardstick.predictions() < rule.minRollbackSamples() && state.watching() != null
                    && state.previousStableSample() != null) {
                yardstick = state.previousStableSample();
            }
            boolean watched = yardstick != null && yardstick.predictions() >= rule.minRollbackSamples();
            String why = state.stable() == null ? "the tenant's first version"
                    : watched ? String.format(Locale.ROOT, "passed the offline gate; canaries are off (canary-share 0): watched against v%d's "
                            + "last %d labelled predictions (accuracy %.4f)", yardstick.version(), yardstick.predictions(), yardstick.accuracy())
                    : String.format(Locale.ROOT, "passed the offline gate; canaries are off (canary-share 0), and v%d has %d labelled predictions, "
                            + "fewer than min-rollback-samples (%d): no watch", state.stable().version(), yardstick.predictions(), rule.minRollbackSamples());
            TenantRollout next = state.next(ref, state.stable(), watched ? yardstick : null, null, watched ? p.version() : null, Map.of(),
                    new HistoryItem(p.version(), AdapterStatus.PROMOTED, at, holdoutAccuracy, null));
            commit(next, at, new AdapterLifecycle(p.tenant(), p.version(), Transition.PROMOTED, p.version(), why, null,
                    new AdapterLifecycle.Evidence("offline gate", null, null, holdout, Map.of("margin", p.gate().margin())), at));
            return;
        }
        TenantRollout next = state;
        if (state.candidate() != null) {
            next = next.next(state.stable(), state.previousStable(), state.previousStableSample(), null, null, Map.of(),
                    new HistoryItem(state.candidate().version(), AdapterStatus.SUPERSEDED, at, null, state.sample(state.candidate().version())));
        }
        next = next.next(state.stable(), state.previousStable(), state.previousStableSample(), ref, null, Map.of(),
                new HistoryItem(p.version(), AdapterStatus.CANARY, at, holdoutAccuracy, null));
        commit(next, at, new AdapterLifecycle(p.tenant(), p.version(), Transition.CANARY, stableVersion,
                String.format(Locale.ROOT, "passed the offline gate; %.0f %% of traffic%s until the rule decides", 100 * settings.canaryShare(),
                        settings.shadow() ? " (and shadowing stable)" : ""),
                null, new AdapterLifecycle.Evidence(RolloutRule.CANARY_RULE, null, null, holdout, rule.thresholds()), at));
    }

    private void labelled(Rollout.LiveLabel label, Instant at) {
        TenantRollout state = tenants.get(label.tenant());
        if (state == null || state.stable() == null || state.pinned() != null) {
            return; // while pinned, what serves is the admin's choice: nothing is measured against it
        }
        int stable = state.stable().version();
        if (state.candidate() != null && (label.version() == stable || label.version() == state.candidate().version())) {
            canary(state.withLabel(label.version(), label.correct()), at);
        } else if (state.watching() != null && label.version() == state.watching()) {
            // the watched version is the stable: its labels are also the yardstick of the version after it
            watch(state.withLabel(label.version(), label.correct()).withStableOutcome(label.correct()), at);
        } else if (state.candidate() == null && state.watching() == null && label.version() == stable) {
            tenants.put(state.tenant(), state.withStableOutcome(label.correct())); // the next watch's yardstick
        } // else: a label of a version no phase measures changes nothing
    }

    private void canary(TenantRollout state, Instant at) {
        int candidate = state.candidate().version();
        int stable = state.stable().version();
        LiveSample c = state.sample(candidate);
        LiveSample s = state.sample(stable);
        switch (rule.canary(c, s)) {
            case WAIT -> undecided(state, at);
            case PROMOTE -> {
                TenantRollout next = state.next(state.candidate(), state.stable(), s, null, candidate, Map.of(),
                        new HistoryItem(candidate, AdapterStatus.PROMOTED, at, null, c));
                // "within the margin" only where the candidate is below stable: a far better one is not "within 0.02"
                String relation = RolloutRule.accuracy(c) >= RolloutRule.accuracy(s)
                        ? "is at least" : String.format(Locale.ROOT, "is within %.2f of", rule.margin());
                commit(next, at, lifecycle(state, candidate, Transition.PROMOTED, candidate, String.format(Locale.ROOT,
                        "live accuracy %.4f (%d/%d) %s stable's %.4f (%d/%d)", RolloutRule.accuracy(c), c.correct(), c.predictions(),
                        relation, RolloutRule.accuracy(s), s.correct(), s.predictions()), RolloutRule.CANARY_RULE, c, s, at));
            }
            case ROLL_BACK -> {
                TenantRollout next = state.next(state.stable(), state.previousStable(), state.previousStableSample(), null, null, Map.of(),
                        new HistoryItem(candidate, AdapterStatus.ROLLED_BACK, at, null, c));
                String why = c.predictions() >= rule.maxSamples() && rule.pWorse(c, s) >= rule.alpha()
                        ? String.format(Locale.ROOT, "not shown within %.2f of stable after %d labelled predictions", rule.margin(), c.predictions())
                        : String.format(Locale.ROOT, "live accuracy %.4f (%d/%d) is worse than stable's %.4f (%d/%d): always-valid p = %.2g < alpha %.2g",
                        RolloutRule.accuracy(c), c.correct(), c.predictions(), RolloutRule.accuracy(s), s.correct(), s.predictions(),
                        rule.pWorse(c, s), rule.alpha());
                commit(next, at, lifecycle(state, candidate, Transition.ROLLED_BACK, stable, why, RolloutRule.CANARY_RULE, c, s, at));
            }
        }
    }

    private void watch(TenantRollout state, Instant at) {
        int watched = state.watching();
        LiveSample w = state.sample(watched);
        LiveSample previous = state.previousStableSample();
        switch (rule.watch(w, previous)) {
            case WAIT -> undecided(state, at);
            case PROMOTE -> commit(state.watchEnded(), at, lifecycle(state, watched, Transition.WATCH_PASSED, watched, String.format(Locale.ROOT,
                    "the regression watch is over: live accuracy %.4f (%d/%d) after promotion, not shown worse than v%d's %.4f (%d/%d) before it",
                    RolloutRule.accuracy(w), w.correct(), w.predictions(), previous.version(), RolloutRule.accuracy(previous), previous.correct(),
                    previous.predictions()), RolloutRule.WATCH_RULE, w, previous, at));
            case ROLL_BACK -> {
                TenantRollout next = state.next(state.previousStable(), null, null, null, null, Map.of(),
                        new HistoryItem(watched, AdapterStatus.ROLLED_BACK, at, null, w));
                commit(next, at, lifecycle(state, watched, Transition.ROLLED_BACK, state.previousStable().version(), String.format(Locale.ROOT,
                        "after promotion, live accuracy %.4f (%d/%d) is worse than v%d's %.4f (%d/%d) before it: always-valid p = %.2g < alpha %.2g",
                        RolloutRule.accuracy(w), w.correct(), w.predictions(), previous.version(), RolloutRule.accuracy(previous),
                        previous.correct(), previous.predictions(), rule.pWorse(w, previous), rule.alpha()), RolloutRule.WATCH_RULE, w, previous, at));
            }
        }
    }

    /** A label that decided nothing: kept; every few, the registry shows the counts so far. */
    private void undecided(TenantRollout state, Instant at) {
        if (state.liveLabels() % LIVE_REPORT_EVERY != 0) {
            tenants.put(state.tenant(), state);
            return;
        }
        TenantRollout reported = state.reported();
        tenants.put(reported.tenant(), reported);
        context.forward(new Record<String, LoraEvent>(reported.tenant(), reported.entry(settings, at), at.toEpochMilli()), Rollout.REGISTRY_SINK);
    }

    /**
     * An admin's command, applied or refused with the reason; either way one lifecycle event answers it
     * under its command id. A command's decision is final: automatic rules do not revisit it, except
     * that the rule goes on judging a candidate that a roll-back of stable left in place.
     */
    private void command(AdapterCommand c, Instant at) {
        TenantRollout state = current(c.tenant());
        String refusal = switch (c.action()) {
            case PROMOTE -> promote(state, c, at);
            case ROLLBACK -> rollBack(state, c, at);
            case PIN -> pin(state, c, at);
            case UNPIN -> unpin(state, c, at);
            case OFFBOARD -> null; // feedback-intake forgets the dataset and hands on to the trainer; answered at its tenant-offboarded
            case ERASE -> null; // feedback-intake's, which answers it
        };
        if (refusal != null) {
            int version = c.version() != null ? c.version() : state.stable() != null ? state.stable().version() : 0;
            AdapterLifecycle refused = new AdapterLifecycle(c.tenant(), version, Transition.REFUSED,
                    state.stable() == null ? null : state.stable().version(), refusal, c.commandId(), null, at);
            context.forward(new Record<String, LoraEvent>(c.tenant(), refused, at.toEpochMilli()), Rollout.EVENTS_SINK);
            LOG.infof("%s: refused %s %s from %s: %s", c.tenant(), c.action(), c.version() == null ? "" : "v" + c.version(), c.requestedBy(), refusal);
        }
    }

    /**
     * The trainer deleted an offboarded tenant's adapters: forget the tenant — its rollout state, its predictions waiting for
     * labels — tombstone its registry entry (serving unloads it and drops its metrics), and answer the admin's command.
     */
    private void offboarded(io.lorastream.events.TenantOffboarded done, Instant at) {
        String tenant = done.tenant();
        tenants.delete(tenant);
        List<org.apache.kafka.streams.kstream.Windowed<String>> waiting = new java.util.ArrayList<>();
        try (var it = predictions.all()) {
            it.forEachRemaining(kv -> {
                if (LiveAccuracy.tenantOf(kv.key.key()).equals(tenant)) {
                    waiting.add(kv.key);
                }
            });
        }
        waiting.forEach(w -> predictions.put(w.key(), null, w.window().start()));
        context.forward(new Record<String, LoraEvent>(tenant, null, at.toEpochMilli()), Rollout.REGISTRY_SINK);
        context.forward(new Record<String, LoraEvent>(tenant, new AdapterLifecycle(tenant, 0, Transition.OFFBOARDED, null,
                "offboarded: dataset, " + done.versions().size() + " adapter versions, registry entry, state and metrics removed",
                done.commandId(), null, at), at.toEpochMilli()), Rollout.EVENTS_SINK);
        LOG.infof("%s offboarded (%s): %d adapter versions deleted, registry entry tombstoned, %d waiting predictions dropped",
                tenant, done.commandId(), done.versions().size(), waiting.size());
    }

    private String promote(TenantRollout state, AdapterCommand c, Instant at) {
        int v = c.version();
        String unservable = unservable(state, v);
        if (unservable != null) {
            return unservable;
        }
        if (v == state.stable().version()) {
            return "v" + v + " is stable already";
        }
        VersionRef ref = state.servable(v).orElseThrow();
        VersionRef candidate = state.candidate() != null && state.candidate().version() != v ? state.candidate() : null;
        TenantRollout next = state.next(ref, state.stable(), null, candidate, null, Map.of(),
                new HistoryItem(v, AdapterStatus.PROMOTED, at, null, state.live().get(v)));
        commit(next, at, new AdapterLifecycle(c.tenant(), v, Transition.PROMOTED, v, byAdmin("promoted", c, next), c.commandId(), null, at));
        return null;
    }

    private String rollBack(TenantRollout state, AdapterCommand c, Instant at) {
        if (state.stable() == null) {
            return "tenant " + c.tenant() + " has no versions";
        }
        int stable = state.stable().version();
        if (c.version() == null && state.candidate() != null) { // end the canary
            int candidate = state.candidate().version();
            TenantRollout next = state.next(state.stable(), state.previousStable(), state.previousStableSample(), null, null, Map.of(),
                    new HistoryItem(candidate, AdapterStatus.ROLLED_BACK, at, null, state.live().get(candidate)));
            commit(next, at, new AdapterLifecycle(c.tenant(), candidate, Transition.ROLLED_BACK, stable, byAdmin("candidate rolled back", c, next),
                    c.commandId(), null, at));
            return null;
        }
        VersionRef target;
        if (c.version() == null) {
            if (state.previousStable() == null) {
                return "nothing to roll back to: no previous stable version is known for v" + stable + "; name a version";
            }
            target = state.previousStable();
        } else {
            int v = c.version();
            String unservable = unservable(state, v);
            if (unservable != null) {
                return unservable;
            }
            if (v == stable) {
                return "v" + v + " is stable already";
            }
            if (v > stable) {
                return "v" + v + " is newer than stable v" + stable + ": promote it instead";
            }
            target = state.servable(v).orElseThrow();
        }
        VersionRef candidate = state.candidate() != null && state.candidate().version() != target.version() ? state.candidate() : null;
        TenantRollout next = state.next(target, null, null, candidate, null, Map.of(),
                new HistoryItem(stable, AdapterStatus.ROLLED_BACK, at, null, state.live().get(stable)));
        commit(next, at, new AdapterLifecycle(c.tenant(), stable, Transition.ROLLED_BACK, target.version(),
                byAdmin("rolled back to v" + target.version(), c, next), c.commandId(), null, at));
        return null;
    }

    private String pin(TenantRollout state, AdapterCommand c, Instant at) {
        int v = c.version();
        String unservable = unservable(state, v);
        if (unservable != null) {
            return unservable;
        }
        if (state.pinned() != null && state.pinned().version() == v) {
            return "pinned to v" + v + " already";
        }
        TenantRollout next = state.pinnedTo(state.servable(v).orElseThrow());
        commit(next, at, new AdapterLifecycle(c.tenant(), v, Transition.PINNED, state.stable().version(), byAdmin("pinned", c, next),
                c.commandId(), null, at));
        return null;
    }

    private String unpin(TenantRollout state, AdapterCommand c, Instant at) {
        if (state.pinned() == null) {
            return "tenant " + c.tenant() + " is not pinned";
        }
        TenantRollout next = state.pinnedTo(null);
        commit(next, at, new AdapterLifecycle(c.tenant(), state.pinned().version(), Transition.UNPINNED, state.stable().version(),
                byAdmin("unpinned", c, next), c.commandId(), null, at));
        return null;
    }

    /** Why {@code version} cannot serve, or null when it can. */
    private static String unservable(TenantRollout state, int version) {
        if (state.stable() == null) {
            return "tenant " + state.tenant() + " has no versions";
        }
        if (state.refused().contains(version)) {
            return "v" + version + " could not be loaded by a serving replica: it never serves again";
        }
        if (state.status(version).filter(s -> s == AdapterStatus.REJECTED).isPresent()) {
            return "v" + version + " was rejected by the offline gate: it never serves";
        }
        if (state.status(version).filter(s -> s == AdapterStatus.RETIRED).isPresent()) {
            return "v" + version + " was retired: retention deleted its files";
        }
        if (state.servable(version).isEmpty()) {
            return state.knows(version) ? "v" + version + " is too old: only the last " + TenantRollout.MAX_HISTORY + " versions are kept"
                    : "tenant " + state.tenant() + " has no version v" + version;
        }
        return null;
    }

    private static String byAdmin(String what, AdapterCommand c, TenantRollout after) {
        String pinNote = after.pinned() != null && (after.stable() == null || after.pinned().version() != after.stable().version())
                ? "; pinned to v" + after.pinned().version() + ", which serves until unpinned" : "";
        return what + " by " + c.requestedBy() + (c.reason() == null || c.reason().isBlank() ? "" : ": " + c.reason()) + pinNote;
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
