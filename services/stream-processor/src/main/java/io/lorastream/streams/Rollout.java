package io.lorastream.streams;

import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.Topics;
import io.quarkus.kafka.client.serialization.ObjectMapperSerde;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The rollout concern: the only writer of the compacted {@code adapter-registry}.
 *
 * <pre>
 *   feedback-intake (accepted feedback with a predictionId) ──┐
 *   score-results (String, byte[]) ───────────────────────────┴▶ live-accuracy ──▶ (tenant, version, correct)
 *                                                                  store: predictions (windowed)    │
 *   adapter-events (String, byte[]) ──────────────────────────────────────────────▶ state-machine ◀──┘
 *   adapter-commands (String, byte[]): admin's promote / roll back / pin / unpin ──▶      ▲   (the source is feedback's: it
 *                                                                                               also takes OFFBOARD)
 *                                                                  store: rollout per tenant
 *                                        ──▶ adapter-registry (String, RegistryEntry)
 *                                        ──▶ adapter-events (String, AdapterLifecycle): every transition with its evidence,
 *                                                                                        and the answer to every command
 * </pre>
 * All inputs are keyed by tenant with the same partition count, so one task sees a tenant's
 * predictions, labels and versions together.
 */
public final class Rollout {
    static final String LIVE_ACCURACY = "rollout-live-accuracy";
    static final String STATE_MACHINE = "rollout-state-machine";
    static final String PREDICTIONS_STORE = "rollout-predictions";
    static final String STATE_STORE = "rollout-tenants";
    static final String REGISTRY_SINK = "adapter-registry-sink";
    static final String EVENTS_SINK = "rollout-events-sink";
    static final String ADAPTER_EVENTS_SOURCE = "adapter-events-source";

    private Rollout() {}

    public static void addTo(Topology topology, StreamProcessorConfig.Rollout settings, String feedbackProcessor) {
        addTo(topology, settings, feedbackProcessor, StoreMedium.ROCKSDB);
    }

    /** @param stores where the stores live (RocksDB but in the scale test's simulation) */
    static void addTo(Topology topology, StreamProcessorConfig.Rollout settings, String feedbackProcessor, StoreMedium stores) {
        Duration window = settings.labelWindow();
        topology.addSource("score-results-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.SCORE_RESULTS)
                .addSource(ADAPTER_EVENTS_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.ADAPTER_EVENTS)
                .addProcessor(LIVE_ACCURACY, () -> new LiveAccuracy(window), feedbackProcessor, "score-results-source")
                .addStateStore(Stores.windowStoreBuilder(stores.window(PREDICTIONS_STORE, window.multipliedBy(2), window),
                        Serdes.String(), Serdes.String()), LIVE_ACCURACY)
                .addProcessor(STATE_MACHINE, () -> new RolloutStateMachine(settings), ADAPTER_EVENTS_SOURCE, FeedbackDatasets.COMMANDS_SOURCE, LIVE_ACCURACY)
                .connectProcessorAndStateStores(STATE_MACHINE, PREDICTIONS_STORE) // to forget an offboarded tenant's
                .addStateStore(Stores.keyValueStoreBuilder(stores.keyValue(STATE_STORE),
                        Serdes.String(), new ObjectMapperSerde<>(TenantRollout.class, EventJson.MAPPER)), STATE_MACHINE)
                .addSink(REGISTRY_SINK, Topics.ADAPTER_REGISTRY, Serdes.String().serializer(),
                        EventSerde.of(RegistryEntry.class, FeedbackDatasets.SOURCE).serializer(), STATE_MACHINE)
                .addSink(EVENTS_SINK, Topics.ADAPTER_EVENTS, Serdes.String().serializer(),
                        EventSerde.of(AdapterLifecycle.class, FeedbackDatasets.SOURCE).serializer(), STATE_MACHINE);
    }

    /** One labelled live prediction of a tenant's version. */
    record LiveLabel(String tenant, int version, boolean correct) {}
}
