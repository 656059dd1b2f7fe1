package io.lorastream.trainer;

import io.lorastream.store.BaseSettings;
import io.lorastream.store.FleetBase;
import io.lorastream.store.ObjectStore;
import io.lorastream.store.AdapterRepository;

import io.lorastream.engine.BaseModel;
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
