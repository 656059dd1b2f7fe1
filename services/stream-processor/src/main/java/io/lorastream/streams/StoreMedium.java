package io.lorastream.streams;

import java.time.Duration;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;

/**
 * Where the topology keeps its stores. The service keeps them in RocksDB (each also logged to its changelog). The scale
 * test (load-tests/history) simulates a year through {@code TopologyTestDriver}, which commits, so flushes every
 * RocksDB store, after every record; it keeps them in memory instead, and measures the restart with RocksDB.
 */
public enum StoreMedium {
    ROCKSDB,
    MEMORY;

    KeyValueBytesStoreSupplier keyValue(String name) {
        return this == ROCKSDB ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name);
    }

    WindowBytesStoreSupplier window(String name, Duration retention, Duration size) {
        return this == ROCKSDB ? Stores.persistentWindowStore(name, retention, size, false)
                : Stores.inMemoryWindowStore(name, retention, size, false);
    }
}
