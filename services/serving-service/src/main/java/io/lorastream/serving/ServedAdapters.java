package io.lorastream.serving;

import io.lorastream.events.AdapterLoadFailed;
import io.lorastream.events.RegistryEntry.VersionRef;
import io.lorastream.store.ObjectStore;
import io.smallrye.mutiny.Uni;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Which version each tenant is served, and hot reload. The registry sets a tenant's target; a
 * background load fetches and checks it, and only then swaps it in ({@link AdapterCache#put}), so a
 * request sees the old version or the new one, never a half-loaded one. A refused version leaves the
 * current one serving and is reported; an S3 outage is retried with backoff while the target stands.
 * An adapter evicted for memory is loaded again by the first request that needs it.
 */
final class ServedAdapters implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ServedAdapters.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final AdapterCache cache;
    private final AdapterLoader loader;
    private final ServingMetrics metrics;
    private final Consumer<AdapterLoadFailed> refusals;
    private final String replica;
    private final Clock clock;
    private final ExecutorService loads;
    /** What the registry says each slot should serve ({@link Slots}: a tenant's stable and candidate). */
    private final Map<String, VersionRef> targets = new ConcurrentHashMap<>();
    /** What each slot serves: swapped in after a successful load (resident or since evicted). */
    private final Map<String, VersionRef> served = new ConcurrentHashMap<>();
    /** Per slot, the end of its chain of background loads: one load at a time per slot, in order. */
    private final Map<String, CompletableFuture<Void>> reloads = new ConcurrentHashMap<>();
    private final Map<String, Object> coldLoadLocks = new ConcurrentHashMap<>();
    /** Per tenant with a candidate, the share of its requests the candidate answers. */
    private final Map<String, Double> canaryShares = new ConcurrentHashMap<>();
    /** Tenants whose candidate shadows stable: it scores every request beside stable and answers none. */
    private final Set<String> shadowing = ConcurrentHashMap.newKeySet();
    /** Per tenant, a version announced on adapter-events and loading ahead of its registry entry. */
    private final Map<String, Staged> staged = new ConcurrentHashMap<>();
    /** Apart from {@link #loads}: a reload waits on a prefetch, and must never wait on its own pool. */
    private final ExecutorService prefetches;

    private record Staged(VersionRef ref, CompletableFuture<ResidentAdapter> load) {
        void discard() {
            load.thenAccept(ResidentAdapter::retire);
        }
    }

    ServedAdapters(AdapterCache cache, AdapterLoader loader, ServingMetrics metrics, Consumer<AdapterLoadFailed> refusals,
                   String replica, int loadThreads, Clock clock) {
        this.cache = cache;
        this.loader = loader;
        this.metrics = metrics;
        this.refusals = refusals;
        this.replica = replica;
        this.clock = clock;
        this.loads = Executors.newFixedThreadPool(loadThreads, daemon("adapter-load"));
        this.prefetches = Executors.newSingleThreadExecutor(daemon("adapter-prefetch"));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * A version was published: start loading it now, so that when the registry names it (the
     * stream-processor's decision comes a little later) the swap does not wait for S3 and the load.
     */
    void prefetch(String tenant, VersionRef ref) {
        if (ref.equals(served.get(tenant)) || ref.equals(targets.get(tenant)) || ref.equals(targets.get(Slots.candidate(tenant)))) {
            return; // the registry got there first: the reload has it
        }
        Staged previous = staged.put(tenant, new Staged(ref, CompletableFuture.supplyAsync(() -> loader.load(Slots.stable(tenant), ref), prefetches)));
        if (previous != null) {
            previous.discard();
        }
    }

    /** The prefetched adapter for exactly {@code wanted}, if its load succeeded; other staged versions of the tenant are dropped. */
    private ResidentAdapter takeStaged(String slot, VersionRef wanted) {
        String tenant = Slots.tenant(slot);
        Staged stage = staged.get(tenant);
        if (stage == null || stage.ref().version() > wanted.version() || !staged.remove(tenant, stage)) {
            return null;
        }
        if (!stage.ref().equals(wanted)) {
            stage.discard();
            return null;
        }
        try {
            ResidentAdapter loaded = stage.load().join();
            return Slots.isCandidate(slot) ? new ResidentAdapter(slot, loaded.ref(), loaded.adapter()) : loaded;
        } catch (RuntimeException failed) {
            return null; // loaded again below: a refusal is reported from there
        }
    }

    /**
     * The registry's word for a tenant: serve {@code ref} (null: nothing any more). Returns when the
     * background reload it started has finished: swapped, refused, or superseded by a newer target.
     */
    CompletableFuture<Void> target(String tenant, VersionRef ref) {
        return targetSlot(Slots.stable(tenant), ref);
    }

    /** The registry's candidate for a tenant (null: none): the share of requests it answers, or shadow (it answers none). */
    CompletableFuture<Void> candidate(String tenant, VersionRef ref, double share, boolean shadow) {
        if (ref == null) {
            canaryShares.remove(tenant);
            shadowing.remove(tenant);
        } else {
            canaryShares.put(tenant, shadow ? 0 : share);
            if (shadow) {
                shadowing.add(tenant);
            } else {
                shadowing.remove(tenant);
            }
        }
        return targetSlot(Slots.candidate(tenant), ref);
    }

    private CompletableFuture<Void> targetSlot(String slot, VersionRef ref) {
        if (ref == null) {
            targets.remove(slot);
            served.remove(slot);
            cache.remove(slot).ifPresent(r -> LOG.infof("%s: no longer in the registry; %s dropped", slot, r));
            return CompletableFuture.completedFuture(null);
        }
        targets.put(slot, ref);
        return reloads.compute(slot, (t, previous) -> (previous == null ? CompletableFuture.<Void>completedFuture(null) : previous)
                .thenRunAsync(() -> reload(t), loads));
    }

    /** Brings the slot to its current target, unless it is there already or the target moves on. */
    private void reload(String slot) {
        String tenant = Slots.tenant(slot);
        VersionRef wanted = targets.get(slot);
        if (wanted == null || wanted.equals(served.get(slot))) {
            return;
        }
        long started = System.nanoTime();
        try {
            ResidentAdapter prefetched = takeStaged(slot, wanted);
            ResidentAdapter loaded = prefetched != null ? prefetched : Uni.createFrom().item(() -> stillWanted(slot, wanted) ? loader.load(slot, wanted) : null)
                    .onFailure(ObjectStore.UnavailableException.class)
                    .invoke(e -> LOG.warnf("%s v%d: %s; retrying with backoff", tenant, wanted.version(), e.getMessage()))
                    .onFailure(ObjectStore.UnavailableException.class).retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                    .await().indefinitely();
            if (loaded == null) {
                return; // superseded while S3 was away
            }
            if (!stillWanted(slot, wanted)) {
                loaded.retire();
                return;
            }
            swap(slot, loaded);
            metrics.loaded(slot, wanted.version(), Duration.ofNanos(System.nanoTime() - started), prefetched != null);
            LOG.infof("%s: now serving v%d (%s in %d ms)", slot, wanted.version(), prefetched != null ? "prefetched, swapped" : "loaded",
                    (System.nanoTime() - started) / 1_000_000);
        } catch (AdapterLoader.RefusedVersionException e) {
            metrics.refused(tenant);
            VersionRef current = served.get(Slots.stable(tenant));
            LOG.errorf("%s: refused v%d, still serving %s: %s", slot, wanted.version(),
                    current == null ? "nothing" : "v" + current.version(), e.getMessage());
            refusals.accept(AdapterLoadFailed.of(tenant, wanted.version(), wanted.uri(), replica,
                    current == null ? null : current.version(), e.getMessage(), clock.instant()));
        } catch (RuntimeException e) {
            metrics.refused(tenant);
            LOG.errorf(e, "%s: loading v%d failed", tenant, wanted.version());
        }
    }

    private boolean stillWanted(String slot, VersionRef ref) {
        return ref.equals(targets.get(slot));
    }

    /** The atomic switch: new requests lease the new version; requests holding the old one finish on it. */
    private void swap(String slot, ResidentAdapter loaded) {
        for (ResidentAdapter evicted : cache.put(loaded)) {
            metrics.evicted();
            LOG.debugf("evicted %s to stay within the cache budget", evicted);
        }
        served.put(slot, loaded.ref());
    }

    /**
     * A lease on the adapter the tenant is served (release it when done). An adapter evicted for memory
     * is loaded again here, once for all requests waiting on it.
     *
     * @throws NoAdapterException the tenant has no version in the registry
     * @throws AdapterNotReadyException its first version is still loading, or S3 failed reloading an evicted one
     */
    ResidentAdapter lease(String tenant) {
        return leaseSlot(Slots.stable(tenant));
    }

    /**
     * The candidate's share of this tenant's requests; 0 without a loaded candidate. Which requests
     * are the candidate's is {@link Scoring}'s call (by request hash).
     */
    double canaryShare(String tenant) {
        return served.containsKey(Slots.candidate(tenant)) ? canaryShares.getOrDefault(tenant, 0.0) : 0;
    }

    /** A lease on the tenant's shadowing candidate; empty without one (or while it loads). */
    Optional<ResidentAdapter> leaseShadow(String tenant) {
        if (!shadowing.contains(tenant) || !served.containsKey(Slots.candidate(tenant))) {
            return Optional.empty();
        }
        try {
            return Optional.of(leaseSlot(Slots.candidate(tenant)));
        } catch (AdapterNotReadyException | NoAdapterException candidateGone) {
            return Optional.empty();
        }
    }

    /** The version a slot serves now (null: none), and the one the registry wants it to: equal once a reload is done. */
    Integer servedVersion(String slot) {
        VersionRef ref = served.get(slot);
        return ref == null ? null : ref.version();
    }

    Integer targetVersion(String slot) {
        VersionRef ref = targets.get(slot);
        return ref == null ? null : ref.version();
    }

    /** A lease on the tenant's candidate, or on its stable version while the candidate is not loaded. */
    ResidentAdapter leaseCandidate(String tenant) {
        try {
            if (served.containsKey(Slots.candidate(tenant))) {
                return leaseSlot(Slots.candidate(tenant));
            }
        } catch (AdapterNotReadyException candidateGone) {
            // swapped out meanwhile: stable answers
        }
        return lease(tenant);
    }

    private ResidentAdapter leaseSlot(String slot) {
        String tenant = Slots.tenant(slot);
        for (int attempt = 0; attempt < 3; attempt++) {
            VersionRef ref = served.get(slot);
            if (ref == null) {
                VersionRef target = targets.get(slot);
                if (target == null) {
                    throw new NoAdapterException(tenant);
                }
                throw new AdapterNotReadyException(tenant + " v" + target.version() + " is still loading");
            }
            Optional<ResidentAdapter> lease = cache.lease(slot);
            if (lease.isPresent()) {
                return lease.get();
            }
            synchronized (coldLoadLocks.computeIfAbsent(slot, t -> new Object())) {
                if (cache.peek(slot).isEmpty() && Objects.equals(served.get(slot), ref)) {
                    metrics.coldLoad();
                    try {
                        ResidentAdapter loaded = loader.load(slot, ref);
                        if (Objects.equals(served.get(slot), ref) && cache.peek(slot).isEmpty()) {
                            swap(slot, loaded);
                        } else {
                            loaded.retire(); // a newer version was swapped in meanwhile
                        }
                    } catch (ObjectStore.UnavailableException | AdapterLoader.RefusedVersionException e) {
                        throw new AdapterNotReadyException(tenant + " v" + ref.version() + " was evicted and loading it again failed: " + e.getMessage());
                    }
                }
            }
        }
        throw new AdapterNotReadyException(tenant + ": its adapter was replaced three times while this request waited");
    }

    /** Resident adapters (stable and candidate slots) and the bytes of their tensors. */
    int residentAdapters() {
        return cache.size();
    }

    long residentBytes() {
        return cache.bytes();
    }

    int tenantsServed() {
        return (int) served.keySet().stream().filter(slot -> !Slots.isCandidate(slot)).count();
    }

    @Override
    public void close() {
        prefetches.shutdownNow();
        loads.shutdownNow();
        try {
            loads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        staged.values().forEach(Staged::discard);
        cache.clear();
    }

    /** 404: nothing to serve this tenant with (a base-model guess would be no answer). */
    static final class NoAdapterException extends RuntimeException {
        NoAdapterException(String tenant) {
            super("tenant " + tenant + " has no adapter yet: send labelled feedback and wait for its first version");
        }
    }

    /** 503, retriable. */
    static final class AdapterNotReadyException extends RuntimeException {
        AdapterNotReadyException(String message) {
            super(message);
        }
    }

    /** The registry marked these versions of the tenant retired: their metrics go. */
    void retired(String tenant, java.util.Collection<Integer> versions) {
        metrics.retired(tenant, versions);
    }

    /** The registry's tombstone of an offboarded tenant: its metrics go (its slots were emptied by {@link #target}). */
    void forget(String tenant) {
        metrics.forget(tenant);
    }

    /** This replica's name, as its events and metrics carry it. */
    String replica() {
        return replica;
    }
}
