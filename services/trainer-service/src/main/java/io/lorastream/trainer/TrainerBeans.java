package io.lorastream.trainer;

import io.lorastream.store.BaseSettings;
import io.lorastream.store.FleetBase;
import io.lorastream.store.ObjectStore;
import io.lorastream.store.AdapterRepository;

import io.lorastream.engine.Adapter;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.Example;
import io.lorastream.engine.Trainer;
import io.lorastream.engine.TrainingConfig;
import io.lorastream.engine.TrainingListener;
import java.util.List;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.KafkaConnection;
import io.quarkus.runtime.Startup;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import io.smallrye.common.annotation.Identifier;
import java.util.Map;
import org.jboss.logging.Logger;

/** The worker's long-lived parts: the base model (loaded once), the bucket, the registry's view, the job. */
public class TrainerBeans {
    private static final Logger LOG = Logger.getLogger(TrainerBeans.class);
    /** Beyond it a job waits with backoff, as for S3 (the broker is down or far behind). */
    private static final java.time.Duration REGISTRY_TIMEOUT = java.time.Duration.ofSeconds(30);
    /** Two batches of the default size: every code path of a job runs at least twice. */
    private static final int WARM_UP_EXAMPLES = 32;

    @Produces
    @Singleton
    @Startup // loaded before the first request, once per worker
    BaseModel base(TrainerConfig config, BaseSettings baseSettings) {
        BaseModel base = BaseModel.forService(config.trainer().device(), java.util.OptionalInt.empty(), baseSettings.dir().map(Path::of));
        try {
            LOG.infof("base model %s (sha256 %s) on %s (lorastream.trainer.device=%s); new adapters get its %s head",
                    base.id(), base.sha256(), base.device(), config.trainer().device(), config.trainer().head(base).name());
        } catch (IllegalArgumentException e) {
            base.close();
            throw e;
        }
        return base;
    }

    /** Before any traffic: binds the bucket to this base, or refuses to start on another ({@link FleetBase}). */
    void checkTheBucketsBase(@Observes StartupEvent start, BaseModel base, ObjectStore store) {
        AdapterPublished.BaseModel mine = new AdapterPublished.BaseModel(base.id(), base.sha256());
        FleetBase.Outcome outcome = new FleetBase(store).atStart(mine, true);
        LOG.log(outcome == FleetBase.Outcome.UNREACHABLE ? Logger.Level.WARN : Logger.Level.INFO, FleetBase.describe(outcome, mine));
    }

    /**
     * One short throwaway job on made-up examples (train, grade), so that the first tenant's job does not pay for the
     * engine's first calls — native allocations, kernel choices, the JIT — in its freshness. {@link TrainingWorker} runs
     * it at start on the device's turn: a request redelivered at start must not train beside it (two trainings at once in
     * one engine corrupt each other's gradients).
     */
    static void warmUp(BaseModel base, TrainerConfig config) {
        long started = System.nanoTime();
        TrainerConfig.Trainer settings = config.trainer();
        TrainingConfig training = settings.training();
        List<Example> examples = java.util.stream.IntStream.range(0, WARM_UP_EXAMPLES)
                .mapToObj(i -> new Example("warm-up sentence number " + i + (i % 2 == 0 ? ", a good one" : ", a bad one"), i % 2 == 0 ? "good" : "bad"))
                .toList();
        try (Adapter adapter = Adapter.create(base, settings.lora(), settings.head(base), List.of("bad", "good"), training.seed())) {
            new Trainer(new TrainingConfig(1, training.batchSize(), training.learningRate(), training.weightDecay(), training.warmupRatio(),
                    training.maxGradNorm(), training.seed(), 0, training.fullFinetune()), TrainingListener.NONE).train(adapter, examples, null);
            new Classifier(adapter, 64).grade(examples);
        }
        LOG.infof("warmed up in %d ms: a throwaway adapter trained and graded on %d made-up examples",
                java.time.Duration.ofNanos(System.nanoTime() - started).toMillis(), WARM_UP_EXAMPLES);
    }

    void close(@Disposes BaseModel base) {
        base.close();
    }

    @Produces
    @Singleton
    ObjectStore store(TrainerConfig config) {
        TrainerConfig.S3 s3 = config.s3();
        return ObjectStore.connect(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(), s3.bucket());
    }

    void close(@Disposes ObjectStore store) throws Exception {
        store.close();
    }

    @Produces
    @Singleton
    @Startup // reading the registry starts with the service, not with the first job
    RegistryView registry(@Identifier("default-kafka-broker") Map<String, Object> kafkaSettings) {
        return new RegistryView(KafkaConnection.of(kafkaSettings), REGISTRY_TIMEOUT);
    }

    void close(@Disposes RegistryView registry) {
        registry.close();
    }

    @Produces
    @Singleton
    TrainingJob job(BaseModel base, ObjectStore store, RegistryView registry, TrainerConfig config) {
        return new TrainingJob(base, new AdapterRepository(store), new TenantData(store), registry, config.trainer(), Clock.systemUTC());
    }
}
