package io.lorastream.streams;

import io.lorastream.events.ShardKeys;
import io.lorastream.events.AdapterCommand;
import io.lorastream.events.TenantOffboarding;
import io.lorastream.events.DeadLetter;
import io.lorastream.events.EventJson;
import io.lorastream.events.Sha256;
import io.lorastream.events.EventSerde;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.InvalidEventException;
import io.lorastream.events.LoraEvent;
import io.lorastream.events.Topics;
import io.lorastream.events.DatasetSnapshot;
import io.lorastream.events.TrainingSnapshotRequested;
import io.lorastream.events.TrainingRequested.Trigger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.jboss.logging.Logger;

/**
 * Each feedback record: decode and validate (else dead-letter), drop a second copy of an id,
 * put the example on its side of the split and into the tenant's pending shard. Sealing writes a
 * shard to S3; a met training policy seals what is pending and emits one training request.
 *
 * <p>All bookkeeping lives in state stores, so it commits atomically with the input offsets and
 * the output records (exactly-once v2). S3 writes cannot join that transaction: they use
 * deterministic keys, so a retry after a crash overwrites what the uncommitted attempt wrote,
 * and nothing downstream names a shard before the transaction that sealed it commits.
 */
final class FeedbackIntake implements Processor<String, byte[], String, LoraEvent> {
    private static final Logger LOG = Logger.getLogger(FeedbackIntake.class);
    private static final String FAILED_BY = "stream-processor";

    private final StreamProcessorConfig.Feedback settings;
    private final StreamProcessorConfig.Policies policies;
    private final HoldoutSplit split;
    private final DatasetStore datasets;
    private final FeedbackMetrics metrics;
    private final Deserializer<FeedbackReceived> decoder = EventSerde.of(FeedbackReceived.class, FeedbackDatasets.SOURCE).deserializer();
    private final Deserializer<AdapterCommand> commands = EventSerde.of(AdapterCommand.class, FeedbackDatasets.SOURCE).deserializer();

    private ProcessorContext<String, LoraEvent> context;
    private WindowStore<String, Long> seenIds;
    private KeyValueStore<String, String> pending;
    private KeyValueStore<String, TenantDatasets> tenants;
    private KeyValueStore<String, TenantDatasets.Shard> shards;
    private KeyValueStore<String, HoldoutSelection> holdout;
    private KeyValueStore<String, Compaction.Segment> segments;
    private KeyValueStore<String, String> deletions;
    private KeyValueStore<String, Long> erasures;
    /** Where compaction's S3 work runs, and what it hands back to the stream thread (which alone touches the stores). */
    private final java.util.concurrent.Executor background;
    private final java.util.Queue<Compacted> compacted = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Tenants whose compaction is running: one at a time per tenant. Not state: after a restart it is simply done again. */
    private final java.util.Set<String> compacting = new java.util.HashSet<>();
    /** Tenants offboarded while their compaction ran: what it hands back belongs to the dataset that was forgotten. */
    private final java.util.Set<String> offboardedWhileCompacting = new java.util.HashSet<>();
    /** When each tenant's dataset retention was last looked at (wall clock ms); not state either. */
    private final java.util.Map<String, Long> retentionLookedAt = new java.util.HashMap<>();
    /** After a failed S3 write, no new attempt before this (wall clock ms); not state: a restart retries at once. */
    private long retryWritesAtMs;
    /**
     * Each tenant's shard counts as the last check left them. The manifest lists shards up to these only: a commit is
     * requested whenever they change, so by the next check the transaction that sealed those shards has committed (or
     * failed, and then this processor starts again from the restored state), while a shard sealed since may still be rolled
     * back by a crash and sealed again under its number with other examples. Not state: after a start the first check
     * records them, and the second writes.
     */
    private final java.util.Map<String, SealedCounts> sealedByLastCheck = new java.util.HashMap<>();

    /** How many shards of each kind a tenant had sealed at a check. */
    private record SealedCounts(int train, int holdout) {
        static SealedCounts of(TenantDatasets state) {
            return new SealedCounts(state.trainShards(), state.holdoutShards());
        }

        boolean covers(TenantDatasets.Shard shard) {
            return shardSeq(shard.key()) <= (shard.kind() == DatasetKind.TRAIN ? train : holdout);
        }
    }

    /** The child that gets accepted feedback naming a prediction (the rollout's live accuracy); null: none. */
    private final String labelsChild;

