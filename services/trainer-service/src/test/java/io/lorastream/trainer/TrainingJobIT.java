package io.lorastream.trainer;

import io.lorastream.store.ObjectStore;
import io.lorastream.store.AdapterRepository;
import io.lorastream.store.VersionManifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.lorastream.engine.Adapter;
import io.lorastream.engine.AdapterFiles;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.Example;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.EventJson;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.Sha256;
import io.lorastream.events.TrainingRequested;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.Topics;
import io.lorastream.testing.ConfigMappings;
import io.lorastream.testing.Infrastructure;
import io.lorastream.testing.S3Endpoint;
import io.lorastream.testing.TestEvents;
import io.lorastream.testing.WithKafkaAndS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training job against a real S3 server, a real broker's registry and the real engine: versions in
 * PEFT layout with the manifest last, warm start and replay from the registry's stable, the gate,
 * redelivery and a crash mid-upload.
 */
@WithKafkaAndS3
class TrainingJobIT {
    static BaseModel base;
    static ObjectStore store;
    static TrainingJob job;
    static AdapterRepository adapters;
    static List<Example> yelp;
    static RegistryView registry;
    static String bootstrap;

    @BeforeAll
    static void setUp(Infrastructure infra) throws Exception {
        S3Endpoint s3 = infra.s3();
        bootstrap = infra.kafkaBootstrapServers();
        registry = new RegistryView(Map.of("bootstrap.servers", bootstrap), Duration.ofSeconds(30));
        base = BaseModel.embedded(Device.cpu());
        store = new ObjectStore(s3.newClient(), s3.bucket());
        adapters = new AdapterRepository(store);
        // the service's defaults: 3 epochs, batch 16, lr 2e-3, r=8, alpha 16, replay 1.0, gate margin 0.02, alpha 0.01
        TrainerConfig.Trainer settings = ConfigMappings.load(TrainerConfig.Trainer.class, "lorastream.trainer", Map.of());
        job = new TrainingJob(base, adapters, new TenantData(store), registry, settings, Clock.systemUTC());
        yelp = Example.readTsv(Path.of(TrainingJobIT.class.getResource("/uci/yelp.tsv").toURI()));
    }

    @AfterAll
    static void tearDown() throws Exception {
        registry.close();
        store.close();
        base.close();
    }

    /** A shard as the stream-processor writes it: one feedback-received event per line. */
    /** The feedback ids in a shard or a replay sample. */
    static java.util.Set<String> ids(byte[] jsonl) {
        return TenantData.parse(jsonl).stream().map(FeedbackReceived::id).collect(java.util.stream.Collectors.toSet());
    }

    static void shard(ObjectStore store, String tenant, String key, List<Example> examples) {
        StringBuilder jsonl = new StringBuilder();
        // ids from the shard's place alone (not random, not the tenant's random name): what a job replays, drawn from
        // the sample by id and seed, is then the same on every run, and so is what it trains
        String[] parts = key.split("/");
        String place = parts[parts.length - 2] + "-" + parts[parts.length - 1].replace(".jsonl", "");
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            jsonl.append(new String(EventJson.encode(new FeedbackReceived(place + "-" + i, tenant, e.text(),
                    e.label(), null, null, Instant.now())), StandardCharsets.UTF_8)).append('\n');
        }
        store.put(key, jsonl.toString().getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
    }

    /**
     * What the stream-processor's rollout writes when it makes {@code stable} the tenant's stable: the
     * entry, with the history so far.
     */
    static void register(String tenant, long revision, AdapterPublished stable, RegistryEntry.HistoryItem... history) throws Exception {
        TestEvents.send(bootstrap, Topics.ADAPTER_REGISTRY, RegistryEntry.class, new RegistryEntry(tenant, revision,
                new RegistryEntry.VersionRef(stable.version(), stable.uri(), stable.files().get(VersionManifest.FILE)), null, null, null,
                List.of(history), Instant.now()));
    }

    static RegistryEntry.HistoryItem item(AdapterPublished version, AdapterStatus status) {
        return new RegistryEntry.HistoryItem(version.version(), status, Instant.now());
    }

    static TrainingRequested request(String tenant, int n, List<String> shards, List<String> holdout) {
        return new TrainingRequested("training:" + tenant + ":" + n, tenant, shards, holdout, 1, TrainingRequested.Trigger.MIN_EXAMPLES, Instant.now());
    }

