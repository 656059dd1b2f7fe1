package io.lorastream.trainer;

import io.lorastream.store.VersionManifest;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Which of a tenant's versions retention deletes, a pure function tested as a table ({@code VersionRetentionTest}).
 * Kept: the newest {@code keepLast} by number (so the newest manifest stays and a number is never taken twice), every
 * version the registry protects (the stable, the candidate, a pinned version, and the versions its history shows
 * promoted — the ones a roll-back may return to), and every version younger than {@code grace}. The rest go.
 */
record VersionRetention(int keepLast, Duration grace) {

    VersionRetention {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keep-versions " + keepLast + ": must be at least 1");
        }
    }

    /** @return the numbers to retire, ascending */
    List<Integer> retire(List<VersionManifest> versions, Set<Integer> protectedByRegistry, Instant now) {
        List<Integer> newest = versions.stream().map(VersionManifest::version).sorted(Comparator.reverseOrder()).limit(keepLast).toList();
        return versions.stream()
                .filter(v -> !newest.contains(v.version()) && !protectedByRegistry.contains(v.version()) && v.createdAt().plus(grace).isBefore(now))
                .map(VersionManifest::version).sorted().toList();
    }
}