    FeedbackIntake(StreamProcessorConfig.Feedback settings, StreamProcessorConfig.Policies policies, DatasetStore datasets, FeedbackMetrics metrics,
                   String labelsChild, java.util.concurrent.Executor background) {
        this.labelsChild = labelsChild;
        this.background = background;
        this.settings = settings;
        this.policies = policies;
        this.split = new HoldoutSplit(settings.holdoutFraction());
        this.datasets = datasets;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, LoraEvent> context) {
        this.context = context;
        this.seenIds = context.getStateStore(FeedbackDatasets.SEEN_IDS_STORE);
        this.pending = context.getStateStore(FeedbackDatasets.PENDING_STORE);
        this.tenants = context.getStateStore(FeedbackDatasets.TENANTS_STORE);
        this.shards = context.getStateStore(FeedbackDatasets.SHARDS_STORE);
        this.holdout = context.getStateStore(FeedbackDatasets.HOLDOUT_STORE);
        this.segments = context.getStateStore(FeedbackDatasets.SEGMENTS_STORE);
        this.deletions = context.getStateStore(FeedbackDatasets.DELETIONS_STORE);
        this.erasures = context.getStateStore(FeedbackDatasets.ERASURES_STORE);
        sealedByLastCheck.clear(); // a task revived after a failed commit starts from the restored stores
        context.schedule(settings.checkInterval(), PunctuationType.WALL_CLOCK_TIME, this::checkAll);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (context.recordMetadata().map(m -> m.topic().equals(Topics.ADAPTER_COMMANDS)).orElse(false)) {
            command(record);
            return;
        }
        FeedbackReceived event;
        try {
            event = decoder.deserialize(Topics.FEEDBACK, record.headers(), record.value());
        } catch (InvalidEventException e) {
            deadLetter(record, "invalid-event", "not a valid feedback event: " + e.getMessage(), e.errors());
            return;
        } catch (RuntimeException e) {
            deadLetter(record, "undecodable", "could not be read as a feedback event: " + e, List.of(String.valueOf(e.getMessage())));
            return;
        }
        if (event == null) {
            deadLetter(record, "empty", "empty record value (null)", List.of());
            return;
        }
        if (!event.tenant().equals(record.key())) {
            // the dedup store and a tenant's ordering are per partition: records must be keyed by tenant
            deadLetter(record, "wrong-key", "record key " + record.key() + " is not the event's tenant " + event.tenant()
                    + " (feedback is keyed by tenant id)", List.of("$.tenant: differs from the record key"));
            return;
        }
        String idKey = event.tenant() + "/" + event.id();
        long time = record.timestamp();
        long window = settings.dedupWindow().toMillis();
        try (WindowStoreIterator<Long> seen = seenIds.fetch(idKey, Instant.ofEpochMilli(time - window), Instant.ofEpochMilli(time + window))) {
            if (seen.hasNext()) {
                metrics.duplicates.increment();
                return;
            }
        }
        seenIds.put(idKey, time, time);
        if (erasures.get(idKey) != null) { // erased before it arrived (another topic, another pace): never used
            metrics.erased.increment();
            return;
        }
        if (labelsChild != null && event.predictionId() != null) {
            context.forward(new Record<String, LoraEvent>(event.tenant(), event, time), labelsChild);
        }

        DatasetKind kind = split.isHoldout(event.id()) ? DatasetKind.HOLDOUT : DatasetKind.TRAIN;
        (kind == DatasetKind.TRAIN ? metrics.train : metrics.holdout).increment();
        long now = context.currentSystemTimeMs();
        TenantDatasets state = Optional.ofNullable(tenants.get(event.tenant())).orElseGet(() -> TenantDatasets.empty(event.tenant()));
        pending.put(pendingKey(event.tenant(), kind, state.arrivals()), new String(EventJson.encode(event), StandardCharsets.UTF_8));
        state = state.accepted(kind, now);
        if (state.pending(kind).count() >= settings.shardMaxExamples()) {
            state = trySeal(state, kind, now);
        }
        tenants.put(event.tenant(), tryRequest(state, now));
    }

    /** An admin command: OFFBOARD is this processor's too (the rollout answers every command, and reports invalid ones). */
    private void command(Record<String, byte[]> record) {
        AdapterCommand c;
        try {
            c = commands.deserialize(Topics.ADAPTER_COMMANDS, record.headers(), record.value());
        } catch (RuntimeException e) {
            return;
        }
        if (c != null && c.action() == AdapterCommand.Action.OFFBOARD) {
            offboard(c, context.currentSystemTimeMs());
        } else if (c != null && c.action() == AdapterCommand.Action.ERASE) {
            erase(c, context.currentSystemTimeMs());
        }
    }

