package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.engine.AdapterFiles;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.Sha256;
import io.lorastream.store.AdapterRepository;
import io.lorastream.store.ObjectStore;
import io.lorastream.store.VersionManifest;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.WithKafkaAndS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing versions against a real S3 server, from several threads at once as several trainers would
 * during a rebalance: no number is published twice, none is lost, one request is one version, and every
 * manifest describes the files under its number. (Before: each took max+1 and wrote unconditionally, so
 * racers all wrote v1 and only the last manifest survived.)
 */
@WithKafkaAndS3
class VersionClaimsIT {
    @TempDir
    Path work;

    private static VersionManifest draft(String tenant, String requestId) {
        return new VersionManifest(tenant, 1, null, null, requestId, new AdapterPublished.BaseModel("base", "0".repeat(64)),
                List.of(), List.of(), List.of(), List.of(), null, Map.of(), new AdapterPublished.Metrics(
                        new io.lorastream.events.Evaluation(0.9, null, null, 1), null),
                new AdapterPublished.Gate(true, 0.02, null, null), Map.of(), 1, "cpu", Instant.now());
    }

    /** Adapter files with content of this attempt's own. */
    private Path files(String name, long seed) throws Exception {
        Path dir = Files.createDirectories(work.resolve(name));
        Random random = new Random(seed);
        for (String file : AdapterFiles.FILES) {
            byte[] content = new byte[20_000];
            random.nextBytes(content);
            Files.write(dir.resolve(file), content);
        }
        return dir;
    }

    private static void everyManifestDescribesItsFiles(ObjectStore store, AdapterRepository adapters, String tenant) {
        for (VersionManifest m : adapters.versions(tenant)) {
            m.files().forEach((file, sha) -> assertThat(Sha256.hex(store.get(VersionManifest.dir(tenant, m.version()) + file).orElseThrow()))
                    .as("v%d %s", m.version(), file).isEqualTo(sha));
        }
    }

    @Test
    void forgettingATenantDeletesEveryObjectOfItsAndNothingOfAnother(Infrastructure infra) throws Exception {
        String tenant = "gone-" + UUID.randomUUID().toString().substring(0, 8);
        String other = tenant + "-2"; // a name that starts with the first: a prefix listing must not take it
        try (ObjectStore store = new ObjectStore(infra.s3().newClient(), infra.s3().bucket())) {
            AdapterRepository adapters = new AdapterRepository(store);
            for (String t : List.of(tenant, other)) {
                for (int i = 1; i <= 3; i++) {
                    adapters.publish(draft(t, "training:" + t + ":" + i), files(t + "-" + i, i));
                }
            }
            store.put(VersionManifest.dir(tenant, 9) + "adapter_model.safetensors", new byte[]{1}, "application/octet-stream"); // a crash's leftover
            assertThat(adapters.forget(tenant)).containsExactly(1, 2, 3);
            assertThat(store.list("adapters/" + tenant + "/")).isEmpty();
            assertThat(adapters.versions(other)).hasSize(3);
            everyManifestDescribesItsFiles(store, adapters, other);
        }
    }

    @Test
    void racingRequestsGetDistinctNumbersAndRacingAttemptsOfOneRequestOneVersion(Infrastructure infra) throws Exception {
        String tenant = "race-" + UUID.randomUUID().toString().substring(0, 8);
        try (ObjectStore store = new ObjectStore(infra.s3().newClient(), infra.s3().bucket())) {
            AdapterRepository adapters = new AdapterRepository(store);
            int racers = 4;
            ExecutorService pool = Executors.newFixedThreadPool(racers);
            try {
                CyclicBarrier start = new CyclicBarrier(racers);
                List<Future<AdapterRepository.Published>> different = new ArrayList<>();
                for (int i = 0; i < racers; i++) {
                    VersionManifest d = draft(tenant, "training:" + tenant + ":" + i);
                    Path dir = files("different-" + i, i);
                    different.add(pool.submit(() -> {
                        start.await();
                        return adapters.publish(d, dir);
                    }));
                }
                List<Integer> numbers = new ArrayList<>();
                for (Future<AdapterRepository.Published> f : different) {
                    numbers.add(f.get().manifest().version());
                }
                assertThat(numbers).as("each request its own number").containsExactlyInAnyOrder(1, 2, 3, 4);
                assertThat(adapters.versions(tenant)).extracting(VersionManifest::trainingRequestId).doesNotHaveDuplicates().hasSize(racers);
                everyManifestDescribesItsFiles(store, adapters, tenant);

                // one request, two attempts at once (redelivered to a second worker): one version
                CyclicBarrier pair = new CyclicBarrier(2);
                VersionManifest same = draft(tenant, "training:" + tenant + ":again").numbered(AdapterRepository.nextVersion(adapters.versions(tenant)));
                List<Future<AdapterRepository.Published>> attempts = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    Path dir = files("attempt-" + i, 100 + i);
                    attempts.add(pool.submit(() -> {
                        pair.await();
                        return adapters.publish(same, dir);
                    }));
                }
                assertThat(attempts.get(0).get().manifest().version()).isEqualTo(5).isEqualTo(attempts.get(1).get().manifest().version());
                assertThat(attempts.get(0).get().files()).isEqualTo(attempts.get(1).get().files());
                assertThat(adapters.versions(tenant)).hasSize(5);
                everyManifestDescribesItsFiles(store, adapters, tenant);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aClaimLeftByAnAttemptThatDiedMidUploadIsTakenOverByItsRequest(Infrastructure infra) throws Exception {
        String tenant = "died-" + UUID.randomUUID().toString().substring(0, 8);
        String request = "training:" + tenant + ":1";
        try (ObjectStore store = new ObjectStore(infra.s3().newClient(), infra.s3().bucket())) {
            AdapterRepository adapters = new AdapterRepository(store);
            // what the dead attempt left: its claim, a minute and more ago, and one file
            store.put(VersionManifest.dir(tenant, 1) + "claim", (request + "\ndead-attempt\n" + Instant.now().minusSeconds(90))
                    .getBytes(StandardCharsets.UTF_8), "text/plain");
            store.put(VersionManifest.dir(tenant, 1) + "adapter_config.json", "{\"partial\":true}".getBytes(StandardCharsets.UTF_8), "application/json");
            // another request finds the number taken
            AdapterRepository.Published other = adapters.publish(draft(tenant, "training:" + tenant + ":2"), files("other", 2));
            assertThat(other.manifest().version()).isEqualTo(2);
            AdapterRepository.Published retried = adapters.publish(draft(tenant, request), files("retry", 1));
            assertThat(retried.manifest().version()).as("the same request takes its number back").isEqualTo(1);
            everyManifestDescribesItsFiles(store, adapters, tenant);
        }
    }
}
