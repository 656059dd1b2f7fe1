package io.lorastream.trainer;

import io.lorastream.store.AdapterRepository;
import io.lorastream.store.VersionManifest;

import io.lorastream.engine.Adapter;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.Example;
import io.lorastream.engine.Metrics;
import io.lorastream.engine.Trainer;
import io.lorastream.engine.TrainingListener;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.DatasetSnapshot;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.Sha256;
import io.lorastream.events.Evaluation;
import io.lorastream.events.TrainingRequested;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * One training request → one adapter version. The tenant's stable version is the registry's, as the
 * rollout decided when the job starts ({@link StableVersions}): a version live labels rolled back is never
 * inherited. Warm start from it (fresh for a new tenant, or when the data brings a label the stable adapter
 * does not know), train on the requested shards plus examples drawn from the stable's replay sample (its line's
 * data, bounded: {@link ReplaySample}), evaluate candidate and stable on the tenant's holdout (the stable only on examples
 * it has not graded before: {@link StableGrades}), decide the offline gate,
 * publish {@code adapters/{tenant}/v{n}/} with the manifest last, naming the parent and the baseline it used.
 *
 * <p>{@link #run} does it all; a worker that trains several tenants' adapters together calls its steps: {@link #prepare},
 * training, {@link #finish}.
 *
 * <p>Idempotent: a request that already produced a version (its id is in that version's manifest)
 * publishes nothing new and returns the same event, so redelivery after a crash is safe.
 */
public final class TrainingJob {
    private static final Logger LOG = Logger.getLogger(TrainingJob.class);

    private final BaseModel base;
    private final AdapterRepository adapters;
    private final TenantData data;
    private final StableVersions registry;
    private final TrainerConfig.Trainer settings;
    private final Clock clock;
    private final VersionRetention retention;
    /** Tenants whose stable's holdout probabilities are kept ({@link StableGrades}): about 16 KB each with 2 labels. */
    private static final int STABLE_GRADES_TENANTS = 256;
    private final StableGrades stableGrades = new StableGrades(STABLE_GRADES_TENANTS);

    public TrainingJob(BaseModel base, AdapterRepository adapters, TenantData data, StableVersions registry,
                       TrainerConfig.Trainer settings, Clock clock) {
        this.base = base;
        this.adapters = adapters;
        this.data = data;
        this.registry = registry;
        this.settings = settings;
        this.retention = new VersionRetention(settings.keepVersions(), settings.retentionGrace());
        this.clock = clock;
    }

    /** What a run did, for the event and for metrics. */
    /** @param retired the tenant's versions retention deleted after this one was published (an {@code adapter-retired} event); null: none */
    public record Outcome(AdapterPublished event, boolean alreadyPublished, long trainedExamples, double examplesPerSecond,
                          io.lorastream.events.AdapterRetired retired) {
        Outcome(AdapterPublished event, boolean alreadyPublished, long trainedExamples, double examplesPerSecond) {
            this(event, alreadyPublished, trainedExamples, examplesPerSecond, null);
        }
    }

    public Outcome run(TrainingRequested request) {
        return run(request, Map.of());
    }

    public Outcome run(TrainingRequested request, Map<String, DatasetSnapshot.Shard> named) {
        return run(request, named, java.util.Set.of());
    }

    /**
     * @param named  each shard as the request's snapshot names it: its sha256 and where compaction put it ({@link TenantData#events})
     * @param erased the tenant's erased feedback ids: used nowhere — not trained on, not graded on, not replayed, not sampled
     */
    public Outcome run(TrainingRequested request, Map<String, DatasetSnapshot.Shard> named, java.util.Set<String> erased) {
        try (Prepared prepared = prepare(request, named, erased)) {
            if (prepared.published() != null) {
                return prepared.published();
            }
            long started = System.nanoTime();
            Trainer.Result result = train(prepared);
            return finish(prepared, result, Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /** Trains the prepared candidate alone on its examples ({@link #training()}). */
    public Trainer.Result train(Prepared prepared) {
        return new Trainer(settings.training(), TrainingListener.NONE).train(prepared.candidate(), prepared.examples(), null);
    }

    /**
     * A request read and its adapters loaded, ready to train ({@link #candidate()} on {@link #examples()}, with
     * {@link #training()}); or, when the request produced a version already, that version's outcome
     * ({@link #published()}). Closing it frees its adapters and its temporary folder.
     */
    public static final class Prepared implements AutoCloseable {
        private final TrainingRequested request;
        private final Outcome published;
        private final long started;
        private final List<VersionManifest> versions;
        private final Optional<VersionManifest> stable;
        private final List<FeedbackReceived> fresh;
        private final List<FeedbackReceived> holdoutEvents;
        private final List<FeedbackReceived> sample;
        private final int replayed;
        private final List<Example> train;
        private final List<Example> holdout;
        private final Path work;
        private Adapter stableAdapter;
        private Adapter candidate;
        private Integer parent;
        private long readMs;

        private Prepared(TrainingRequested request, Outcome published) {
            this(request, published, 0, List.of(), Optional.empty(), List.of(), List.of(), List.of(), 0, List.of(), List.of(), null);
        }

        private Prepared(TrainingRequested request, Outcome published, long started, List<VersionManifest> versions,
                         Optional<VersionManifest> stable, List<FeedbackReceived> fresh, List<FeedbackReceived> holdoutEvents,
                         List<FeedbackReceived> sample, int replayed, List<Example> train, List<Example> holdout, Path work) {
            this.request = request;
            this.published = published;
            this.started = started;
            this.versions = versions;
            this.stable = stable;
            this.fresh = fresh;
            this.holdoutEvents = holdoutEvents;
            this.sample = sample;
            this.replayed = replayed;
            this.train = train;
            this.holdout = holdout;
            this.work = work;
        }

        public TrainingRequested request() {
            return request;
        }

        /** The outcome of a request that produced a version before (a redelivery): nothing to train. Null otherwise. */
        public Outcome published() {
            return published;
        }

        /** The adapter to train: the stable's copy (warm start) or a fresh one. */
        public Adapter candidate() {
            return candidate;
        }

        /** The new examples, then the replayed ones. */
        public List<Example> examples() {
            return train;
        }

        @Override
        public void close() {
            try (Adapter a = candidate; Adapter b = stableAdapter) {
                candidate = null;
                stableAdapter = null;
            } finally {
                if (work != null) {
                    deleteRecursively(work);
                }
            }
        }
    }

    /** What the trainer trains a prepared request with: one adapter alone, or in a {@link io.lorastream.engine.FusedTrainer}. */
    public io.lorastream.engine.TrainingConfig training() {
        return settings.training();
    }

    /**
     * Reads the request's data and the tenant's stable version, and loads the adapter to train. Nothing is published; a failure
     * (an S3 outage, fewer than two labels, a missing shard) leaves nothing behind.
     *
     * @see #run(TrainingRequested, Map, java.util.Set)
     */
    public Prepared prepare(TrainingRequested request, Map<String, DatasetSnapshot.Shard> named, java.util.Set<String> erased) {
        String tenant = request.tenant();
        // one listing per job: a tenant's jobs run one after another (its partition, one worker, one device)
        List<VersionManifest> versions = adapters.versions(tenant);
        Optional<VersionManifest> done = AdapterRepository.byRequest(versions, request.requestId());
        if (done.isPresent()) {
            LOG.infof("%s already produced %s v%d: publishing its event again", request.requestId(), tenant, done.get().version());
            return new Prepared(request, new Outcome(event(adapters.published(done.get())), true, 0, 0));
        }
        long started = System.nanoTime();
        Optional<VersionManifest> stable = stable(tenant, versions);
        java.util.function.Predicate<FeedbackReceived> kept = e -> !erased.contains(e.id());
        List<FeedbackReceived> fresh = data.events(request.shards(), named).stream().filter(kept).toList();
        List<FeedbackReceived> holdoutEvents = data.events(request.holdoutShards(), named).stream().filter(kept).toList();
        List<Example> holdout = holdoutEvents.stream().map(TenantData::example).toList();
        List<FeedbackReceived> sample = stable.map(this::replaySample).orElse(List.<FeedbackReceived>of()).stream().filter(kept).toList();
        List<FeedbackReceived> replayed = ReplaySample.draw(sample, fresh,
                (int) Math.round(fresh.size() * settings.replayRatio()), settings.training().seed());
        List<Example> train = new ArrayList<>(fresh.stream().map(TenantData::example).toList());
        replayed.forEach(e -> train.add(TenantData.example(e)));
        LOG.infof("training %s for %s: %d new + %d replayed examples, %d held out", request.requestId(), tenant,
                fresh.size(), replayed.size(), holdout.size());

        TreeSet<String> labels = labels(train, holdout);
        Prepared prepared = new Prepared(request, null, started, versions, stable, fresh, holdoutEvents, sample, replayed.size(),
                train, holdout, tempDir(tenant));
        try {
            if (stable.isPresent()) {
                Path stableDir = adapters.download(stable.get(), prepared.work.resolve("stable"));
                prepared.stableAdapter = AdapterFiles.load(stableDir, base);
                if (prepared.stableAdapter.labels().containsAll(labels)) {
                    prepared.candidate = AdapterFiles.load(stableDir, base); // a second copy: this one trains
                    prepared.parent = stable.get().version();
                } else {
                    LOG.infof("%s: new labels %s beyond the stable v%d's %s: training a fresh adapter", tenant,
                            labels, stable.get().version(), prepared.stableAdapter.labels());
                }
            }
            if (prepared.candidate == null) {
                prepared.candidate = Adapter.create(base, settings.lora(), settings.head(base), List.copyOf(labels), settings.training().seed());
            }
            prepared.readMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
            return prepared;
        } catch (RuntimeException e) {
            prepared.close();
            throw e;
        }
    }

    /**
     * Grades the trained candidate and the stable on the holdout, decides the offline gate and publishes the version (S3 outages
     * may be retried: it publishes the request's version once).
     *
     * @param result   what training the prepared candidate gave
     * @param training how long it took (with other tenants' adapters when they trained together)
     */
    public Outcome finish(Prepared prepared, Trainer.Result result, Duration training) {
        TrainingRequested request = prepared.request;
        String tenant = request.tenant();
        Adapter trained = prepared.candidate;
        Adapter previous = prepared.stableAdapter;
        List<Example> holdout = prepared.holdout;
        Optional<VersionManifest> stable = prepared.stable;
        Map<String, Long> timings = new LinkedHashMap<>();
        timings.put("read", prepared.readMs);
        timings.put("train", training.toMillis());
        long phase = System.nanoTime();
        Classifier.Graded candidateGraded = holdout.isEmpty() ? null : new Classifier(trained, 64).grade(holdout);
        Classifier.Graded stableGraded = null;
        if (previous != null && !holdout.isEmpty()) {
            Classifier stableClassifier = new Classifier(previous, 64);
            stableGraded = stableClassifier.grade(holdout, stableGrades.probabilities(tenant, stable.get().version(),
                    prepared.holdoutEvents.stream().map(FeedbackReceived::id).toList(), holdout.stream().map(Example::text).toList(),
                    stableClassifier::probabilities));
        }
        timings.put("grade", Duration.ofNanos(System.nanoTime() - phase).toMillis());
        phase = System.nanoTime();
        Evaluation candidateEval = evaluation(candidateGraded);
        Evaluation stableEval = stableGraded == null ? null : evaluation(stableGraded);
        OfflineGate gate = new OfflineGate(settings.gateMargin(), settings.gateAlpha());
        OfflineGate.Verdict verdict = stableGraded == null ? null : gate.judge(candidateGraded.correct(), stableGraded.correct());
        AdapterPublished.Gate gateEvent = gate.event(verdict);
        Path out = prepared.work.resolve("candidate");
        AdapterFiles.save(trained, out);
        List<FeedbackReceived> nextSample = ReplaySample.next(prepared.sample, prepared.fresh, settings.replaySampleExamples());
        byte[] nextSampleBytes = ReplaySample.encode(nextSample);
        write(out.resolve(VersionManifest.REPLAY_SAMPLE), nextSampleBytes);

        // another attempt of this request (redelivered in a rebalance while this one ran) may have published it
        Optional<VersionManifest> meanwhile = AdapterRepository.byRequest(adapters.versions(tenant), request.requestId());
        if (meanwhile.isPresent()) {
            LOG.infof("%s was published as %s v%d by another attempt meanwhile: publishing its event again", request.requestId(),
                    tenant, meanwhile.get().version());
            return new Outcome(event(adapters.published(meanwhile.get())), true, 0, 0);
        }
        // the rollout may have rolled the baseline back while this job trained from it (its watch, a replica
        // that could not load it, an admin): publishing would hand its line on. Its shards go to the next request.
        List<VersionManifest> versions = prepared.versions;
        OptionalInt stableNow = registry.stable(tenant, versions.stream().mapToInt(VersionManifest::version).max().orElse(0));
        Integer baseline = stable.map(VersionManifest::version).orElse(null);
        if (!java.util.Objects.equals(baseline, stableNow.isPresent() ? stableNow.getAsInt() : null)) {
            throw new BaselineChanged(tenant + ": stable changed from v" + baseline + " to v"
                    + (stableNow.isPresent() ? stableNow.getAsInt() : "none") + " while " + request.requestId()
                    + " trained from it; not published, its shards go to the tenant's next request");
        }
        int version = AdapterRepository.nextVersion(versions);
        VersionManifest draft = new VersionManifest(tenant, version, prepared.parent, baseline,
                request.requestId(),
                new AdapterPublished.BaseModel(base.id(), base.sha256()), request.shards(), List.of(),
                request.holdoutShards(), null, new VersionManifest.ReplaySample(nextSample.size(), Sha256.hex(nextSampleBytes)),
                hyperParameters(result, prepared.replayed), new AdapterPublished.Metrics(candidateEval, stableEval),
                gateEvent, Map.of(),
                Duration.ofNanos(System.nanoTime() - prepared.started).toMillis(), base.device().toString(), clock.instant());
        AdapterRepository.Published published = adapters.publish(draft, out);
        timings.put("publish", Duration.ofNanos(System.nanoTime() - phase).toMillis());
        LOG.infof("%s v%d published: holdout accuracy %.4f (stable %s), gate %s%s, %d examples in %d ms",
                tenant, published.manifest().version(), candidateEval.accuracy(), stableEval == null ? "none" : String.format("%.4f", stableEval.accuracy()),
                gateEvent.passed() ? "passed" : "failed", verdict == null ? "" : String.format(" (only the candidate right %d, only stable %d, p = %.2g)",
                        verdict.candidateOnly(), verdict.stableOnly(), verdict.pWorse()), prepared.train.size(), draft.durationMs());
        return new Outcome(event(published, timings), false, result.examples(), result.examplesPerSecond(),
                retire(tenant, versions, published.manifest()));
    }

    /**
     * Deletes what retention no longer keeps of the tenant's versions ({@link VersionRetention}). A failure is logged and left
     * for the tenant's next job, which looks again: the version just published stands either way.
     *
     * @return the event naming what was deleted; null when nothing was
     */
    private io.lorastream.events.AdapterRetired retire(String tenant, List<VersionManifest> before, VersionManifest published) {
        List<Integer> retired = new ArrayList<>();
        List<VersionManifest> versions = new ArrayList<>(before);
        versions.add(published);
        try {
            // as of the job's start: the version just published has no decision yet (its event is not sent), and is kept anyway
            int decided = before.stream().mapToInt(VersionManifest::version).max().orElse(0);
            java.util.Set<Integer> kept = registry.protectedVersions(tenant, decided);
            for (int v : retention.retire(versions, kept, clock.instant())) {
                adapters.retire(tenant, v);
                retired.add(v);
            }
        } catch (RuntimeException e) {
            LOG.warnf("retention for %s stopped after %s (the next job looks again): %s", tenant, retired, e.getMessage());
        }
        if (retired.isEmpty()) {
            return null;
        }
        LOG.infof("%s: retired v%s (newest %d kept, and stable, candidate, pinned and promoted ones, and any younger than %s)",
                tenant, retired, retention.keepLast(), retention.grace());
        return new io.lorastream.events.AdapterRetired(tenant, retired, String.format(java.util.Locale.ROOT,
                "older than the newest %d versions and than %s; not the stable, the candidate, pinned or promoted in the registry's history",
                retention.keepLast(), retention.grace()), clock.instant());
    }

    /** Deletes an offboarded tenant's adapters ({@link AdapterRepository#forget}); returns the versions it had. */
    public List<Integer> forget(String tenant) {
        stableGrades.forget(tenant);
        return adapters.forget(tenant);
    }

    /** @see TenantData#resolve */
    public TenantData.Resolved resolve(io.lorastream.events.TrainingRequest request) {
        return data.resolve(request);
    }

    /** The registry's stable changed while the job trained from the one before: what it trained must not be published. */
    static final class BaselineChanged extends RuntimeException {
        BaselineChanged(String message) {
            super(message);
        }
    }

    /** The registry's stable version of the tenant, with its manifest. */
    private Optional<VersionManifest> stable(String tenant, List<VersionManifest> versions) {
        OptionalInt stable = registry.stable(tenant, versions.stream().mapToInt(VersionManifest::version).max().orElse(0));
        if (stable.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(versions.stream().filter(v -> v.version() == stable.getAsInt()).findFirst()
                .orElseThrow(() -> new IllegalStateException("the registry's stable " + tenant + " v" + stable.getAsInt()
                        + " has no manifest in " + adapters.uri(tenant, stable.getAsInt()))));
    }

    /**
     * The stable's replay sample: the object its manifest names (checked), or, for a stable published on 2026-12-04, the shards
     * of its replay pool. A rolled-back version is never the stable, so its data is never replayed.
     */
    private List<FeedbackReceived> replaySample(VersionManifest stable) {
        Optional<byte[]> sample = adapters.replaySample(stable);
        if (sample.isPresent()) {
            return TenantData.parse(sample.get());
        }
        return stable.replayPool() == null ? List.of() : data.legacyPool(stable.replayPool());
    }

    private AdapterPublished event(AdapterRepository.Published published) {
        return event(published, Map.of());
    }

    /** @param timings where the job's time went ({@link AdapterPublished#TIMINGS}); empty for a version published again */
    private AdapterPublished event(AdapterRepository.Published published, Map<String, Long> timings) {
        VersionManifest m = published.manifest();
        return new AdapterPublished(m.tenant(), m.version(), m.parentVersion(), m.baselineVersion(), adapters.uri(m.tenant(), m.version()),
                m.baseModel(), published.files(), m.trainingRequestId(), m.metrics(), m.gate(), timings, m.createdAt());
    }

    private Map<String, Object> hyperParameters(Trainer.Result result, int replayed) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("r", settings.lora().r());
        h.put("lora_alpha", settings.lora().loraAlpha());
        h.put("lora_dropout", settings.lora().loraDropout());
        h.put("target_modules", settings.lora().targetModules().stream().map(Enum::name).sorted().toList());
        h.put("epochs", settings.training().epochs());
        h.put("batch_size", settings.training().batchSize());
        h.put("learning_rate", settings.training().learningRate());
        h.put("seed", settings.training().seed());
        h.put("replay_ratio", settings.replayRatio());
        h.put("replayed_examples", replayed);
        h.put("examples", result.examples());
        return h;
    }

    /** The event's metrics; an empty holdout is graded as 0 examples. */
    private static Evaluation evaluation(Classifier.Graded graded) {
        if (graded == null) {
            return new Evaluation(0, null, null, 0);
        }
        Metrics m = graded.metrics();
        return new Evaluation(m.accuracy(), m.macroF1(), m.loss(), m.examples());
    }

    private static TreeSet<String> labels(List<Example> train, List<Example> holdout) {
        TreeSet<String> labels = new TreeSet<>();
        train.forEach(e -> labels.add(e.label()));
        holdout.forEach(e -> labels.add(e.label()));
        if (labels.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least two labels; the data has " + labels);
        }
        return labels;
    }

    private static void write(Path file, byte[] content) {
        try {
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path tempDir(String tenant) {
        try {
            return Files.createTempDirectory("lorastream-train-" + tenant + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warnf("could not delete %s: %s", dir, e.getMessage());
        }
    }
}