    /**
     * A right-to-erasure request for one example: remembered (store {@code feedback-erasures}, for {@code dataset-retention}),
     * so that it is dropped if it arrives later, left out of its pending shard if not sealed yet, left out of every segment
     * compaction writes from now on, and named in every later snapshot so that the trainer uses it nowhere. Answered at once.
     */
    private void erase(AdapterCommand c, long now) {
        String tenant = c.tenant();
        erasures.put(tenant + "/" + c.feedbackId(), now);
        String found = "not pending: sealed already, or not arrived yet";
        TenantDatasets state = tenants.get(tenant);
        for (DatasetKind kind : DatasetKind.values()) {
            String pendingKey = null;
            try (KeyValueIterator<String, String> it = pending.prefixScan(pendingPrefix(tenant, kind), new StringSerializer())) {
                while (it.hasNext() && pendingKey == null) {
                    KeyValue<String, String> kv = it.next();
                    if (c.feedbackId().equals(EventJson.decode(io.lorastream.events.EventType.FEEDBACK_RECEIVED,
                            kv.value.getBytes(StandardCharsets.UTF_8), FeedbackReceived.class).id())) {
                        pendingKey = kv.key;
                    }
                }
            }
            if (pendingKey != null && state != null) {
                pending.delete(pendingKey);
                tenants.put(tenant, state.unpended(kind));
                found = "pending: removed before its shard was sealed";
            }
        }
        metrics.erasures.increment();
        String reason = "erased " + c.feedbackId() + " (" + found + "); every later snapshot names it, so no job uses it, and compaction leaves it out";
        context.forward(new Record<String, LoraEvent>(tenant, new io.lorastream.events.AdapterLifecycle(tenant, 0,
                io.lorastream.events.AdapterLifecycle.Transition.ERASED, null, reason, c.commandId(), null, Instant.ofEpochMilli(now)), now),
                FeedbackDatasets.ANSWERS_SINK);
        LOG.infof("%s: %s, by %s (%s)", tenant, reason, c.requestedBy(), c.commandId());
    }

