package io.lorastream.streams;

import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.EventSerde;
import io.lorastream.events.RegistryEntry;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.jboss.logging.Logger;

/**
 * One adapter event → the tenant's next registry entry. A published version that passed the offline gate
 * becomes stable (unless a newer one already is); one that failed is recorded as REJECTED and never
 * serves. The trainer re-emits an event when a request is redelivered: a version already in the history
 * changes nothing. Event times, not the wall clock, date the entries (replays give the same registry).
 */
final class RegistryUpdate implements Processor<String, byte[], String, RegistryEntry> {
    private static final Logger LOG = Logger.getLogger(RegistryUpdate.class);
    /** Entries keep the latest transitions only: the topic is compacted, the full story is on adapter-events. */
    static final int MAX_HISTORY = 50;

    private final Deserializer<AdapterEvent> decoder = EventSerde.of(AdapterEvent.class, FeedbackDatasets.SOURCE).deserializer();
    private ProcessorContext<String, RegistryEntry> context;
    private KeyValueStore<String, RegistryEntry> entries;

    @Override
    public void init(ProcessorContext<String, RegistryEntry> context) {
        this.context = context;
        this.entries = context.getStateStore(AdapterRegistry.ENTRIES_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        AdapterEvent event;
        try {
            event = decoder.deserialize(context.recordMetadata().map(m -> m.topic()).orElse("adapter-events"), record.headers(), record.value());
        } catch (RuntimeException e) {
            LOG.errorf("skipped an adapter event that is not a valid event: %s", e.getMessage());
            return;
        }
        if (!(event instanceof AdapterPublished published)) {
            return; // lifecycle and load-failed events do not move the registry (yet)
        }
        RegistryEntry current = entries.get(published.tenant());
        if (current != null && current.history().stream().anyMatch(h -> h.version() == published.version())) {
            return; // a redelivered job's event
        }
        List<RegistryEntry.HistoryItem> history = new ArrayList<>(current == null ? List.of() : current.history());
        RegistryEntry.VersionRef stable = current == null ? null : current.stable();
        AdapterStatus status;
        if (!published.gate().passed()) {
            status = AdapterStatus.REJECTED;
        } else if (stable != null && stable.version() > published.version()) {
            status = AdapterStatus.SUPERSEDED;
        } else {
            status = AdapterStatus.PROMOTED;
            stable = new RegistryEntry.VersionRef(published.version(), published.uri(), published.files().get("manifest.json"));
        }
        history.add(new RegistryEntry.HistoryItem(published.version(), status, published.publishedAt()));
        if (history.size() > MAX_HISTORY) {
            history = new ArrayList<>(history.subList(history.size() - MAX_HISTORY, history.size()));
        }
        RegistryEntry next = new RegistryEntry(published.tenant(), current == null ? 1 : current.revision() + 1, stable,
                current == null ? null : current.candidate(), current == null ? null : current.pinnedVersion(), history, published.publishedAt());
        entries.put(published.tenant(), next);
        context.forward(new Record<>(published.tenant(), next, record.timestamp()));
    }
}
