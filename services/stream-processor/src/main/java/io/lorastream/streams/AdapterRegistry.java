package io.lorastream.streams;

import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.Topics;
import io.quarkus.kafka.client.serialization.ObjectMapperSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The registry concern: {@code adapter-events} → the compacted {@code adapter-registry}, which this
 * topology alone writes and serving replicas follow.
 *
 * <pre>
 *   adapter-events (String, byte[]) ──▶ registry-update ──▶ adapter-registry (String, RegistryEntry)
 *                                        store: the entry per tenant
 * </pre>
 * For now a version that passed the trainer's offline gate becomes stable at once and one that failed is
 * recorded as rejected; the canary and live-accuracy rollout (issue 7) replaces that rule here.
 */
public final class AdapterRegistry {
    static final String ENTRIES_STORE = "adapter-registry-entries";
    static final String REGISTRY_SINK = "adapter-registry-sink";

    private AdapterRegistry() {}

    public static void addTo(Topology topology) {
        topology.addSource("adapter-events-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.ADAPTER_EVENTS)
                .addProcessor("registry-update", RegistryUpdate::new, "adapter-events-source")
                .addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ENTRIES_STORE),
                        Serdes.String(), new ObjectMapperSerde<>(RegistryEntry.class, EventJson.MAPPER)), "registry-update")
                .addSink(REGISTRY_SINK, Topics.ADAPTER_REGISTRY, Serdes.String().serializer(),
                        EventSerde.of(RegistryEntry.class, FeedbackDatasets.SOURCE).serializer(), "registry-update");
    }
}