    @Test
    void versionsArePublishedOnceWithTheManifestLastAndWarmStartFromStable(@TempDir Path tmp) throws Exception {
        String t = "yelp-" + UUID.randomUUID().toString().substring(0, 8);
        String s1 = "datasets/" + t + "/shards/000001.jsonl";
        String s2 = "datasets/" + t + "/shards/000002.jsonl";
        String h1 = "datasets/" + t + "/holdout/000001.jsonl";
        shard(store, t, s1, yelp.subList(0, 300));
        shard(store, t, h1, yelp.subList(800, 1000));

        TrainingJob.Outcome first = job.run(request(t, 1, List.of(s1), List.of(h1)));
        AdapterPublished v1 = first.event();
        assertThat(first.alreadyPublished()).isFalse();
        assertThat(v1.version()).isEqualTo(1);
        assertThat(v1.parentVersion()).isNull();
        assertThat(v1.gate().passed()).as("no stable to compare with").isTrue();
        assertThat(v1.metrics().stable()).isNull();
        assertThat(v1.metrics().candidate().examples()).isEqualTo(200);
        assertThat(v1.timingsMs()).as("where the job's time went").containsOnlyKeys(AdapterPublished.TIMINGS)
                .allSatisfy((phase, ms) -> assertThat(ms).isNotNegative());
        assertThat(v1.timingsMs().get("train")).as("3 epochs of 300 examples").isPositive();
        assertThat(v1.metrics().candidate().accuracy()).as("trained on 300 Yelp reviews").isGreaterThan(0.7);
        assertThat(v1.uri()).isEqualTo("s3://lorastream/adapters/" + t + "/v1/");
        assertThat(v1.baseModel().sha256()).isEqualTo(base.sha256());
        assertThat(v1.files()).containsKeys("adapter_config.json", "adapter_model.safetensors", "lorastream_adapter.json", "manifest.json");
        for (Map.Entry<String, String> file : v1.files().entrySet()) {
            byte[] content = store.get("adapters/" + t + "/v1/" + file.getKey()).orElseThrow();
            assertThat(Sha256.hex(content)).as(file.getKey()).isEqualTo(file.getValue());
        }
        // the published files are a PEFT adapter the engine loads, scoring as evaluated
        VersionManifest m1 = adapters.versions(t).get(0);
        try (Adapter loaded = AdapterFiles.load(adapters.download(m1, tmp.resolve("v1")), base)) {
            assertThat(new Classifier(loaded, 64).evaluate(yelp.subList(800, 1000)).accuracy())
                    .isCloseTo(v1.metrics().candidate().accuracy(), org.assertj.core.data.Offset.offset(1e-9));
        }
        assertThat(m1.shards()).containsExactly(s1);
        assertThat(m1.hyperParameters()).as("no stable, nothing to replay").containsEntry("replayed_examples", 0);
        // its replay sample holds what it trained on (300 ≤ replay-sample-examples), and is not one of the files serving loads
        assertThat(m1.replaySample().examples()).isEqualTo(300);
        assertThat(ids(adapters.replaySample(m1).orElseThrow())).isEqualTo(ids(store.get(s1).orElseThrow()));
        assertThat(v1.files()).doesNotContainKey(VersionManifest.REPLAY_SAMPLE);
        assertThat(m1.baselineVersion()).isNull();
        assertThat(m1.hyperParameters()).containsEntry("r", 8).containsEntry("epochs", 3);

        // redelivered: the same version, nothing new
        TrainingJob.Outcome again = job.run(request(t, 1, List.of(s1), List.of(h1)));
        assertThat(again.alreadyPublished()).isTrue();
        assertThat(again.event()).usingRecursiveComparison().ignoringFields("timingsMs").isEqualTo(v1);
        assertThat(again.event().timingsMs()).as("a version published again did no work").isEmpty();
        assertThat(adapters.versions(t)).hasSize(1);

        // more data; the job starts before the rollout has decided on v1, and waits for that decision:
        // v1 becomes stable, and v2 warm-starts from it, with v1's data replayed
        shard(store, t, s2, yelp.subList(300, 600));
        java.util.concurrent.CompletableFuture<TrainingJob.Outcome> second =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> job.run(request(t, 2, List.of(s2), List.of(h1))));
        Thread.sleep(2_000);
        register(t, 1, v1, item(v1, AdapterStatus.PROMOTED));
        AdapterPublished v2 = second.get(10, java.util.concurrent.TimeUnit.MINUTES).event();
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v2.parentVersion()).isEqualTo(1);
        assertThat(v2.metrics().stable().accuracy()).isEqualTo(v1.metrics().candidate().accuracy());
        boolean worseByTheMargin = v2.metrics().candidate().accuracy() < v1.metrics().candidate().accuracy() - 0.02;
        assertThat(v2.gate().pWorse()).isBetween(0.0, 1.0);
        assertThat(v2.gate().alpha()).isEqualTo(0.01);
        assertThat(v2.gate().passed()).isEqualTo(!(worseByTheMargin && v2.gate().pWorse() < 0.01));
        VersionManifest m2 = adapters.versions(t).get(1);
        assertThat(m2.hyperParameters()).as("replay-ratio 1.0 × 300 new, from v1's sample").containsEntry("replayed_examples", 300);
        assertThat(m2.replaySample().examples()).isEqualTo(600);
        assertThat(m2.baselineVersion()).isEqualTo(1);
    }

    @Test
    void erasedExamplesAreNeitherTrainedNorGradedOnNorSampled() {
        String t = "erase-" + UUID.randomUUID().toString().substring(0, 8);
        String s1 = "datasets/" + t + "/shards/000001.jsonl";
        String h1 = "datasets/" + t + "/holdout/000001.jsonl";
        shard(store, t, s1, yelp.subList(0, 60));
        shard(store, t, h1, yelp.subList(800, 840));
        java.util.Set<String> erased = java.util.Set.of("shards-000001-3", "shards-000001-17", "holdout-000001-5");
        job.run(request(t, 1, List.of(s1), List.of(h1)), Map.of(), erased);
        VersionManifest m1 = adapters.versions(t).get(0);
        assertThat(m1.metrics().candidate().examples()).as("graded on 39 of 40").isEqualTo(39);
        assertThat(ids(adapters.replaySample(m1).orElseThrow())).as("what it trained on: 58 of 60").hasSize(58).doesNotContainAnyElementsOf(erased);
    }

    @Test
    void aShardTheSnapshotPlacesInASegmentIsReadFromItsRangeAndCheckedThere() {
        String t = "seg-" + UUID.randomUUID().toString().substring(0, 8);
        String s1 = "datasets/" + t + "/shards/000001.jsonl";
        String s2 = "datasets/" + t + "/shards/000002.jsonl";
        shard(store, t, s1, yelp.subList(0, 3));
        shard(store, t, s2, yelp.subList(3, 7));
        byte[] b1 = store.get(s1).orElseThrow();
        byte[] b2 = store.get(s2).orElseThrow();
        String segment = "datasets/" + t + "/segments/000001-000002.jsonl";
        java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
        both.writeBytes(b1);
        both.writeBytes(b2);
        store.put(segment, both.toByteArray(), "application/x-ndjson");
        store.delete(s1); // compaction's grace period is over: only the segment holds them
        store.delete(s2);
        var named = Map.of(
                s1, new io.lorastream.events.DatasetSnapshot.Shard(s1, 3, Sha256.hex(b1), segment, 0L, (long) b1.length),
                s2, new io.lorastream.events.DatasetSnapshot.Shard(s2, 4, Sha256.hex(b2), segment, (long) b1.length, (long) b2.length));
        TenantData data = new TenantData(store);
        assertThat(data.events(List.of(s2, s1), named)).extracting(FeedbackReceived::text)
                .containsExactlyElementsOf(java.util.stream.Stream.concat(yelp.subList(3, 7).stream(), yelp.subList(0, 3).stream())
                        .map(Example::text).toList());
        // a range that is not the shard's bytes is refused like an altered shard
        var shifted = Map.of(s2, new io.lorastream.events.DatasetSnapshot.Shard(s2, 4, Sha256.hex(b2), segment, 1L, (long) b2.length));
        assertThatThrownBy(() -> data.events(List.of(s2), shifted)).isInstanceOfSatisfying(TenantData.MissingShardException.class,
                e -> assertThat(e.missing()).containsExactly(s2));
    }

    @Test
    void aVersionTheRolloutRolledBackIsNeitherParentNorBaselineNorReplayed() throws Exception {
        String t = "rolled-" + UUID.randomUUID().toString().substring(0, 8);
        String h1 = "datasets/" + t + "/holdout/000001.jsonl";
        shard(store, t, h1, yelp.subList(800, 1000));
        List<String> shards = new java.util.ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            shards.add("datasets/" + t + "/shards/00000" + i + ".jsonl");
            shard(store, t, shards.get(i - 1), yelp.subList(200 * (i - 1), 200 * i));
        }
        AdapterPublished v1 = job.run(request(t, 1, List.of(shards.get(0)), List.of(h1))).event();
        register(t, 1, v1, item(v1, AdapterStatus.PROMOTED));
        AdapterPublished v2 = job.run(request(t, 2, List.of(shards.get(1)), List.of(h1))).event();
        // whether v2 passed its gate is the data's business (about p = 0.05 here, against alpha 0.01): the registry below,
        // written as the rollout would after a live-label roll-back, is what the trainer goes by
        register(t, 2, v2, item(v1, AdapterStatus.PROMOTED), item(v2, AdapterStatus.PROMOTED));
        // ... and rolled back by live labels: v1 is stable again
        register(t, 3, v1, item(v1, AdapterStatus.PROMOTED), item(v2, AdapterStatus.PROMOTED), item(v2, AdapterStatus.ROLLED_BACK));

        AdapterPublished v3 = job.run(request(t, 3, List.of(shards.get(2)), List.of(h1))).event();
        VersionManifest m3 = adapters.versions(t).get(2);
        assertThat(v3.parentVersion()).as("warm-started from the registry's stable, not the newest that passed the gate").isEqualTo(1);
        assertThat(m3.parentVersion()).isEqualTo(1);
        assertThat(m3.baselineVersion()).isEqualTo(1);
        assertThat(v3.metrics().stable().accuracy()).as("gated against v1").isEqualTo(v1.metrics().candidate().accuracy());
        // only v1's line is replayed and sampled, never the rolled-back v2's data
        java.util.Set<String> sample = ids(adapters.replaySample(m3).orElseThrow());
        assertThat(sample).containsAll(ids(store.get(shards.get(0)).orElseThrow())).containsAll(ids(store.get(shards.get(2)).orElseThrow()))
                .doesNotContainAnyElementsOf(ids(store.get(shards.get(1)).orElseThrow()));
        assertThat(m3.hyperParameters()).containsEntry("replayed_examples", 200);
    }

    /** A job over the real S3 server whose registry answers {@code answers} in turn: the stable at the job's start, then at its end. */
    static TrainingJob jobSeeing(java.util.function.IntFunction<java.util.OptionalInt> answers) throws Exception {
        return jobSeeing(answers, Map.of());
    }

    static TrainingJob jobSeeing(java.util.function.IntFunction<java.util.OptionalInt> answers, Map<String, String> more) throws Exception {
        int[] calls = {0};
        Map<String, String> values = new java.util.HashMap<>(Map.of("epochs", "1"));
        values.putAll(more);
        TrainerConfig.Trainer settings = ConfigMappings.load(TrainerConfig.Trainer.class, "lorastream.trainer", values);
        return new TrainingJob(base, adapters, new TenantData(store), (tenant, newest) -> answers.apply(calls[0]++), settings, Clock.systemUTC());
    }

    @Test
    void aBaselineRolledBackDuringTheJobIsNotPublishedFromAndASecondAttemptOfTheRequestPublishesNothingNew() throws Exception {
        String t = "midjob-" + UUID.randomUUID().toString().substring(0, 8);
        String s1 = "datasets/" + t + "/shards/000001.jsonl";
        String s2 = "datasets/" + t + "/shards/000002.jsonl";
        shard(store, t, s1, yelp.subList(0, 120));
        shard(store, t, s2, yelp.subList(120, 240));
        AdapterPublished v1 = jobSeeing(call -> java.util.OptionalInt.empty()).run(request(t, 1, List.of(s1), List.of())).event();
        // v1 stable when the job starts, rolled back (no stable left) when it ends
        TrainingJob job2 = jobSeeing(call -> call == 0 ? java.util.OptionalInt.of(1) : java.util.OptionalInt.empty());
        assertThatThrownBy(() -> job2.run(request(t, 2, List.of(s2), List.of())))
                .isInstanceOf(TrainingJob.BaselineChanged.class).hasMessageContaining("stable changed from v1 to vnone");
        assertThat(adapters.versions(t)).as("nothing published from the rolled-back v1").extracting(VersionManifest::version).containsExactly(1);

        // the same request redelivered to another worker, which publishes it while this attempt still trains
        TrainingJob[] other = {null};
        other[0] = jobSeeing(call -> java.util.OptionalInt.of(1));
        TrainingJob first = jobSeeing(call -> {
            if (call == 0) {
                other[0].run(request(t, 3, List.of(s2), List.of()));
            }
            return java.util.OptionalInt.of(1);
        });
        TrainingJob.Outcome outcome = first.run(request(t, 3, List.of(s2), List.of()));
        assertThat(outcome.alreadyPublished()).isTrue();
        assertThat(outcome.event().version()).isEqualTo(2);
        assertThat(adapters.versions(t)).as("one version for the request").extracting(VersionManifest::version).containsExactly(1, 2);
        assertThat(v1.version()).isEqualTo(1);
    }

    @Test
    void retentionDeletesWhatItNoLongerKeepsWholeManifestFirstAndNeverTheStableOrTheNewest() throws Exception {
        String t = "retain-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> shards = new java.util.ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            shards.add("datasets/" + t + "/shards/00000" + i + ".jsonl");
            shard(store, t, shards.get(i - 1), yelp.subList(60 * (i - 1), 60 * i));
        }
        Map<String, String> keepOne = Map.of("keep-versions", "1", "retention-grace", "PT0S");
        TrainingJob noStable = jobSeeing(call -> java.util.OptionalInt.empty(), keepOne);
        assertThat(noStable.run(request(t, 1, List.of(shards.get(0)), List.of())).retired()).as("one version: nothing to retire").isNull();
        TrainingJob.Outcome second = noStable.run(request(t, 2, List.of(shards.get(1)), List.of()));
        assertThat(second.retired().versions()).containsExactly(1);
        assertThat(store.list("adapters/" + t + "/v1/")).as("nothing of v1 is left, its claim neither").isEmpty();
        assertThat(adapters.versions(t)).extracting(VersionManifest::version).containsExactly(2);

        // v2 is the stable: the newest (v3) and the stable stay
        TrainingJob.Outcome third = jobSeeing(call -> java.util.OptionalInt.of(2), keepOne).run(request(t, 3, List.of(shards.get(2)), List.of()));
        assertThat(third.retired()).isNull();
        assertThat(adapters.versions(t)).extracting(VersionManifest::version).containsExactly(2, 3);
        assertThat(third.event().version()).as("a number is never taken twice").isEqualTo(3);
    }

    @Test
    void aCrashMidUploadLeavesNoVersionAndTheRetryTakesTheSameNumber() {
        String t = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        String s1 = "datasets/" + t + "/shards/000001.jsonl";
        shard(store, t, s1, yelp.subList(0, 120));
        // what a crashed attempt left: files without a manifest
        store.put("adapters/" + t + "/v1/adapter_config.json", "{\"partial\":true}".getBytes(StandardCharsets.UTF_8), "application/json");
        assertThat(adapters.versions(t)).isEmpty();

        AdapterPublished v1 = job.run(request(t, 1, List.of(s1), List.of())).event();
        assertThat(v1.version()).isEqualTo(1);
        assertThat(new String(store.get("adapters/" + t + "/v1/adapter_config.json").orElseThrow(), StandardCharsets.UTF_8))
                .contains("\"peft_type\"").doesNotContain("partial");
        assertThat(v1.gate().passed()).as("no holdout, no stable").isTrue();
    }

    @Test
    void aRequestNamingAMissingShardOrOneLabelIsRefused() {
        String t = "bad-" + UUID.randomUUID().toString().substring(0, 8);
        assertThatThrownBy(() -> job.run(request(t, 1, List.of("datasets/" + t + "/shards/000009.jsonl"), List.of())))
                .isInstanceOf(TenantData.MissingShardException.class).hasMessageContaining("000009.jsonl");
        String s1 = "datasets/" + t + "/shards/000001.jsonl";
        shard(store, t, s1, yelp.stream().filter(e -> e.label().equals("1")).limit(30).toList());
        assertThatThrownBy(() -> job.run(request(t, 1, List.of(s1), List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least two labels");
        // a shard whose bytes are not the ones its snapshot names is not read (and not retried)
        assertThatThrownBy(() -> job.run(request(t, 1, List.of(s1), List.of()), Map.of(s1, new io.lorastream.events.DatasetSnapshot.Shard(s1, 15, "0".repeat(64)))))
                .isInstanceOfSatisfying(TenantData.MissingShardException.class, e -> {
                    assertThat(e.missing()).containsExactly(s1);
                    assertThat(e.getMessage()).contains("000001.jsonl").contains("not the bytes the snapshot names");
                });
        assertThat(adapters.versions(t)).isEmpty();
    }
}
