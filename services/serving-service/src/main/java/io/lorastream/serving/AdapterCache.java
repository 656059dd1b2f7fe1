package io.lorastream.serving;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The resident adapters, one per slot (a tenant's stable version, and its candidate while it has one),
 * bounded by bytes rather than count:
 * adapters differ in rank, targets and labels. Beyond the budget the least recently used go, pinned
 * tenants' last; the one just loaded stays. So the resident bytes never exceed the budget, or the one
 * adapter just loaded when that alone is larger: pins that alone exceed the budget are evicted too, least
 * recently used first (logged), and load again on their next request. Putting a slot's new version is the
 * atomic swap.
 */
final class AdapterCache {
    private static final Logger LOG = Logger.getLogger(AdapterCache.class);
    private final long maxBytes;
    private final Set<String> pinned;
    private final LinkedHashMap<String, ResidentAdapter> resident = new LinkedHashMap<>(64, 0.75f, true); // access order
    private long bytes;

    AdapterCache(long maxBytes, Set<String> pinned) {
        this.maxBytes = maxBytes;
        this.pinned = Set.copyOf(pinned);
    }

    /** The slot's resident adapter with a lease taken (return it with {@link ResidentAdapter#release}); empty if not resident. */
    synchronized Optional<ResidentAdapter> lease(String slot) {
        ResidentAdapter adapter = resident.get(slot); // marks it recently used
        return adapter != null && adapter.acquire() ? Optional.of(adapter) : Optional.empty();
    }

    /** Without touching recency or taking a lease. */
    synchronized Optional<ResidentAdapter> peek(String slot) {
        return Optional.ofNullable(resident.get(slot));
    }

    /**
     * Makes {@code next} its tenant's resident adapter, retiring the one it replaces, then evicts the least
     * recently used unpinned others while over budget.
     *
     * @return the adapters evicted to make room (already retired)
     */
    synchronized List<ResidentAdapter> put(ResidentAdapter next) {
        ResidentAdapter previous = resident.put(next.slot(), next);
        if (previous != null && previous != next) {
            bytes -= previous.bytes();
            previous.retire();
        }
        if (previous != next) {
            bytes += next.bytes();
        }
        List<ResidentAdapter> evicted = new ArrayList<>();
        evict(next, false, evicted);
        if (bytes > maxBytes) {
            LOG.warnf("pinned tenants' adapters alone exceed lorastream.serving.cache-max-bytes=%d: evicting pinned ones too", maxBytes);
            evict(next, true, evicted);
        }
        return evicted;
    }

    /** Least recently used first, while over budget: unpinned ones, or (second pass) pinned ones too; never {@code keep}. */
    private void evict(ResidentAdapter keep, boolean pinnedToo, List<ResidentAdapter> evicted) {
        Iterator<Map.Entry<String, ResidentAdapter>> oldestFirst = resident.entrySet().iterator();
        while (bytes > maxBytes && oldestFirst.hasNext()) {
            ResidentAdapter candidate = oldestFirst.next().getValue();
            if (candidate == keep || (!pinnedToo && pinned.contains(candidate.tenant()))) {
                continue;
            }
            oldestFirst.remove();
            bytes -= candidate.bytes();
            candidate.retire();
            evicted.add(candidate);
        }
    }

    /** Drops the slot's adapter (the registry no longer names it). */
    synchronized Optional<ResidentAdapter> remove(String slot) {
        ResidentAdapter removed = resident.remove(slot);
        if (removed != null) {
            bytes -= removed.bytes();
            removed.retire();
        }
        return Optional.ofNullable(removed);
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized int size() {
        return resident.size();
    }

    boolean isPinned(String tenant) {
        return pinned.contains(tenant);
    }

    /** Retires everything (shutdown). */
    synchronized void clear() {
        resident.values().forEach(ResidentAdapter::retire);
        resident.clear();
        bytes = 0;
    }
}
