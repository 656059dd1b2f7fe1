package io.lorastream.trainer;

import io.lorastream.store.ObjectStore;
import io.lorastream.store.AdapterRepository;

import ai.djl.Device;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Devices;
import io.minio.MinioClient;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import org.jboss.logging.Logger;

/** The worker's long-lived parts: the base model (loaded once), the bucket, the job. */
public class TrainerBeans {
    private static final Logger LOG = Logger.getLogger(TrainerBeans.class);

    @Produces
    @Singleton
    @Startup // loaded before the first request, once per worker
    BaseModel base(TrainerConfig config) {
        // DJL reads these as system properties: no download at run time, one inter-op thread
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.setProperty("ai.djl.pytorch.num_interop_threads", System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
        Device device = Devices.choose(config.trainer().device());
        BaseModel base = config.trainer().baseDir()
                .map(dir -> BaseModel.fromDirectory(Path.of(dir), device, 256))
                .orElseGet(() -> BaseModel.embedded(device));
        LOG.infof("base model %s (sha256 %s) on %s (lorastream.trainer.device=%s)", base.id(), base.sha256(), device,
                config.trainer().device());
        return base;
    }

    void close(@Disposes BaseModel base) {
        base.close();
    }

    @Produces
    @Singleton
    ObjectStore store(TrainerConfig config) {
        TrainerConfig.S3 s3 = config.s3();
        return new ObjectStore(MinioClient.builder().endpoint(s3.endpoint()).region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey()).build(), s3.bucket());
    }

    void close(@Disposes ObjectStore store) throws Exception {
        store.close();
    }

    @Produces
    @Singleton
    TrainingJob job(BaseModel base, ObjectStore store, TrainerConfig config) {
        return new TrainingJob(base, new AdapterRepository(store), new TenantData(store),
                JobSettings.from(config.trainer()), Clock.systemUTC());
    }
}
