package io.lorastream.streams;

import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventJson;
import io.lorastream.events.EventSerde;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingSnapshotRequested;
import io.quarkus.kafka.client.serialization.ObjectMapperSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The feedback concern of the stream-processor: {@code feedback} → dataset shards in S3,
 * {@code training-requests}, and {@code feedback-dlq} for what cannot be used.
 *
 * <pre>
 *   feedback (String, byte[]) ──▶ feedback-intake ──▶ training-requests (String, TrainingSnapshotRequested)
 *                                   │  stores: seen ids (windowed), pending examples, tenants, shards, holdout selection,
 *                                   │          segments, deletions due
 *                                   └──────────────▶ feedback-dlq (String, DeadLetter)
 * </pre>
 * The value is read as bytes and decoded inside the processor, so a record that is not a valid
 * event becomes a dead letter instead of stopping the stream.
 */
public final class FeedbackDatasets {
    public static final String SOURCE = "/lorastream/stream-processor";
    static final String SEEN_IDS_STORE = "feedback-seen-ids";
    static final String PENDING_STORE = "feedback-pending";
    static final String TENANTS_STORE = "feedback-tenants";
    static final String SHARDS_STORE = "feedback-shards";
    /** Per tenant, the holdout shards its next request names ({@link HoldoutSelection}): read and written at a holdout seal only. */
    static final String HOLDOUT_STORE = "feedback-holdout-selection";
    /** Per tenant, its segments ({@link Compaction.Segment}), key {@code tenant/first}: what dataset retention goes over. */
    static final String SEGMENTS_STORE = "feedback-segments";
    /** S3 objects to delete once their grace period is over, key {@code dueMs/objectKey}: scanned in due order. */
    static final String DELETIONS_STORE = "feedback-deletions";
    /** {@code adapter-commands}: feedback-intake takes OFFBOARD from it, the rollout's state machine everything. */
    static final String COMMANDS_SOURCE = "adapter-commands-source";
    /** Erased examples, key {@code tenant/feedbackId} → when: kept out of every later shard, segment and snapshot. */
    static final String ERASURES_STORE = "feedback-erasures";
    /** feedback-intake's answers to the commands it carries out (ERASE), on adapter-events. */
    static final String ANSWERS_SINK = "feedback-answers-sink";
    static final String TRAINING_REQUESTS_SINK = "training-requests-sink";
    static final String DEAD_LETTER_SINK = "feedback-dlq-sink";

    private FeedbackDatasets() {}

    static final String INTAKE = "feedback-intake";

    /**
     * @param labelsChild a processor (added after this) that gets accepted feedback naming a {@code predictionId}
     * @param background  where compaction's S3 reads and writes run, off the stream thread
     */
    public static void addTo(Topology topology, StreamProcessorConfig.Feedback settings, StreamProcessorConfig.Policies policies,
                             DatasetStore datasets, FeedbackMetrics metrics, String labelsChild, java.util.concurrent.Executor background) {
        addTo(topology, settings, policies, datasets, metrics, labelsChild, background, StoreMedium.ROCKSDB);
    }

    /** @param stores where the stores live (RocksDB but in the scale test's simulation) */
    static void addTo(Topology topology, StreamProcessorConfig.Feedback settings, StreamProcessorConfig.Policies policies,
                      DatasetStore datasets, FeedbackMetrics metrics, String labelsChild, java.util.concurrent.Executor background,
                      StoreMedium stores) {
        long window = settings.dedupWindow().toMillis();
        topology.addSource("feedback-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.FEEDBACK)
                .addSource(COMMANDS_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.ADAPTER_COMMANDS)
                .addProcessor(INTAKE, () -> new FeedbackIntake(settings, policies, datasets, metrics, labelsChild, background), "feedback-source",
                        COMMANDS_SOURCE)
                .addStateStore(Stores.windowStoreBuilder(
                                stores.window(SEEN_IDS_STORE, java.time.Duration.ofMillis(2 * window), java.time.Duration.ofMillis(window)),
                                Serdes.String(), Serdes.Long()),
                        INTAKE)
                .addStateStore(Stores.keyValueStoreBuilder(stores.keyValue(PENDING_STORE),
                        Serdes.String(), Serdes.String()), INTAKE)
                // updated by every record: the cache turns that into one changelog write per tenant and commit
                .addStateStore(Stores.keyValueStoreBuilder(stores.keyValue(TENANTS_STORE),
                        Serdes.String(), new ObjectMapperSerde<>(TenantDatasets.class, EventJson.MAPPER)).withCachingEnabled(),
                        INTAKE)
                .addStateStore(Stores.keyValueStoreBuilder(stores.keyValue(SHARDS_STORE),
                        Serdes.String(), new ObjectMapperSerde<>(TenantDatasets.Shard.class, EventJson.MAPPER)), INTAKE)
                .addStateStore(Stores.keyValueStoreBuilder(stores.keyValue(HOLDOUT_STORE),
                        Serdes.String(), new ObjectMapperSerde<>(HoldoutSelection.class, EventJson.MAPPER)), INTAKE)
                .addStateStore(Stores.keyValueStoreBuilder(stores.keyValue(SEGMENTS_STORE),
                        Serdes.String(), new ObjectMapperSerde<>(Compaction.Segment.class, EventJson.MAPPER)), INTAKE)
                .addStateStore(Stores.keyValueStoreBuilder(stores.keyValue(DELETIONS_STORE),
                        Serdes.String(), Serdes.String()), INTAKE)
                .addStateStore(Stores.keyValueStoreBuilder(stores.keyValue(ERASURES_STORE),
                        Serdes.String(), Serdes.Long()), INTAKE)
                .addSink(ANSWERS_SINK, Topics.ADAPTER_EVENTS, Serdes.String().serializer(),
                        EventSerde.of(io.lorastream.events.AdapterLifecycle.class, SOURCE).serializer(), INTAKE)
                .addSink(TRAINING_REQUESTS_SINK, Topics.TRAINING_REQUESTS, Serdes.String().serializer(),
                        EventSerde.of(io.lorastream.events.TrainingRequest.class, SOURCE).serializer(), INTAKE)
                .addSink(DEAD_LETTER_SINK, Topics.FEEDBACK_DLQ, Serdes.String().serializer(),
                        EventSerde.of(DeadLetter.class, SOURCE).serializer(), INTAKE);
    }
}
