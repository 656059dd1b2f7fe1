package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lorastream.events.AdapterPublished;
import io.lorastream.store.FleetBase;
import io.lorastream.store.ObjectStore;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.WithKafkaAndS3;
import io.minio.MakeBucketArgs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bucket's base record against a real S3 server, each case in a bucket of its own (the shared bucket is bound
 * to the other tests' base): the first trainer binds it, the same base passes, another base is refused, and of
 * two trainers on different bases starting at once exactly one wins.
 */
@WithKafkaAndS3
class FleetBaseIT {
    static final AdapterPublished.BaseModel MINILM = new AdapterPublished.BaseModel("minilm", "a".repeat(64));
    static final AdapterPublished.BaseModel QWEN = new AdapterPublished.BaseModel("qwen2", "b".repeat(64));

    static ObjectStore freshBucket(Infrastructure infra) throws Exception {
        return new ObjectStore(infra.s3().newClient(), newBucket(infra));
    }

    static String newBucket(Infrastructure infra) throws Exception {
        String bucket = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
        infra.s3().newClient().makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
        return bucket;
    }

    @Test
    void theFirstTrainerBindsTheBucketAndAnotherBaseIsRefusedByTrainerAndServing(Infrastructure infra) throws Exception {
        try (ObjectStore store = freshBucket(infra)) {
            FleetBase fleet = new FleetBase(store);
            assertThat(fleet.check(MINILM)).as("serving before any trainer").isEqualTo(FleetBase.Outcome.UNCLAIMED);
            assertThat(fleet.claimOrCheck(MINILM)).isEqualTo(FleetBase.Outcome.CLAIMED);
            assertThat(fleet.claimOrCheck(MINILM)).as("a second trainer, same base").isEqualTo(FleetBase.Outcome.MATCHES);
            assertThat(fleet.atStart(MINILM, false)).as("serving, same base").isEqualTo(FleetBase.Outcome.MATCHES);
            for (boolean claim : List.of(true, false)) {
                assertThatThrownBy(() -> fleet.atStart(QWEN, claim)).isInstanceOf(FleetBase.MismatchException.class)
                        .hasMessageContaining("qwen2 (sha256 " + QWEN.sha256() + ")")
                        .hasMessageContaining("trained on minilm (sha256 " + MINILM.sha256() + ")")
                        .hasMessageContaining("lorastream.base.dir");
            }
            store.put(FleetBase.KEY, "not json".getBytes(), "application/json");
            assertThatThrownBy(() -> fleet.check(MINILM)).isInstanceOf(FleetBase.MismatchException.class)
                    .hasMessageContaining("is not a base record");
        }
    }

    @Test
    void theTrainerServiceOnAnotherBaseThanTheBucketsRefusesToStartNamingBoth(Infrastructure infra, @TempDir Path work) throws Exception {
        String bucket = newBucket(infra);
        try (ObjectStore store = new ObjectStore(infra.s3().newClient(), bucket)) {
            new FleetBase(store).claimOrCheck(QWEN); // the bucket's trainers run another base than the embedded MiniLM
            Map<String, String> config = TrainerCrashIT.config(infra);
            config.put("lorastream.s3.bucket", bucket);
            config.put("mp.messaging.incoming.training-requests.group.id", "fleet-base-it"); // never a share of the real group's work
            Path log = work.resolve("trainer.log");
            try (ServiceProcess trainer = new ServiceProcess("trainer-service", Path.of(System.getProperty("lorastream.trainer.jar")),
                    TrainerCrashIT.freePort(), config, Map.of(), log)) {
                assertThatThrownBy(() -> trainer.start(Duration.ofSeconds(120))).hasMessageContaining("exited during start");
            }
            assertThat(Files.readString(log)).contains("trained on qwen2 (sha256 " + QWEN.sha256() + ")")
                    .contains("lorastream.base.dir");
        }
    }

    @Test
    void ofTwoTrainersOnDifferentBasesStartingAtOnceExactlyOneBindsTheBucket(Infrastructure infra) throws Exception {
        for (int round = 0; round < 5; round++) {
            try (ObjectStore store = freshBucket(infra)) {
                CyclicBarrier together = new CyclicBarrier(2);
                ExecutorService pool = Executors.newFixedThreadPool(2);
                try {
                    List<Future<FleetBase.Outcome>> starts = new ArrayList<>();
                    for (AdapterPublished.BaseModel base : List.of(MINILM, QWEN)) {
                        starts.add(pool.submit(() -> {
                            together.await();
                            return new FleetBase(store).claimOrCheck(base);
                        }));
                    }
                    int claimed = 0;
                    int refused = 0;
                    for (Future<FleetBase.Outcome> start : starts) {
                        try {
                            assertThat(start.get()).isEqualTo(FleetBase.Outcome.CLAIMED);
                            claimed++;
                        } catch (java.util.concurrent.ExecutionException e) {
                            assertThat(e.getCause()).isInstanceOf(FleetBase.MismatchException.class);
                            refused++;
                        }
                    }
                    assertThat(claimed).as("round %d", round).isEqualTo(1);
                    assertThat(refused).as("round %d", round).isEqualTo(1);
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }
}
