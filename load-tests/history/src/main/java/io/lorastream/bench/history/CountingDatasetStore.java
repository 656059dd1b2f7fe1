package io.lorastream.bench.history;

import io.lorastream.streams.DatasetStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** The stream-processor's S3 store, counting what it wrote and deleted: the history that compaction and retention undo. */
final class CountingDatasetStore implements DatasetStore {
    private final DatasetStore store;
    final AtomicLong puts = new AtomicLong();
    final AtomicLong putBytes = new AtomicLong();
    final AtomicLong deletes = new AtomicLong();
    /** Shards (training and holdout) sealed so far, per tenant. */
    final java.util.Map<String, Long> shardsByTenant = new java.util.concurrent.ConcurrentHashMap<>();
    /** The largest snapshot object written so far, in bytes. */
    final AtomicLong largestSnapshot = new AtomicLong();

    CountingDatasetStore(DatasetStore store) {
        this.store = store;
    }

    @Override
    public void put(String key, byte[] content, String contentType) {
        store.put(key, content, contentType);
        puts.incrementAndGet();
        putBytes.addAndGet(content.length);
        String[] parts = key.split("/");
        if (parts.length == 4 && parts[0].equals("datasets") && (parts[2].equals("shards") || parts[2].equals("holdout"))) {
            shardsByTenant.merge(parts[1], 1L, Long::sum);
        }
        if (key.contains("/snapshots/")) {
            largestSnapshot.accumulateAndGet(content.length, Math::max);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        return store.get(key);
    }

    @Override
    public List<String> list(String prefix) {
        return store.list(prefix);
    }

    @Override
    public void delete(String key) {
        store.delete(key);
        deletes.incrementAndGet();
    }

    /**
     * For the restarted instance whose restore is timed: it must not act on the simulation's bucket (its clock is the
     * real one, not the simulation's), so it reads nothing and writes nowhere.
     */
    static DatasetStore inert() {
        return new DatasetStore() {
            @Override
            public void put(String key, byte[] content, String contentType) {}

            @Override
            public Optional<byte[]> get(String key) {
                return Optional.empty();
            }

            @Override
            public List<String> list(String prefix) {
                return List.of();
            }

            @Override
            public void delete(String key) {}
        };
    }
}
