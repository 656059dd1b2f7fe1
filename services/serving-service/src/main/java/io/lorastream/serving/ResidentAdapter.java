package io.lorastream.serving;

import io.lorastream.engine.Adapter;
import io.lorastream.events.RegistryEntry.VersionRef;

/**
 * One loaded version of a tenant's adapter, shared by the requests scoring with it. A request holds a
 * lease while it scores; a replaced or evicted version is retired, and its native memory is freed when
 * the last lease is returned — so in-flight requests finish on the version they started with.
 */
final class ResidentAdapter {
    private final String tenant;
    private final String slot;
    private final VersionRef ref;
    private final Adapter adapter;
    private final long bytes;
    private int leases;
    private boolean retired;

    ResidentAdapter(String slot, VersionRef ref, Adapter adapter) {
        this.tenant = Slots.tenant(slot);
        this.slot = slot;
        this.ref = ref;
        this.adapter = adapter;
        this.bytes = adapter.trainableParameterCount() * Float.BYTES;
    }

    /** False once retired: the caller must look the tenant up again. */
    synchronized boolean acquire() {
        if (retired) {
            return false;
        }
        leases++;
        return true;
    }

    synchronized void release() {
        if (leases <= 0) {
            throw new IllegalStateException("release without a lease on " + this);
        }
        leases--;
        if (retired && leases == 0) {
            adapter.close();
        }
    }

    /** No new leases; closed now or when the last lease is returned. */
    synchronized void retire() {
        if (retired) {
            return;
        }
        retired = true;
        if (leases == 0) {
            adapter.close();
        }
    }

    synchronized boolean isClosed() {
        return retired && leases == 0;
    }

    String tenant() {
        return tenant;
    }

    /** Where it serves: the tenant's stable slot or its candidate slot ({@link Slots}). */
    String slot() {
        return slot;
    }

    VersionRef ref() {
        return ref;
    }

    int version() {
        return ref.version();
    }

    Adapter adapter() {
        return adapter;
    }

    /** The adapter's tensors (LoRA A, B and the head), float32. */
    long bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return slot + " v" + ref.version();
    }
}
