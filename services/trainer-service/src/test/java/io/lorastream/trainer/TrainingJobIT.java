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
import io.lorastream.testing.ConfigMappings;
import io.lorastream.testing.S3Endpoint;
import io.lorastream.testing.WithKafkaAndS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training job against a real S3 server and the real engine: versions in PEFT layout with the
 * manifest last, warm start and replay, the gate, redelivery and a crash mid-upload.
 */
@WithKafkaAndS3
class TrainingJobIT {
    static BaseModel base;
    static ObjectStore store;
    static TrainingJob job;
    static AdapterRepository adapters;
    static List<Example> yelp;

    @BeforeAll
    static void setUp(S3Endpoint s3) throws Exception {
        base = BaseModel.embedded(Device.cpu());
        store = new ObjectStore(s3.newClient(), s3.bucket());
        adapters = new AdapterRepository(store);
        // the service's defaults: 3 epochs, batch 16, lr 2e-3, r=8, alpha 16, replay 1.0, gate margin 0.02, alpha 0.01
        TrainerConfig.Trainer settings = ConfigMappings.load(TrainerConfig.Trainer.class, "lorastream.trainer", Map.of());
        job = new TrainingJob(base, adapters, new TenantData(store), settings, Clock.systemUTC());
        yelp = Example.readTsv(Path.of(TrainingJobIT.class.getResource("/uci/yelp.tsv").toURI()));
    }

    @AfterAll
    static void tearDown() throws Exception {
        store.close();
        base.close();
    }

    /** A shard as the stream-processor writes it: one feedback-received event per line. */
    static void shard(ObjectStore store, String tenant, String key, List<Example> examples) {
        StringBuilder jsonl = new StringBuilder();
        for (Example e : examples) {
            jsonl.append(new String(EventJson.encode(new FeedbackReceived(UUID.randomUUID().toString(), tenant, e.text(),
                    e.label(), null, null, Instant.now())), StandardCharsets.UTF_8)).append('\n');
        }
        store.put(key, jsonl.toString().getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
    }

    static void datasetManifest(String tenant, List<String> trainShards) {
        StringBuilder json = new StringBuilder("{\"tenant\":\"" + tenant + "\",\"shards\":[");
        for (int i = 0; i < trainShards.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"key\":\"").append(trainShards.get(i)).append("\",\"kind\":\"TRAIN\"}");
        }
        store.put("datasets/" + tenant + "/manifest.json", json.append("]}").toString().getBytes(StandardCharsets.UTF_8), "application/json");
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
        // the manifest already lists s2, sealed for a request still to come: v1 must not replay it
        datasetManifest(t, List.of(s1, s2));

        TrainingJob.Outcome first = job.run(request(t, 1, List.of(s1), List.of(h1)));
        AdapterPublished v1 = first.event();
        assertThat(first.alreadyPublished()).isFalse();
        assertThat(v1.version()).isEqualTo(1);
        assertThat(v1.parentVersion()).isNull();
        assertThat(v1.gate().passed()).as("no stable to compare with").isTrue();
        assertThat(v1.metrics().stable()).isNull();
        assertThat(v1.metrics().candidate().examples()).isEqualTo(200);
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
        assertThat(m1.replayShards()).as("nothing older than s1").isEmpty();
        assertThat(m1.hyperParameters()).containsEntry("r", 8).containsEntry("epochs", 3);

        // redelivered: the same version, nothing new
        TrainingJob.Outcome again = job.run(request(t, 1, List.of(s1), List.of(h1)));
        assertThat(again.alreadyPublished()).isTrue();
        assertThat(again.event()).isEqualTo(v1);
        assertThat(adapters.versions(t)).hasSize(1);

        // more data: warm start from v1, with v1's data replayed
        shard(store, t, s2, yelp.subList(300, 600));
        AdapterPublished v2 = job.run(request(t, 2, List.of(s2), List.of(h1))).event();
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v2.parentVersion()).isEqualTo(1);
        assertThat(v2.metrics().stable().accuracy()).isEqualTo(v1.metrics().candidate().accuracy());
        boolean worseByTheMargin = v2.metrics().candidate().accuracy() < v1.metrics().candidate().accuracy() - 0.02;
        assertThat(v2.gate().pWorse()).isBetween(0.0, 1.0);
        assertThat(v2.gate().alpha()).isEqualTo(0.01);
        assertThat(v2.gate().passed()).isEqualTo(!(worseByTheMargin && v2.gate().pWorse() < 0.01));
        assertThat(adapters.versions(t).get(1).replayShards()).containsExactly(s1);
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
        assertThat(adapters.versions(t)).isEmpty();
    }
}
