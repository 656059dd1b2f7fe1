package io.lorastream.trainer;

import java.util.OptionalInt;

/**
 * Which version of a tenant the rollout has made stable: the one a new version warm-starts from, replays
 * the data of, and is gated against. The registry ({@link RegistryView}) is the authority; a version that
 * live labels rolled back is never it.
 */
@FunctionalInterface
public interface StableVersions {
    /**
     * The stable version once the rollout has decided on every version up to {@code newestPublished}: a job
     * that starts right after its predecessor was published waits for that decision (the rollout promotes
     * it, or rejects it) instead of racing it.
     *
     * @param newestPublished the tenant's newest published version, 0 for none
     * @return the stable version, empty when the tenant has none
     * @throws Unavailable when the answer cannot be had in time (the broker or the stream-processor is down): retry later
     */
    OptionalInt stable(String tenant, int newestPublished);

    /**
     * The versions retention must keep for the registry, as last read: the stable, the candidate, a pinned version and the
     * versions its history shows promoted. This default knows only the stable (as {@link #stable} last answered).
     */
    default java.util.Set<Integer> protectedVersions(String tenant, int newestPublished) {
        OptionalInt stable = stable(tenant, newestPublished);
        return stable.isPresent() ? java.util.Set.of(stable.getAsInt()) : java.util.Set.of();
    }

    /** Retriable: the registry could not be read up to its current end in time. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
