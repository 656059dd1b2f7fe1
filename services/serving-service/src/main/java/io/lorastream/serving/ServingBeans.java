package io.lorastream.serving;

import io.lorastream.engine.BaseModel;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.KafkaConnection;
import io.lorastream.events.AdapterLoadFailed;
import io.lorastream.store.BaseSettings;
import io.lorastream.store.FleetBase;
import io.lorastream.store.ObjectStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import io.smallrye.common.annotation.Identifier;
import java.util.Map;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/** The replica's long-lived parts: the base (loaded once), the adapters beside it, the scoring thread, the registry follower. */
public class ServingBeans {
    private static final Logger LOG = Logger.getLogger(ServingBeans.class);

    @Produces
    @Singleton
    @Startup
    BaseModel base(ServingConfig config, BaseSettings baseSettings) {
        BaseModel base = BaseModel.forService(config.serving().device(), config.serving().intraOpThreads(), baseSettings.dir().map(Path::of));
        LOG.infof("base model %s (sha256 %s) on %s (lorastream.serving.device=%s)", base.id(), base.sha256(), base.device(),
                config.serving().device());
        return base;
    }

    /** Before any traffic: refuses to start on another base than the bucket's trainers ({@link FleetBase}). */
    void checkTheBucketsBase(@Observes StartupEvent start, BaseModel base, ObjectStore store) {
        AdapterPublished.BaseModel mine = new AdapterPublished.BaseModel(base.id(), base.sha256());
        FleetBase.Outcome outcome = new FleetBase(store).atStart(mine, false);
        LOG.log(outcome == FleetBase.Outcome.UNREACHABLE ? Logger.Level.WARN : Logger.Level.INFO, FleetBase.describe(outcome, mine));
    }

    void close(@Disposes BaseModel base) {
        base.close();
    }

    @Produces
    @Singleton
    ServingMetrics metrics(MeterRegistry registry) {
        return new ServingMetrics(registry);
    }

    @Produces
    @Singleton
    ObjectStore store(ServingConfig config) {
        ServingConfig.S3 s3 = config.s3();
        return ObjectStore.connect(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(), s3.bucket());
    }

    void close(@Disposes ObjectStore store) throws Exception {
        store.close();
    }

    @Produces
    @Singleton
    ServedAdapters adapters(BaseModel base, ObjectStore store, ServingConfig config, ServingMetrics metrics,
                            @Channel("adapter-events") MutinyEmitter<AdapterLoadFailed> events) {
        ServingConfig.Serving settings = config.serving();
        AdapterCache cache = new AdapterCache(settings.cacheMaxBytes(), settings.pinnedTenants().orElse(java.util.Set.of()));
        metrics.residentGauges(cache::size, cache::bytes);
        return new ServedAdapters(cache, new AdapterLoader(base, store), metrics,
                refusal -> events.sendMessage(Message.of(refusal)
                                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(refusal.tenant()).build()))
                        .subscribe().with(ok -> { }, e -> LOG.warnf("adapter-load-failed for %s v%d not sent: %s",
                                refusal.tenant(), refusal.version(), e.getMessage())),
                settings.replicaName(), settings.loadThreads(), Clock.systemUTC());
    }

    void close(@Disposes ServedAdapters adapters) {
        adapters.close();
    }

    @Produces
    @Singleton
    ScoringQueue queue(BaseModel base, ServingConfig config, ServingMetrics metrics) {
        return new ScoringQueue(base, config.serving().maxBatchTexts(), config.serving().maxQueuedTexts(), metrics).start();
    }

    void close(@Disposes ScoringQueue queue) {
        queue.close();
    }

    @Produces
    @Singleton
    Scoring scoring(ServedAdapters adapters, ScoringQueue queue, ServingMetrics metrics, ServingConfig config) {
        return new Scoring(adapters, queue, metrics, Clock.systemUTC(), config.serving().requestTimeout());
    }

    @Produces
    @Singleton
    RolloutView rolloutView() {
        return new RolloutView();
    }

    @Produces
    @Singleton
    @Startup // reading the registry and preloading starts with the service
    RegistryFollower registry(ServedAdapters adapters, RolloutView view,
                              @Identifier("default-kafka-broker") Map<String, Object> kafkaSettings) {
        RegistryFollower follower = new RegistryFollower(adapters, view, KafkaConnection.of(kafkaSettings));
        follower.start();
        return follower;
    }

    void close(@Disposes RegistryFollower follower) {
        follower.close();
    }
}
