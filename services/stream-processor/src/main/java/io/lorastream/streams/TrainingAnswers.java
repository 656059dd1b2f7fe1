package io.lorastream.streams;

import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventSerde;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingFailed;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.jboss.logging.Logger;

/**
 * The trainer's answers to training requests, on {@code adapter-events}: {@code adapter-published} or
 * {@code training-failed}.
 * <ul>
 *   <li>The answer to a tenant's last request lets its next one go ({@link TrainingPolicy}: the trigger waits for it).</li>
 *   <li>A request that produced no version ({@code training-failed}): its shards go back among the tenant's new data, so
 *       the tenant's next request names them again. They do not trigger a request by themselves (a request whose data
 *       cannot make a version would fail again at once); they ride with the next one that new examples trigger.</li>
 * </ul>
 *
 * <pre>
 *   adapter-events (rollout's source) ──▶ training-answers ──▶ feedback-tenants store
 * </pre>
 */
final class TrainingAnswers implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = Logger.getLogger(TrainingAnswers.class);
    static final String NAME = "training-answers";

    private final Deserializer<AdapterEvent> decoder = EventSerde.of(AdapterEvent.class, FeedbackDatasets.SOURCE).deserializer();
    private KeyValueStore<String, TenantDatasets> tenants;
    private KeyValueStore<String, TenantDatasets.Shard> shards;

    /** After {@link FeedbackDatasets} (the stores) and {@link Rollout} (the adapter-events source). */
    static void addTo(Topology topology) {
        topology.addProcessor(NAME, TrainingAnswers::new, Rollout.ADAPTER_EVENTS_SOURCE)
                .connectProcessorAndStateStores(NAME, FeedbackDatasets.TENANTS_STORE, FeedbackDatasets.SHARDS_STORE);
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        tenants = context.getStateStore(FeedbackDatasets.TENANTS_STORE);
        shards = context.getStateStore(FeedbackDatasets.SHARDS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        AdapterEvent event;
        try {
            event = decoder.deserialize(Topics.ADAPTER_EVENTS, record.headers(), record.value());
        } catch (RuntimeException e) {
            return; // the rollout's processor logs records on adapter-events that are not valid events
        }
        if (event instanceof AdapterPublished published) {
            answered(published.tenant(), published.trainingRequestId());
        } else if (event instanceof TrainingFailed failed) {
            answered(failed.tenant(), failed.requestId());
            retry(failed);
        } // transitions and the rest are the rollout's
    }

    private void answered(String tenant, String requestId) {
        TenantDatasets state = tenants.get(tenant);
        if (state != null && state.answers(requestId)) {
            tenants.put(tenant, state.answered());
        }
    }

    private void retry(TrainingFailed failed) {
        TenantDatasets state = tenants.get(failed.tenant());
        if (state == null) {
            LOG.warnf("%s failed for %s, a tenant with no datasets here: nothing to retry", failed.requestId(), failed.tenant());
            return;
        }
        List<TenantDatasets.Retry> retry = new ArrayList<>();
        for (String key : failed.retryShards()) {
            TenantDatasets.Shard shard = shards.get(storeKey(failed.tenant(), key));
            if (shard != null) {
                retry.add(new TenantDatasets.Retry(key, shard.examples()));
            }
        }
        TenantDatasets next = state.retried(retry);
        tenants.put(failed.tenant(), next);
        LOG.warnf("%s failed for %s (%s: %s): its %d shards go into the next request (%d shards, %d examples waiting to be retried)",
                failed.requestId(), failed.tenant(), failed.kind(), failed.reason(), retry.size(),
                next.retryShards().size(), next.retryExamples());
    }

    /** {@code datasets/acme/shards/000007.jsonl} → the shard store's {@code acme/TRAIN/000007}. */
    private static String storeKey(String tenant, String shardKey) {
        String file = shardKey.substring(shardKey.lastIndexOf('/') + 1);
        return tenant + "/" + DatasetKind.TRAIN.name() + "/" + file.substring(0, file.length() - ".jsonl".length());
    }
}
