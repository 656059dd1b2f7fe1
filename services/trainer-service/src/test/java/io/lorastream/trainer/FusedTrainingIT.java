package io.lorastream.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.lorastream.engine.Adapter;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Example;
import io.lorastream.engine.Trainer;
import io.lorastream.engine.TrainingListener;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.Topics;
import io.lorastream.events.TrainingFailed;
import io.lorastream.events.TrainingRequested;
import io.lorastream.store.AdapterRepository;
import io.lorastream.store.ObjectStore;
import io.lorastream.store.VersionManifest;
import io.lorastream.testing.ConfigMappings;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.ServiceProcess;
import io.lorastream.testing.WithKafkaAndS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged trainer with {@code fuse-tenants} 4: requests of three tenants that wait while another tenant's job runs
 * go into one job. The two that can train are trained together and each published on its own, with its own labels, and
 * each adapter equals what training it alone gives (the engine in this JVM, the service's settings); the one whose
 * data is missing fails alone.
 */
@WithKafkaAndS3
class FusedTrainingIT {
    /** Float tolerance of training together against alone (FusedTrainerTest measures it in one process). */
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path work;

    @Test
    void requestsWaitingTogetherTrainTogetherAndEachEqualsTrainingItAlone(Infrastructure infra) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String busy = "busy-" + run;
        String amazon = "amazon-" + run;
        String imdb = "imdb-" + run;
        String missing = "missing-" + run;
        String bootstrap = infra.kafkaBootstrapServers();
        List<Example> yelpSet = uci("yelp");
        List<Example> amazonSet = uci("amazon");
        // other labels than the amazon tenant's: a row trained under the wrong adapter would fail as an unknown label
        List<Example> imdbSet = uci("imdb").stream().map(e -> new Example(e.text(), e.label().equals("1") ? "pos" : "neg")).toList();
        Map<String, String> config = TrainerCrashIT.config(infra);
        config.put("lorastream.trainer.fuse-tenants", "4");
        config.put("lorastream.trainer.fuse-max-padding", "100"); // every step one forward over both tenants' batches
        Path log = work.resolve("trainer.log");
        try (ObjectStore store = new ObjectStore(infra.s3().newClient(), infra.s3().bucket());
             ServiceProcess trainer = new ServiceProcess("trainer-service", Path.of(System.getProperty("lorastream.trainer.jar")),
                     TrainerCrashIT.freePort(), config, Map.of(), log)) {
            TrainingRequested busyRequest = request(store, busy, yelpSet.subList(0, 600), List.of());
            TrainingRequested amazonRequest = request(store, amazon, amazonSet.subList(0, 150), amazonSet.subList(800, 900));
            TrainingRequested imdbRequest = request(store, imdb, imdbSet.subList(0, 150), imdbSet.subList(800, 900));
            TrainingRequested missingRequest = new TrainingRequested("training:" + missing + ":1", missing,
                    List.of("datasets/" + missing + "/shards/000001.jsonl"), List.of(), 40, TrainingRequested.Trigger.MIN_EXAMPLES, Instant.now());
            trainer.start(Duration.ofSeconds(120));

            TrainerCrashIT.send(bootstrap, busyRequest);
            TrainerCrashIT.awaitLog(log, "training " + busyRequest.requestId(), Duration.ofSeconds(120)); // it holds the device: 600 examples × 3 epochs
            for (TrainingRequested waiting : List.of(amazonRequest, imdbRequest, missingRequest)) {
                TrainerCrashIT.send(bootstrap, waiting);
            }

            Map<String, AdapterEvent> answers = new LinkedHashMap<>();
            TrainerBadRequestsIT.await(bootstrap, Topics.ADAPTER_EVENTS, AdapterEvent.class, Set.of(busy, amazon, imdb, missing)::contains,
                    4, Duration.ofSeconds(600)).forEach(e -> answers.putIfAbsent(e.tenant(), e));
            assertThat(answers.get(busy)).isInstanceOf(AdapterPublished.class);
            assertThat(answers.get(missing)).isInstanceOfSatisfying(TrainingFailed.class, f -> {
                assertThat(f.kind()).isEqualTo(TrainingFailed.Kind.REFUSED);
                assertThat(f.reason()).contains("000001.jsonl");
            });
            Matcher together = Pattern.compile("trained (\\d+) tenants together \\(([^)]*)\\): (\\d+) steps in (\\d+) forwards")
                    .matcher(Files.readString(log));
            assertThat(together.find()).as("a job trained tenants together; the log: " + log).isTrue();
            System.out.println(together.group());
            assertThat(together.group(1)).isEqualTo("2");
            assertThat(Set.of(together.group(2).split(", "))).isEqualTo(Set.of(amazon, imdb));
            // 150 examples in batches of 16, 3 epochs: 30 steps each, every one in a forward with the other's
            assertThat(together.group(3)).isEqualTo("60");
            assertThat(together.group(4)).isEqualTo("30");
            assertThat(together.find()).as("only once").isFalse();

            TrainerConfig.Trainer settings = ConfigMappings.load(TrainerConfig.Trainer.class, "lorastream.trainer", Map.of());
            AdapterRepository adapters = new AdapterRepository(store);
            try (BaseModel base = BaseModel.embedded(Device.cpu())) {
                for (var tenant : Map.of(amazon, amazonSet, imdb, imdbSet).entrySet()) {
                    assertThat(answers.get(tenant.getKey())).isInstanceOf(AdapterPublished.class);
                    VersionManifest published = adapters.versions(tenant.getKey()).get(0);
                    List<Example> train = tenant.getValue().subList(0, 150);
                    List<String> labels = List.copyOf(new TreeSet<>(train.stream().map(Example::label).toList()));
                    try (Adapter fused = AdapterFiles.load(adapters.download(published, work.resolve(tenant.getKey())), base);
                         Adapter alone = Adapter.create(base, settings.lora(), settings.head(base), labels, settings.training().seed())) {
                        new Trainer(settings.training(), TrainingListener.NONE).train(alone, train, null);
                        assertThat(fused.labels()).isEqualTo(labels);
                        double difference = maxDifference(fused, alone);
                        System.out.printf("%s: trained together, %.2g from training alone%n", tenant.getKey(), difference);
                        assertThat(difference).as(tenant.getKey() + ": largest weight difference from training alone").isLessThan(TOLERANCE);
                    }
                }
            }
        }
    }

    /** A tenant's first request, its shards written as the stream-processor writes them. */
    private static TrainingRequested request(ObjectStore store, String tenant, List<Example> train, List<Example> holdout) {
        String shard = "datasets/" + tenant + "/shards/000001.jsonl";
        TrainingJobIT.shard(store, tenant, shard, train);
        List<String> holdoutShards = List.of();
        if (!holdout.isEmpty()) {
            holdoutShards = List.of("datasets/" + tenant + "/holdout/000001.jsonl");
            TrainingJobIT.shard(store, tenant, holdoutShards.get(0), holdout);
        }
        return new TrainingRequested("training:" + tenant + ":1", tenant, List.of(shard), holdoutShards, train.size(),
                TrainingRequested.Trigger.MIN_EXAMPLES, Instant.now());
    }

    private static List<Example> uci(String set) throws Exception {
        return Example.readTsv(Path.of(FusedTrainingIT.class.getResource("/uci/" + set + ".tsv").toURI()));
    }

    private static double maxDifference(Adapter a, Adapter b) {
        Map<String, ai.djl.ndarray.NDArray> x = a.tensors();
        Map<String, ai.djl.ndarray.NDArray> y = b.tensors();
        assertThat(x.keySet()).isEqualTo(y.keySet());
        double max = 0;
        for (String name : x.keySet()) {
            float[] p = x.get(name).toFloatArray();
            float[] q = y.get(name).toFloatArray();
            for (int i = 0; i < p.length; i++) {
                max = Math.max(max, Math.abs(p[i] - q[i]));
            }
        }
        return max;
    }
}
