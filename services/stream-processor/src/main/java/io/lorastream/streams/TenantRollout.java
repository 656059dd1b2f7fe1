package io.lorastream.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.LiveSample;
import io.lorastream.events.RegistryEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One tenant's rollout, as the state store keeps it: what serves (stable, candidate), what a roll-back
 * returns to, the labelled live samples of the current phase (a canary, or the watch after a promotion),
 * and the history. {@link #entry} is what the registry publishes of it.
 *
 * @param previousStableSample the previous stable's live sample during the canary that replaced it (the watch's yardstick)
 * @param watching             the promoted version under regression watch; null when none
 * @param live                 live samples of the current phase by version
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record TenantRollout(String tenant, long revision, RegistryEntry.VersionRef stable, RegistryEntry.VersionRef previousStable,
                     LiveSample previousStableSample, RegistryEntry.VersionRef candidate, Integer watching,
                     Map<Integer, LiveSample> live, List<RegistryEntry.HistoryItem> history) {
    /** Entries keep the latest transitions only: the topic is compacted, the full story is on adapter-events. */
    static final int MAX_HISTORY = 50;

    TenantRollout {
        live = live == null ? Map.of() : Map.copyOf(live);
        history = history == null ? List.of() : List.copyOf(history);
    }

    static TenantRollout empty(String tenant) {
        return new TenantRollout(tenant, 0, null, null, null, null, null, Map.of(), List.of());
    }

    boolean knows(int version) {
        return history.stream().anyMatch(h -> h.version() == version);
    }

    LiveSample sample(int version) {
        return live.getOrDefault(version, new LiveSample(version, 0, 0, null));
    }

    TenantRollout withLabel(int version, boolean correct) {
        LiveSample s = sample(version);
        long n = s.predictions() + 1;
        long c = s.correct() + (correct ? 1 : 0);
        Map<Integer, LiveSample> next = new TreeMap<>(live);
        next.put(version, new LiveSample(version, n, c, (double) c / n));
        return new TenantRollout(tenant, revision, stable, previousStable, previousStableSample, candidate, watching, next, history);
    }

    /** A new revision: serving state, phase samples, and one more history item. */
    TenantRollout next(RegistryEntry.VersionRef stable, RegistryEntry.VersionRef previousStable, LiveSample previousStableSample,
                       RegistryEntry.VersionRef candidate, Integer watching, Map<Integer, LiveSample> live,
                       int version, AdapterStatus status, Instant at) {
        List<RegistryEntry.HistoryItem> items = new ArrayList<>(history);
        items.add(new RegistryEntry.HistoryItem(version, status, at));
        if (items.size() > MAX_HISTORY) {
            items = items.subList(items.size() - MAX_HISTORY, items.size());
        }
        return new TenantRollout(tenant, revision + 1, stable, previousStable, previousStableSample, candidate, watching, live, items);
    }

    RegistryEntry entry(RolloutSettings settings, Instant at) {
        return new RegistryEntry(tenant, revision, stable,
                candidate == null ? null : new RegistryEntry.Candidate(candidate, settings.canaryShare(), settings.shadow()),
                null, history, at);
    }
}