    /** The tenant's erased feedback ids, sorted. */
    private List<String> erasedIds(String tenant) {
        List<String> ids = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = erasures.prefixScan(tenant + "/", new StringSerializer())) {
            it.forEachRemaining(kv -> ids.add(kv.key.substring(tenant.length() + 1)));
        }
        return ids;
    }

    /**
     * Forgets a tenant's dataset: every entry of it in this processor's stores, and every object under
     * {@code datasets/{tenant}/} in S3 (listed and deleted now; on an S3 failure, the deletion of the prefix waits in the
     * deletions store like any other). Then hands the offboarding on to the trainer, behind the tenant's earlier requests.
     * Feedback that arrives later starts a new dataset.
     */
    private void offboard(AdapterCommand c, long now) {
        String tenant = c.tenant();
        String prefix = tenant + "/";
        if (compacting.contains(tenant)) {
            offboardedWhileCompacting.add(tenant);
        }
        tenants.delete(tenant);
        holdout.delete(tenant);
        sealedByLastCheck.remove(tenant); // a new dataset numbers its shards from 1 again
        for (KeyValueStore<String, ?> store : List.of(pending, shards, segments, erasures)) {
            List<String> keys = new ArrayList<>();
            try (KeyValueIterator<String, ?> it = store.prefixScan(prefix, new StringSerializer())) {
                it.forEachRemaining(kv -> keys.add(kv.key));
            }
            keys.forEach(store::delete);
        }
        String objects = "datasets/" + tenant + "/";
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = deletions.all()) {
            it.forEachRemaining(kv -> {
                if (kv.key.substring(kv.key.indexOf('/') + 1).startsWith(objects)) {
                    due.add(kv.key);
                }
            });
        }
        due.forEach(deletions::delete);
        List<org.apache.kafka.streams.kstream.Windowed<String>> seen = new ArrayList<>();
        try (var it = seenIds.all()) {
            it.forEachRemaining(kv -> {
                if (kv.key.key().startsWith(prefix)) {
                    seen.add(kv.key);
                }
            });
        }
        seen.forEach(w -> seenIds.put(w.key(), null, w.window().start()));
        int deleted = 0;
        try {
            deleted = datasets.deleteAll(objects);
        } catch (DatasetStore.UnavailableException e) {
            scheduleDeletion(objects, "", now);
            writeFailed(objects, now, e);
        }
        context.forward(new Record<String, LoraEvent>(tenant, new TenantOffboarding(tenant, c.commandId(), c.requestedBy(),
                Instant.ofEpochMilli(now)), now), FeedbackDatasets.TRAINING_REQUESTS_SINK);
        LOG.infof("%s offboarded by %s (%s): dataset forgotten, %d objects deleted, %d ids, %d deletions dropped; the trainer is next",
                tenant, c.requestedBy(), c.commandId(), deleted, seen.size(), due.size());
    }

    /**
     * Wall-clock check of every tenant of this task: shards that waited long enough, time-based policies, finished and due
     * compactions, dataset retention, manifests; then the deletions whose grace period is over.
     */
    private void checkAll(long now) {
        for (Compacted done; (done = compacted.poll()) != null; ) {
            recordCompaction(done, now);
        }
        List<TenantDatasets> all = new ArrayList<>();
        try (KeyValueIterator<String, TenantDatasets> it = tenants.all()) {
            it.forEachRemaining(kv -> all.add(kv.value));
        }
        for (TenantDatasets before : all) {
            TenantDatasets state = before;
            for (DatasetKind kind : DatasetKind.values()) {
                TenantDatasets.Pending p = state.pending(kind);
                if (p.count() > 0 && now - p.oldestAtMs() >= settings.shardMaxAge().toMillis()) {
                    state = trySeal(state, kind, now);
                }
            }
            state = tryRequest(state, now);
            state = maybeCompact(state, now);
            state = maybeRetire(state, now);
            state = tryWriteManifest(state, sealedByLastCheck.get(state.tenant()), now);
            if (!state.equals(before)) {
                tenants.put(state.tenant(), state);
            }
            SealedCounts sealed = SealedCounts.of(state);
            if (!sealed.equals(sealedByLastCheck.put(state.tenant(), sealed))) {
                context.commit();
            }
        }
        deleteDue(now);
    }

    /** What a background compaction handed back: the segment written, or null when it failed (then it is tried again later). */
    private record Compacted(String tenant, Compaction.Built built) {}

    /** Starts compacting the tenant's requested shards in the background when they are due ({@link Compaction#plan}). */
    private TenantDatasets maybeCompact(TenantDatasets state, long now) {
        String tenant = state.tenant();
        if (!state.hasCompactable() || compacting.contains(tenant) || now < retryWritesAtMs) {
            return state;
        }
        boolean mayBeDue = state.compactableExamples() >= settings.segmentExamples() || state.oldestCompactableAtMs() == 0
                || now - state.oldestCompactableAtMs() >= settings.segmentMaxAge().toMillis();
        if (!mayBeDue) {
            return state;
        }
        List<TenantDatasets.Shard> candidates = new ArrayList<>();
        int examples = 0;
        // one get per shard, not a range scan: the store's keys hold the number as the shard's key does, six digits and then
        // more, which stop sorting in order past 999,999
        for (int seq = state.firstUncompactedShard(); seq < state.firstUnrequestedShard() && examples < settings.segmentExamples(); seq++) {
            TenantDatasets.Shard shard = shards.get(shardStoreKey(DatasetKind.TRAIN.shardKey(tenant, seq)));
            if (shard == null) {
                break; // not possible while requested shards are only forgotten after compaction; then: nothing to copy
            }
            candidates.add(shard);
            examples += shard.examples();
        }
        Compaction.Plan plan = Compaction.plan(candidates, settings.segmentExamples(), settings.segmentMaxAge(), now);
        if (plan.shards().isEmpty()) {
            return state.compactable(plan.examples(), plan.oldestSealedAtMs());
        }
        compacting.add(tenant);
        java.util.Set<String> erased = new java.util.HashSet<>(erasedIds(tenant));
        background.execute(() -> {
            try {
                compacted.add(new Compacted(tenant, Compaction.build(datasets, tenant, plan.shards(), erased, now)));
            } catch (RuntimeException e) {
                LOG.warnf("compaction of %s's shards %s.. failed (tried again later; its shards stay where they are): %s", tenant,
                        plan.shards().get(0).key(), e.getMessage());
                compacted.add(new Compacted(tenant, null));
            }
        });
        return state;
    }

    /**
     * A segment is written: its shards are read from it from now on, and their own objects deleted after the grace period.
     * A result that no longer fits the state (a restart or a rebalance redid it meanwhile) is dropped: its segment's key and
     * bytes are the ones the redone compaction writes.
     */
    private void recordCompaction(Compacted done, long now) {
        compacting.remove(done.tenant());
        if (offboardedWhileCompacting.remove(done.tenant())) { // a new dataset of that name may have begun meanwhile: not this one's
            if (done.built() != null) {
                discard(done.built().segment().key(), now);
            }
            return;
        }
        if (done.built() == null) {
            metrics.compactionFailures.increment();
            retryWritesAtMs = now + settings.checkInterval().toMillis() * 5;
            return;
        }
        TenantDatasets state = tenants.get(done.tenant());
        Compaction.Segment segment = done.built().segment();
        if (state == null) { // offboarded while it ran: what it wrote goes too
            discard(segment.key(), now);
            return;
        }
        if (state.firstUncompactedShard() != segment.first()) {
            return;
        }
        long due = now + settings.deleteGrace().toMillis();
        for (TenantDatasets.Shard shard : done.built().located()) {
            String storeKey = shardStoreKey(shard.key());
            shards.put(storeKey, shard);
            scheduleDeletion(shard.key(), storeKey, due);
        }
        segments.put(segmentStoreKey(done.tenant(), segment.first()), segment);
        metrics.segments.increment();
        LOG.infof("compacted %s's shards %d..%d (%d examples) into %s", done.tenant(), segment.first(), segment.last(),
                segment.examples(), segment.key());
        tenants.put(done.tenant(), state.compacted(segment.last(), segment.examples()));
    }

    /**
     * Deletes a segment written for a dataset that was forgotten meanwhile, at once: before this check can start a compaction of
     * the new dataset, whose first segment has the same key. Left to the deletions store only when S3 fails.
     */
    private void discard(String segmentKey, long now) {
        try {
            datasets.delete(segmentKey);
        } catch (DatasetStore.UnavailableException e) {
            scheduleDeletion(segmentKey, "", now);
        }
    }

    /** Dataset retention ({@link Compaction#expired}), looked at once an hour per tenant: expired segments leave the manifest now, S3 after the grace period. */
    private TenantDatasets maybeRetire(TenantDatasets state, long now) {
        String tenant = state.tenant();
        Long lookedAt = retentionLookedAt.get(tenant);
        if (lookedAt != null && now - lookedAt < RETENTION_LOOK_EVERY_MS) {
            return state;
        }
        retentionLookedAt.put(tenant, now);
        // an erasure is remembered as long as any data of the tenant may hold the example: dataset-retention
        List<String> forgotten = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = erasures.prefixScan(tenant + "/", new StringSerializer())) {
            it.forEachRemaining(kv -> {
                if (now - kv.value >= settings.datasetRetention().toMillis()) {
                    forgotten.add(kv.key);
                }
            });
        }
        forgotten.forEach(erasures::delete);
        List<Compaction.Segment> all = new ArrayList<>();
        try (KeyValueIterator<String, Compaction.Segment> it = segments.prefixScan(tenant + "/", new StringSerializer())) {
            it.forEachRemaining(kv -> all.add(kv.value));
        }
        List<Compaction.Segment> expired = Compaction.expired(all, settings.datasetMaxExamples(), settings.datasetRetention(), now);
        if (expired.isEmpty()) {
            return state;
        }
        for (Compaction.Segment segment : expired) {
            segments.delete(segmentStoreKey(tenant, segment.first()));
            scheduleDeletion(segment.key(), "", now + settings.deleteGrace().toMillis());
        }
        metrics.segmentsRetired.increment(expired.size());
        LOG.infof("dataset retention for %s: dropped %d segments (shards %d..%d; older than %s or beyond %d examples)", tenant,
                expired.size(), expired.get(0).first(), expired.get(expired.size() - 1).last(), settings.datasetRetention(),
                settings.datasetMaxExamples());
        return state.manifestStale();
    }

    private static final long RETENTION_LOOK_EVERY_MS = java.time.Duration.ofHours(1).toMillis();
    /** Deletions per check at most, so that a backlog of them never holds the stream thread for long. */
    private static final int DELETIONS_PER_CHECK = 1000;

    /** Deletes {@code objectKey} from S3 at {@code dueMs}, and the shard store's entry {@code storeKey} with it ("" for none). */
    private void scheduleDeletion(String objectKey, String storeKey, long dueMs) {
        deletions.put(String.format("%013d/%s", dueMs, objectKey), storeKey);
    }

    /** The deletions whose grace period is over, in due order; on an S3 failure the rest wait for a later check. */
    private void deleteDue(long now) {
        if (now < retryWritesAtMs) {
            return;
        }
        List<KeyValue<String, String>> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = deletions.range("0", String.format("%013d/~", now))) {
            while (it.hasNext() && due.size() < DELETIONS_PER_CHECK) {
                due.add(it.next());
            }
        }
        java.util.Set<String> forgotten = new java.util.TreeSet<>();
        for (KeyValue<String, String> d : due) {
            String objectKey = d.key.substring(d.key.indexOf('/') + 1);
            try {
                if (objectKey.endsWith("/")) { // an offboarded tenant's whole dataset, whose deletion failed at the time
                    datasets.deleteAll(objectKey);
                } else {
                    datasets.delete(objectKey);
                }
            } catch (DatasetStore.UnavailableException e) {
                writeFailed(objectKey, now, e);
                break;
            }
            if (!d.value.isEmpty()) {
                shards.delete(d.value);
                forgotten.add(d.value.substring(0, d.value.indexOf('/')));
            }
            deletions.delete(d.key);
            metrics.deleted.increment();
        }
        for (String tenant : forgotten) { // the manifest lists the shard store's shards: at the next check, without these
            TenantDatasets state = tenants.get(tenant);
            if (state != null) {
                tenants.put(tenant, state.manifestStale());
            }
        }
    }

    private static String segmentStoreKey(String tenant, int first) {
        return tenant + "/" + String.format("%06d", first);
    }

    private TenantDatasets tryRequest(TenantDatasets state, long now) {
        long waited = state.newExamples() == 0 ? 0 : now - state.oldestNewExampleAtMs();
        long sinceLast = state.requests() == 0 ? Long.MAX_VALUE : now - state.lastRequestAtMs();
        Optional<Trigger> trigger = policies.policy(state.tenant()).decide(state.newExamples(), waited, sinceLast, state.awaitingAnswer());
        if (trigger.isEmpty()) {
            return state;
        }
        // the request names shards: everything pending is sealed first, holdout too so evaluation sees it all
        for (DatasetKind kind : DatasetKind.values()) {
            if (state.pending(kind).count() > 0) {
                state = trySeal(state, kind, now);
                if (state.pending(kind).count() > 0) {
                    return state; // S3 is failing: ask again on a later check
                }
            }
        }
        if (now < retryWritesAtMs) {
            return state;
        }
        // what the job may read goes to S3 first, under a key of its own content; the record names it
        int number = state.requests() + 1;
        String requestId = TenantDatasets.requestId(state.tenant(), number);
        String tenant = state.tenant();
        List<String> holdoutKeys = holdoutSelection(state).seqs().stream().map(seq -> DatasetKind.HOLDOUT.shardKey(tenant, seq)).toList();
        // the retry shards first, then the sealed shards no request has named, up to request-max-examples: after a long
        // backlog (S3 or a policy held requests back) the rest wait for the next request, so no request grows with history
        List<String> trainKeys = new ArrayList<>(state.retryShards().stream().map(TenantDatasets.Retry::key).toList());
        int last = state.firstUnrequestedShard() - 1;
        int named = 0;
        while (last < state.trainShards() && (named < settings.requestMaxExamples() || last < state.firstUnrequestedShard())) {
            last++;
            String shardKey = DatasetKind.TRAIN.shardKey(tenant, last);
            trainKeys.add(shardKey);
            named += shards.get(shardStoreKey(shardKey)).examples();
        }
        long nextOldest = last < state.trainShards()
                ? shards.get(shardStoreKey(DatasetKind.TRAIN.shardKey(tenant, last + 1))).oldestExampleAt().toEpochMilli() : 0;
        DatasetSnapshot snapshot = new DatasetSnapshot(state.tenant(), requestId, sealedShards(trainKeys), sealedShards(holdoutKeys),
                erasedIds(tenant));
        byte[] content = snapshot.encode();
        String sha256 = Sha256.hex(content);
        String key = DatasetSnapshot.key(state.tenant(), number, sha256);
        try {
            datasets.put(key, content, "application/json");
        } catch (DatasetStore.UnavailableException e) {
            writeFailed(key, now, e);
            return state;
        }
        TrainingSnapshotRequested request = new TrainingSnapshotRequested(requestId, state.tenant(),
                new TrainingSnapshotRequested.Snapshot(key, sha256, snapshot.shards().size(), snapshot.holdout().size()),
                named + state.retryExamples(), trigger.get(), Instant.ofEpochMilli(now));
        context.forward(new Record<String, LoraEvent>(state.tenant(), request, now), FeedbackDatasets.TRAINING_REQUESTS_SINK);
        if (state.lastSnapshotKey() != null) {
            scheduleDeletion(state.lastSnapshotKey(), "", now + settings.deleteGrace().toMillis()); // its job has had the grace period
        }
        metrics.requested(trigger.get());
        LOG.infof("training requested for %s: %d new examples in %d shards, %d holdout shards (%s, %s)",
                state.tenant(), request.newExamples(), snapshot.shards().size(), snapshot.holdout().size(), trigger.get(), key);
        return state.requested(now, key, last, named, nextOldest);
    }

    /**
     * The sealed shards of these keys, with their example counts and sha256s, and the segment compaction copied them into,
     * from the shard store. A shard it no longer holds was deleted after its grace period (a retry of a request that failed
     * later than that): it is left out, with a log line.
     */
    private List<DatasetSnapshot.Shard> sealedShards(List<String> keys) {
        List<DatasetSnapshot.Shard> listed = new ArrayList<>(keys.size());
        for (String key : keys) {
            TenantDatasets.Shard shard = shards.get(shardStoreKey(key));
            if (shard == null) {
                LOG.warnf("%s was deleted after its grace period (%s) before a request could name it again: left out", key,
                        settings.deleteGrace());
                continue;
            }
            listed.add(new DatasetSnapshot.Shard(key, shard.examples(), shard.sha256(), shard.segment(), shard.offset(), shard.length()));
        }
        return listed;
    }

    /** Writes the pending examples of one kind as the tenant's next shard; unchanged state if S3 fails. */
    private TenantDatasets trySeal(TenantDatasets state, DatasetKind kind, long now) {
        if (now < retryWritesAtMs) {
            return state;
        }
        String prefix = pendingPrefix(state.tenant(), kind);
        List<String> keys = new ArrayList<>();
        StringBuilder jsonl = new StringBuilder();
        try (KeyValueIterator<String, String> it = pending.prefixScan(prefix, new StringSerializer())) {
            while (it.hasNext()) {
                KeyValue<String, String> kv = it.next();
                keys.add(kv.key);
                jsonl.append(kv.value).append('\n');
            }
        }
        byte[] content = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        TenantDatasets.Shard shard = new TenantDatasets.Shard(kind.shardKey(state.tenant(), state.nextSeq(kind)), kind,
                keys.size(), Sha256.hex(content), Instant.ofEpochMilli(now), Instant.ofEpochMilli(state.pending(kind).oldestAtMs()));
        try {
            datasets.put(shard.key(), content, "application/x-ndjson");
        } catch (DatasetStore.UnavailableException e) {
            writeFailed(shard.key(), now, e);
            return state;
        }
        keys.forEach(pending::delete);
        shards.put(shardStoreKey(shard.key()), shard);
        if (kind == DatasetKind.HOLDOUT) {
            HoldoutSelection before = holdoutSelection(state);
            HoldoutSelection after = before.sealed(new HoldoutSelection.Entry(state.nextSeq(kind), shard.examples(),
                    ShardKeys.rank(shard.key())), settings.holdoutWindow(), settings.holdoutReservoir());
            holdout.put(state.tenant(), after);
            // a shard the selection lets go is never selected again (it only takes shards leaving the window): nobody reads it
            for (int seq : before.seqs()) {
                if (!after.seqs().contains(seq)) {
                    String key = kind.shardKey(state.tenant(), seq);
                    scheduleDeletion(key, shardStoreKey(key), now + settings.deleteGrace().toMillis());
                }
            }
        }
        metrics.sealed(kind);
        return state.sealed(shard);
    }

    /**
     * The tenant's holdout selection. A tenant whose holdout shards were sealed before the selection existed gets it built
     * once from its shards, in order, as if it had been kept all along.
     */
    private HoldoutSelection holdoutSelection(TenantDatasets state) {
        HoldoutSelection kept = holdout.get(state.tenant());
        if (kept != null || state.holdoutShards() == 0) {
            return kept == null ? HoldoutSelection.EMPTY : kept;
        }
        HoldoutSelection built = HoldoutSelection.EMPTY;
        for (int seq = 1; seq <= state.holdoutShards(); seq++) {
            String key = DatasetKind.HOLDOUT.shardKey(state.tenant(), seq);
            TenantDatasets.Shard shard = shards.get(shardStoreKey(key));
            built = built.sealed(new HoldoutSelection.Entry(seq, shard.examples(), ShardKeys.rank(key)), settings.holdoutWindow(),
                    settings.holdoutReservoir());
        }
        holdout.put(state.tenant(), built);
        return built;
    }

    /**
     * Rewrites {@code datasets/{tenant}/manifest.json} when shards were sealed since it was last written: once per check, not
     * once per shard, since it lists every shard of the tenant; and only the shards the last check had sealed ({@code sealed}),
     * whose sealing has committed: so every shard it lists keeps the bytes and sha256 it gives, through any crash.
     */
    private TenantDatasets tryWriteManifest(TenantDatasets state, SealedCounts sealed, long now) {
        if (!state.manifestBehind() || sealed == null || sealed.train() + sealed.holdout() <= state.manifestShards()
                || now < retryWritesAtMs) {
            return state; // nothing new it could list yet
        }
        List<TenantDatasets.Shard> committed = new ArrayList<>();
        try (KeyValueIterator<String, TenantDatasets.Shard> it = shards.prefixScan(state.tenant() + "/", new StringSerializer())) {
            it.forEachRemaining(kv -> {
                if (sealed.covers(kv.value)) {
                    committed.add(kv.value);
                }
            });
        }
        List<Compaction.Segment> kept = new ArrayList<>();
        try (KeyValueIterator<String, Compaction.Segment> it = segments.prefixScan(state.tenant() + "/", new StringSerializer())) {
            it.forEachRemaining(kv -> kept.add(kv.value));
        }
        String key = DatasetManifest.key(state.tenant());
        try {
            datasets.put(key, DatasetManifest.of(state.tenant(), kept, committed, now), "application/json");
        } catch (DatasetStore.UnavailableException e) {
            writeFailed(key, now, e);
            return state;
        }
        return state.manifestWritten(sealed.train() + sealed.holdout());
    }

    private void writeFailed(String key, long now, DatasetStore.UnavailableException e) {
        metrics.shardWriteFailures.increment();
        retryWritesAtMs = now + settings.checkInterval().toMillis() * 5;
        LOG.warnf("could not write %s (will retry; nothing is lost): %s", key, e.getMessage());
    }

    private void deadLetter(Record<String, byte[]> record, String code, String reason, List<String> errors) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        long now = context.currentSystemTimeMs();
        DeadLetter letter = DeadLetter.of(source.topic(), source.partition(), source.offset(), record.key(), record.value(),
                reason, errors, FAILED_BY, Instant.ofEpochMilli(now));
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetter.REASON_HEADER, letter.reason().getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<String, LoraEvent>(record.key(), letter, record.timestamp(), headers), FeedbackDatasets.DEAD_LETTER_SINK);
        metrics.deadLettered(code);
    }

    /** {@code tenant/TRAIN/000001} for {@code datasets/tenant/shards/000001.jsonl}: the shard store's key, tenant first for prefix scans. */
    static String shardStoreKey(String shardKey) {
        String[] parts = shardKey.split("/"); // datasets, tenant, shards|holdout, NNNNNN.jsonl
        DatasetKind kind = parts[2].equals("holdout") ? DatasetKind.HOLDOUT : DatasetKind.TRAIN;
        return parts[1] + "/" + kind.name() + "/" + parts[3].substring(0, parts[3].indexOf('.'));
    }

    /** 7 for {@code datasets/tenant/shards/000007.jsonl}. */
    static int shardSeq(String shardKey) {
        return Integer.parseInt(shardKey.substring(shardKey.lastIndexOf('/') + 1, shardKey.lastIndexOf('.')));
    }

    private static String pendingPrefix(String tenant, DatasetKind kind) {
        return tenant + "/" + kind.name() + "/";
    }

    /** Fixed-width hex arrival number: the prefix scan returns a shard's examples in arrival order. */
    private static String pendingKey(String tenant, DatasetKind kind, long arrival) {
        return pendingPrefix(tenant, kind) + String.format("%016x", arrival);
    }
}
