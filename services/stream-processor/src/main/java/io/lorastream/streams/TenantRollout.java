package io.lorastream.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.LiveSample;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.RegistryEntry.VersionRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One tenant's rollout, as the state store keeps it: what serves (stable, candidate, an admin's pin), what
 * a roll-back returns to, the labelled live samples of the current phase (a canary, or the watch after a
 * promotion), the versions that may serve again, and the history. {@link #entry} is what the registry
 * publishes of it.
 *
 * @param previousStableSample the previous stable's live sample during the canary that replaced it (the watch's yardstick)
 * @param watching             the promoted version under regression watch; null when none
 * @param pinned               an admin's pin: this version answers all requests until unpinned; null when none
 * @param live                 live samples of the current phase by version
 * @param servable             every gate-passed version still remembered, by number: what promote, pin and roll back may name
 * @param refused              versions a serving replica could not load ({@code adapter-load-failed}): never served again
 * @param stableRecent         the stable's last {@link #RECENT} labelled predictions while no phase measures it, oldest
 *                             first ('1' right, '0' wrong): the yardstick of the watch after a promotion without a canary
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record TenantRollout(String tenant, long revision, VersionRef stable, VersionRef previousStable,
                     LiveSample previousStableSample, VersionRef candidate, Integer watching, VersionRef pinned,
                     Map<Integer, LiveSample> live, Map<Integer, VersionRef> servable, List<RegistryEntry.HistoryItem> history,
                     java.util.Set<Integer> refused, String stableRecent) {
    /** Labelled predictions of the stable kept as the watch's yardstick. */
    static final int RECENT = 200;

    /** Entries keep the latest transitions only: the topic is compacted, the full story is on adapter-events. */
    static final int MAX_HISTORY = 50;

    TenantRollout {
        live = live == null ? Map.of() : Map.copyOf(live);
        servable = servable == null ? Map.of() : Map.copyOf(servable);
        history = history == null ? List.of() : List.copyOf(history);
        stableRecent = stableRecent == null ? "" : stableRecent; // absent in states stored before it existed
        refused = refused == null ? java.util.Set.of() : java.util.Set.copyOf(refused);
    }

    static TenantRollout empty(String tenant) {
        return new TenantRollout(tenant, 0, null, null, null, null, null, null, Map.of(), Map.of(), List.of(), java.util.Set.of(), "");
    }

    boolean knows(int version) {
        return status(version).isPresent();
    }

    /** The version's latest status in the history, if it is still remembered. */
    Optional<AdapterStatus> status(int version) {
        return history.stream().filter(h -> h.version() == version).reduce((a, b) -> b).map(RegistryEntry.HistoryItem::status);
    }

    /** Whether the version was rolled back (and not promoted again since) or refused by a replica: nothing may descend from it. */
    boolean rolledBack(int version) {
        return refused.contains(version) || status(version).filter(s -> s == AdapterStatus.ROLLED_BACK).isPresent();
    }

    Optional<VersionRef> servable(int version) {
        return Optional.ofNullable(servable.get(version));
    }

    LiveSample sample(int version) {
        return live.getOrDefault(version, new LiveSample(version, 0, 0, null));
    }

    long liveLabels() {
        return live.values().stream().mapToLong(LiveSample::predictions).sum();
    }

    TenantRollout withLabel(int version, boolean correct) {
        LiveSample s = sample(version);
        long n = s.predictions() + 1;
        long c = s.correct() + (correct ? 1 : 0);
        Map<Integer, LiveSample> next = new TreeMap<>(live);
        next.put(version, new LiveSample(version, n, c, (double) c / n));
        return new TenantRollout(tenant, revision, stable, previousStable, previousStableSample, candidate, watching, pinned, next, servable, history, refused, stableRecent);
    }

    /** A version a replica could not load: it never serves again (bounded like {@link #servable}). */
    TenantRollout withRefused(int version) {
        java.util.TreeSet<Integer> next = new java.util.TreeSet<>(refused);
        next.add(version);
        while (next.size() > MAX_HISTORY) {
            next.pollFirst();
        }
        return new TenantRollout(tenant, revision, stable, previousStable, previousStableSample, candidate, watching, pinned, live, servable, history,
                next, stableRecent);
    }

    /** The newest version below {@code below} that may serve and no replica refused. */
    Optional<VersionRef> lastLoadableBefore(int below) {
        return servable.values().stream().filter(r -> r.version() < below && !refused.contains(r.version()))
                .max(java.util.Comparator.comparingInt(VersionRef::version));
    }

    /** One more labelled prediction of the stable, outside any phase. */
    TenantRollout withStableOutcome(boolean correct) {
        String recent = stableRecent + (correct ? '1' : '0');
        recent = recent.length() > RECENT ? recent.substring(recent.length() - RECENT) : recent;
        return new TenantRollout(tenant, revision, stable, previousStable, previousStableSample, candidate, watching, pinned, live, servable, history,
                refused, recent);
    }

    /** The stable's recent labelled predictions as a sample. */
    LiveSample stableRecentSample() {
        long n = stableRecent.length();
        long c = stableRecent.chars().filter(ch -> ch == '1').count();
        return new LiveSample(stable.version(), n, c, n == 0 ? null : (double) c / n);
    }

    /** A gate-passed version that may serve, now or after a command. */
    TenantRollout withServable(VersionRef ref) {
        TreeMap<Integer, VersionRef> next = new TreeMap<>(servable);
        next.put(ref.version(), ref);
        while (next.size() > MAX_HISTORY) {
            next.pollFirstEntry();
        }
        return new TenantRollout(tenant, revision, stable, previousStable, previousStableSample, candidate, watching, pinned, live, next, history, refused, stableRecent);
    }

    /** A new revision: the watch is over, the promoted version stays. */
    TenantRollout watchEnded() {
        return new TenantRollout(tenant, revision + 1, stable, previousStable, previousStableSample, candidate, null, pinned, Map.of(), servable, history, refused, stableRecent);
    }

    /** A new revision: each version's history items become one RETIRED item, and none of them is servable any more. */
    TenantRollout retired(List<Integer> versions, Instant at) {
        List<RegistryEntry.HistoryItem> items = new ArrayList<>();
        for (RegistryEntry.HistoryItem h : history) {
            if (!versions.contains(h.version())) {
                items.add(h);
            }
        }
        for (int v : versions) {
            Double holdout = history.stream().filter(h -> h.version() == v && h.holdoutAccuracy() != null).map(RegistryEntry.HistoryItem::holdoutAccuracy)
                    .findFirst().orElse(null);
            items.add(new RegistryEntry.HistoryItem(v, AdapterStatus.RETIRED, at, holdout, null));
        }
        if (items.size() > MAX_HISTORY) {
            items = items.subList(items.size() - MAX_HISTORY, items.size());
        }
        TreeMap<Integer, VersionRef> stillServable = new TreeMap<>(servable);
        versions.forEach(stillServable::remove);
        return new TenantRollout(tenant, revision + 1, stable, previousStable, previousStableSample, candidate, watching, pinned, live, stillServable,
                items, refused, stableRecent);
    }

    /** A new revision with the pin set (or cleared); serving and history otherwise as they are. */
    TenantRollout pinnedTo(VersionRef ref) {
        return new TenantRollout(tenant, revision + 1, stable, previousStable, previousStableSample, candidate, watching, ref, live, servable, history, refused, stableRecent);
    }

    /** A new revision with the live samples so far: the admin API shows a phase in progress. */
    TenantRollout reported() {
        return new TenantRollout(tenant, revision + 1, stable, previousStable, previousStableSample, candidate, watching, pinned, live, servable, history, refused, stableRecent);
    }

    /** A new revision: serving state, phase samples, and one more history item. */
    TenantRollout next(VersionRef stable, VersionRef previousStable, LiveSample previousStableSample,
                       VersionRef candidate, Integer watching, Map<Integer, LiveSample> live, RegistryEntry.HistoryItem item) {
        List<RegistryEntry.HistoryItem> items = new ArrayList<>(history);
        items.add(item);
        if (items.size() > MAX_HISTORY) {
            items = items.subList(items.size() - MAX_HISTORY, items.size());
        }
        // a new stable starts its own yardstick
        String recent = stable != null && this.stable != null && stable.version() == this.stable.version() ? stableRecent : "";
        return new TenantRollout(tenant, revision + 1, stable, previousStable, previousStableSample, candidate, watching, pinned, live, servable, items,
                refused, recent);
    }

    RegistryEntry entry(StreamProcessorConfig.Rollout settings, Instant at) {
        return new RegistryEntry(tenant, revision, stable,
                candidate == null ? null : new RegistryEntry.Candidate(candidate, settings.canaryShare(), settings.shadow()),
                pinned, live.values().stream().sorted(java.util.Comparator.comparingInt(LiveSample::version)).toList(), history, at);
    }
}
