package io.lorastream.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class DatasetSnapshotTest {
    static final String SHA = "ab".repeat(32);

    static DatasetSnapshot snapshot(String tenant, int holdoutShards) {
        List<DatasetSnapshot.Shard> holdout = new ArrayList<>();
        for (int i = 1; i <= holdoutShards; i++) {
            holdout.add(new DatasetSnapshot.Shard(String.format("datasets/%s/holdout/%06d.jsonl", tenant, i), 100, SHA));
        }
        return new DatasetSnapshot(tenant, "training:" + tenant + ":7",
                List.of(new DatasetSnapshot.Shard("datasets/" + tenant + "/shards/000012.jsonl", 500, SHA)), holdout);
    }

    @Test
    void theBytesRoundTripUnderAKeyOfTheirOwnSha256AndTheRequestResolvesToItsLists() {
        DatasetSnapshot s = snapshot("acme", 3);
        byte[] bytes = s.encode();
        String sha = Sha256.hex(bytes);
        String key = DatasetSnapshot.key("acme", 7, sha);
        assertThat(key).isEqualTo("datasets/acme/snapshots/000007-" + sha.substring(0, 16) + ".json");
        assertThat(ShardKeys.isSnapshot("acme", key)).isTrue();
        assertThat(DatasetSnapshot.decode("acme", key, bytes, sha)).isEqualTo(s);
        assertThat(snapshot("acme", 3).encode()).as("the same snapshot, the same bytes").isEqualTo(bytes);

        TrainingSnapshotRequested request = new TrainingSnapshotRequested("training:acme:7", "acme",
                new TrainingSnapshotRequested.Snapshot(key, sha, 1, 3), 500, TrainingRequested.Trigger.MIN_EXAMPLES, Instant.EPOCH);
        TrainingRequested resolved = request.resolve(s);
        assertThat(resolved.shards()).containsExactly("datasets/acme/shards/000012.jsonl");
        assertThat(resolved.holdoutShards()).hasSize(3).first().isEqualTo("datasets/acme/holdout/000001.jsonl");
        assertThat(resolved.requestId()).isEqualTo("training:acme:7");
    }

    @Test
    void otherBytesAnotherTenantsSnapshotOrAKeyOutsideTheGrammarAreRefused() {
        byte[] bytes = snapshot("acme", 1).encode();
        String sha = Sha256.hex(bytes);
        assertThatThrownBy(() -> DatasetSnapshot.decode("acme", "k", bytes, "0".repeat(64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not the request's " + "0".repeat(64));
        assertThatThrownBy(() -> DatasetSnapshot.decode("globex", "k", bytes, sha))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is a snapshot of acme, not of globex");
        byte[] climbing = new String(bytes, StandardCharsets.UTF_8).replace("datasets/acme/shards/", "datasets/acme/../globex/shards/")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> DatasetSnapshot.decode("acme", "k", climbing, Sha256.hex(climbing)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a training shard of acme");
        assertThatThrownBy(() -> new TrainingSnapshotRequested("training:acme:7", "acme",
                new TrainingSnapshotRequested.Snapshot("datasets/globex/snapshots/000007-" + sha.substring(0, 16) + ".json", sha, 1, 1), 5,
                TrainingRequested.Trigger.MANUAL, Instant.EPOCH)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a snapshot of acme");
        TrainingSnapshotRequested counts = new TrainingSnapshotRequested("training:acme:7", "acme",
                new TrainingSnapshotRequested.Snapshot(DatasetSnapshot.key("acme", 7, sha), sha, 1, 2), 5, TrainingRequested.Trigger.MANUAL, Instant.EPOCH);
        assertThatThrownBy(() -> counts.resolve(snapshot("acme", 1))).hasMessageContaining("the request says 1 and 2");
    }

    @Test
    void aRecordWithoutHeadersIsReadAsTheVersionItMatchesAndOneThatMatchesNoneNamesWhatIsWrongWithTheClosest() {
        var requests = EventSerde.of(TrainingRequest.class, "/test").deserializer();
        String v1 = "{\"requestId\":\"training:acme:1\",\"tenant\":\"acme\",\"shards\":[\"datasets/acme/shards/000001.jsonl\"],"
                + "\"holdoutShards\":[],\"newExamples\":5,\"trigger\":\"MANUAL\",\"requestedAt\":\"2026-12-04T10:00:00Z\"}";
        assertThat(requests.deserialize(Topics.TRAINING_REQUESTS, new RecordHeaders(), v1.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(TrainingRequested.class);
        byte[] climbing = v1.replace("datasets/acme/shards/", "datasets/acme/../globex/shards/").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> requests.deserialize(Topics.TRAINING_REQUESTS, new RecordHeaders(), climbing))
                .isInstanceOfSatisfying(InvalidEventException.class, e -> {
                    assertThat(e.getMessage()).contains("closest io.lorastream.training.requested.v1");
                    assertThat(e.errors()).singleElement().asString().contains("/shards/0").contains("does not match");
                });
    }

    @Test
    void theRequestRecordHasTheSameSizeWithOneHoldoutShardOrFiftyThousand() {
        var serializer = EventSerde.of(TrainingSnapshotRequested.class, "/test").serializer();
        int[] sizes = new int[2];
        int[] holdouts = {1, 50_000};
        for (int i = 0; i < 2; i++) {
            byte[] bytes = snapshot("acme", holdouts[i]).encode();
            String sha = Sha256.hex(bytes);
            TrainingSnapshotRequested request = new TrainingSnapshotRequested("training:acme:7", "acme",
                    new TrainingSnapshotRequested.Snapshot(DatasetSnapshot.key("acme", 7, sha), sha, 1, holdouts[i]), 500,
                    TrainingRequested.Trigger.MIN_EXAMPLES, Instant.EPOCH);
            sizes[i] = serializer.serialize(Topics.TRAINING_REQUESTS, new RecordHeaders(), request).length;
        }
        assertThat(sizes[1]).as("bytes with 1 holdout shard: %d", sizes[0]).isLessThanOrEqualTo(sizes[0] + 4).isLessThan(10_000);
    }
}
