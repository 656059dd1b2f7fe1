package io.lorastream.streams;

import io.lorastream.events.RolloutRule;
import static org.assertj.core.api.Assertions.assertThat;

import io.lorastream.events.AdapterCommand;
import io.lorastream.events.AdapterEvent;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterLifecycle.Transition;
import io.lorastream.events.AdapterPublished;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.EventSerde;
import io.lorastream.events.Evaluation;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.ScoreCompleted;
import io.lorastream.events.Topics;
import io.lorastream.testing.ConfigMappings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rollout state machine with its live-accuracy join, through the real topology (TopologyTestDriver). */
class RolloutTest {
    private static final Instant START = Instant.parse("2026-11-29T10:00:00Z");

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> adapterEvents;
    private TestInputTopic<String, byte[]> scoreResults;
    private TestInputTopic<String, byte[]> feedback;
    private TestInputTopic<String, byte[]> commands;
    private TestOutputTopic<String, RegistryEntry> registry;
    private TestOutputTopic<String, AdapterEvent> lifecycle;
    private Instant now = START;

    private void start(double canaryShare) {
        start(canaryShare, false);
    }

    private void start(double canaryShare, boolean shadow) {
        Topology topology = new Topology();
        // feedback here is labels only: no shard fills or ages, no policy triggers
        var feedbackSettings = ConfigMappings.load(StreamProcessorConfig.Feedback.class, "lorastream.feedback",
                Map.of("shard-max-age", "PT1H", "check-interval", "PT1H"));
        var policies = ConfigMappings.load(StreamProcessorConfig.Policies.class, "lorastream.training-policy", Map.of(
                "defaults.min-examples", "100000", "defaults.min-examples-after-wait", "100000",
                "defaults.max-wait", "P1D", "defaults.min-interval", "P1D"));
        FeedbackDatasets.addTo(topology, feedbackSettings, policies, new InMemoryDatasetStore(), new FeedbackMetrics(new SimpleMeterRegistry()),
                Rollout.LIVE_ACCURACY, Runnable::run);
        // the rule's defaults: 100 / 30 / 1000 samples, alpha 0.01, margin 0.02, effect scale 0.1
        Rollout.addTo(topology, ConfigMappings.load(StreamProcessorConfig.Rollout.class, "lorastream.rollout",
                Map.of("canary-share", Double.toString(canaryShare), "shadow", Boolean.toString(shadow))), FeedbackDatasets.INTAKE);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "rollout-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(topology, props, START);
        adapterEvents = driver.createInputTopic(Topics.ADAPTER_EVENTS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        scoreResults = driver.createInputTopic(Topics.SCORE_RESULTS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        commands = driver.createInputTopic(Topics.ADAPTER_COMMANDS, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        feedback = driver.createInputTopic(Topics.FEEDBACK, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        registry = driver.createOutputTopic(Topics.ADAPTER_REGISTRY, Serdes.String().deserializer(),
                EventSerde.of(RegistryEntry.class, "/test").deserializer());
        lifecycle = driver.createOutputTopic(Topics.ADAPTER_EVENTS, Serdes.String().deserializer(),
                EventSerde.of(AdapterEvent.class, "/test").deserializer());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    private <T extends io.lorastream.events.LoraEvent> void pipe(TestInputTopic<String, byte[]> topic, String name, Class<T> type, T event) {
        now = now.plusMillis(10);
        RecordHeaders headers = new RecordHeaders();
        byte[] value = EventSerde.of(type, "/test").serializer().serialize(name, headers, event);
        topic.pipeInput(new TestRecord<>(event.kafkaKey(), value, headers, now));
    }

    private void publish(String tenant, int version, boolean passed) {
        publish(tenant, version, version > 1 ? version - 1 : null, passed);
    }

    /** A version warm-started from, and gated against, {@code parent}. */
    private void publish(String tenant, int version, Integer parent, boolean passed) {
        pipe(adapterEvents, Topics.ADAPTER_EVENTS, AdapterEvent.class, new AdapterPublished(tenant, version, parent, parent,
                "s3://lorastream/adapters/" + tenant + "/v" + version + "/", new AdapterPublished.BaseModel("minilm", "a".repeat(64)),
                Map.of("adapter_config.json", "b".repeat(64), "adapter_model.safetensors", "c".repeat(64), "manifest.json", String.format("%064x", version)),
                "training:" + tenant + ":" + version, new AdapterPublished.Metrics(new Evaluation(passed ? 0.9 : 0.6, null, null, 100),
                version > 1 ? new Evaluation(0.88, null, null, 100) : null), new AdapterPublished.Gate(passed, 0.02), now));
    }

    /** A prediction by {@code version} of tenant, then its label: correct or not. */
    private void labelled(String tenant, int version, boolean correct) {
        String predictionId = "req-" + UUID.randomUUID() + ":0";
        pipe(scoreResults, Topics.SCORE_RESULTS, ScoreCompleted.class, new ScoreCompleted(predictionId.substring(0, predictionId.length() - 2),
                tenant, ScoreCompleted.Source.REST, List.of(new ScoreCompleted.Prediction(predictionId, "positive",
                Map.of("positive", 0.8, "negative", 0.2), version, ScoreCompleted.Route.STABLE)), now));
        pipe(feedback, Topics.FEEDBACK, FeedbackReceived.class, new FeedbackReceived(UUID.randomUUID().toString(), tenant, "some text",
                correct ? "positive" : "negative", predictionId, null, now));
    }

    /** Stable's prediction answers; the candidate's rides along in shadow; then the label. */
    private void labelledInShadow(String tenant, boolean stableRight, boolean candidateRight) {
        String predictionId = "req-" + UUID.randomUUID() + ":0";
        pipe(scoreResults, Topics.SCORE_RESULTS, ScoreCompleted.class, new ScoreCompleted(predictionId.substring(0, predictionId.length() - 2),
                tenant, ScoreCompleted.Source.REST,
                List.of(new ScoreCompleted.Prediction(predictionId, stableRight ? "positive" : "negative", Map.of("positive", 0.8, "negative", 0.2), 1,
                        ScoreCompleted.Route.STABLE)),
                List.of(new ScoreCompleted.Prediction(predictionId, candidateRight ? "positive" : "negative", Map.of("positive", 0.3, "negative", 0.7), 2,
                        ScoreCompleted.Route.SHADOW)), now));
        pipe(feedback, Topics.FEEDBACK, FeedbackReceived.class, new FeedbackReceived(UUID.randomUUID().toString(), tenant, "some text",
                "positive", predictionId, null, now));
    }

    /** An admin command; returns the lifecycle events that answer it. */
    private List<AdapterLifecycle> command(String tenant, AdapterCommand.Action action, Integer version) {
        String id = "cmd-" + UUID.randomUUID();
        pipe(commands, Topics.ADAPTER_COMMANDS, AdapterCommand.class, new AdapterCommand(id, tenant, action, version, "ops@test", "a test", now));
        List<AdapterLifecycle> answers = transitions();
        assertThat(answers).allSatisfy(a -> assertThat(a.commandId()).isEqualTo(id));
        return answers;
    }

    private List<AdapterLifecycle> transitions() {
        List<AdapterLifecycle> out = new ArrayList<>();
        for (AdapterEvent event : lifecycle.readValuesToList()) {
            if (event instanceof AdapterLifecycle l) {
                out.add(l);
            }
        }
        return out;
    }

    @Test
    void aPoisonedCandidateIsRolledBackBefore200LabelledCanaryPredictionsAndNeverServesAsStable() {
        start(0.1);
        publish("acme", 1, true);
        assertThat(transitions()).extracting(AdapterLifecycle::transition).containsExactly(Transition.PROMOTED);
        assertThat(registry.readValue().stable().version()).isEqualTo(1);

        publish("acme", 2, true);
        AdapterLifecycle canary = transitions().get(0);
        assertThat(canary.transition()).isEqualTo(Transition.CANARY);
        RegistryEntry entry = registry.readValue();
        assertThat(entry.candidate().ref().version()).isEqualTo(2);
        assertThat(entry.candidate().trafficShare()).isEqualTo(0.1);
        assertThat(entry.stable().version()).isEqualTo(1);

        int candidateLabels = 0;
        List<AdapterLifecycle> decided = List.of();
        for (int i = 0; i < 2000 && decided.isEmpty(); i++) {
            if (i % 10 == 9) {
                labelled("acme", 2, candidateLabels++ % 10 == 0); // 10 % right: labels flipped in its training data
            } else {
                labelled("acme", 1, i % 10 != 0);                 // 90 % right
            }
            decided = transitions();
        }
        assertThat(decided).singleElement().satisfies(d -> {
            assertThat(d.transition()).isEqualTo(Transition.ROLLED_BACK);
            assertThat(d.version()).isEqualTo(2);
            assertThat(d.stableVersion()).isEqualTo(1);
            assertThat(d.evidence().candidate().predictions()).isEqualTo(30);
            assertThat(d.evidence().rule()).isEqualTo(RolloutRule.CANARY_RULE);
            assertThat(d.evidence().thresholds()).containsEntry("alpha", 0.01);
            assertThat(d.reason()).contains("worse than stable");
        });
        assertThat(candidateLabels).isLessThan(200);
        List<RegistryEntry> entries = registry.readValuesToList();
        assertThat(entries).as("live counts reported during the canary").anySatisfy(e -> assertThat(e.live()).isNotEmpty());
        RegistryEntry after = entries.get(entries.size() - 1);
        assertThat(after.candidate()).isNull();
        assertThat(after.stable().version()).isEqualTo(1);
        assertThat(after.history()).extracting(RegistryEntry.HistoryItem::version, RegistryEntry.HistoryItem::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, AdapterStatus.PROMOTED), org.assertj.core.groups.Tuple.tuple(2, AdapterStatus.CANARY),
                org.assertj.core.groups.Tuple.tuple(2, AdapterStatus.ROLLED_BACK));
    }

    /** v1 stable, v2 its canary: 100 labels each, stable right 90 times, the canary {@code canaryRight} times. */
    private List<AdapterLifecycle> canaryJudgedAgainst90Of100(int canaryRight) {
        start(0.5);
        publish("acme", 1, true);
        publish("acme", 2, true);
        transitions();
        for (int i = 0; i < 100; i++) {
            labelled("acme", 1, i % 10 != 0);
            labelled("acme", 2, i < canaryRight);
        }
        return transitions();
    }

    @Test
    void aCandidateJustBelowStableIsPromotedAsWithinTheMargin() {
        assertThat(canaryJudgedAgainst90Of100(89)).singleElement().satisfies(d -> {
            assertThat(d.transition()).isEqualTo(Transition.PROMOTED);
            assertThat(d.reason()).isEqualTo("live accuracy 0.8900 (89/100) is within 0.02 of stable's 0.9000 (90/100)");
        });
    }

    @Test
    void aGoodCandidateIsPromotedAndARegressionAfterwardsRollsBackToThePreviousStable() {
        List<AdapterLifecycle> promoted = canaryJudgedAgainst90Of100(96);
        assertThat(promoted).extracting(AdapterLifecycle::transition).containsExactly(Transition.PROMOTED);
        assertThat(promoted.get(0).evidence().candidate().predictions()).isEqualTo(100);
        assertThat(promoted.get(0).reason()).isEqualTo("live accuracy 0.9600 (96/100) is at least stable's 0.9000 (90/100)");
        assertThat(registry.readValuesToList()).last().satisfies(e -> {
            assertThat(e.stable().version()).isEqualTo(2);
            assertThat(e.candidate()).isNull();
        });

        for (int i = 0; i < 40; i++) {
            labelled("acme", 2, i % 2 == 0); // 50 % after promotion: a regression
        }
        List<AdapterLifecycle> watched = transitions();
        assertThat(watched).singleElement().satisfies(d -> {
            assertThat(d.transition()).isEqualTo(Transition.ROLLED_BACK);
            assertThat(d.version()).isEqualTo(2);
            assertThat(d.stableVersion()).isEqualTo(1);
            assertThat(d.evidence().rule()).isEqualTo(RolloutRule.WATCH_RULE);
            assertThat(d.evidence().candidate().predictions()).isEqualTo(30);
        });
        assertThat(registry.readValuesToList()).last().satisfies(e -> assertThat(e.stable().version()).isEqualTo(1));
    }

    @Test
    void aGateFailureIsRejectedARedeliveryChangesNothingAndWithoutCanariesAPassIsPromotedAtOnce() {
        start(0.0);
        publish("acme", 1, true);
        publish("acme", 2, false);
        publish("acme", 2, false); // redelivered
        publish("acme", 3, true);
        assertThat(transitions()).extracting(AdapterLifecycle::version, AdapterLifecycle::transition).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, Transition.PROMOTED), org.assertj.core.groups.Tuple.tuple(2, Transition.REJECTED),
                org.assertj.core.groups.Tuple.tuple(3, Transition.PROMOTED));
        List<RegistryEntry> entries = registry.readValuesToList();
        assertThat(entries).extracting(e -> e.stable().version()).containsExactly(1, 1, 3);
        assertThat(entries).extracting(RegistryEntry::revision).containsExactly(1L, 2L, 3L);
    }

    /** Labels of one version, right in {@code rightOfTen} of every ten, until a transition answers or {@code max} are sent. */
    private int labelledUntilDecided(String tenant, int version, int rightOfTen, int max) {
        for (int i = 1; i <= max; i++) {
            labelled(tenant, version, i % 10 < rightOfTen);
            lifecycleSoFar = transitions();
            if (!lifecycleSoFar.isEmpty()) {
                return i;
            }
        }
        return -1;
    }

    /** The transitions the last {@link #labelledUntilDecided} stopped on. */
    private List<AdapterLifecycle> lifecycleSoFar = List.of();

    @Test
    void withDefaultSettingsAPoisonedVersionPromotedAtOnceIsRolledBackWithin200LabelsAgainstTheOldStablesRecentAccuracy() {
        start(0.0); // the default: no canary
        publish("acme", 1, true);
        transitions();
        assertThat(labelledUntilDecided("acme", 1, 9, 250)).as("labels of a stable outside any phase decide nothing").isEqualTo(-1);
        transitions();
        publish("acme", 2, true); // passed the gate: its holdout was poisoned too
        AdapterLifecycle promoted = transitions().get(0);
        assertThat(promoted.transition()).isEqualTo(Transition.PROMOTED);
        assertThat(promoted.reason()).contains("watched against v1's last 200 labelled predictions (accuracy 0.9000)");

        int labels = labelledUntilDecided("acme", 2, 3, 200);
        assertThat(labels).as("rolled back within 200 labelled predictions").isBetween(30, 200);
        List<AdapterLifecycle> decided = lifecycleSoFar;
        assertThat(decided).extracting(AdapterLifecycle::version, AdapterLifecycle::transition)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2, Transition.ROLLED_BACK));
        assertThat(decided.get(0).stableVersion()).isEqualTo(1);
        List<RegistryEntry> entries = registry.readValuesToList();
        assertThat(entries.get(entries.size() - 1).stable().version()).isEqualTo(1);

        // an honest version is watched and stays: the watch ends after min-samples (100) labels, and says so. The restored
        // stable starts a yardstick of its own first
        assertThat(labelledUntilDecided("acme", 1, 9, 200)).isEqualTo(-1);
        transitions();
        publish("acme", 3, true); // its job started from v2 while v2 was stable
        assertThat(transitions()).singleElement().satisfies(d -> {
            assertThat(d.transition()).isEqualTo(Transition.REJECTED);
            assertThat(d.reason()).isEqualTo("trained from v2, which was rolled back: it would inherit it");
            assertThat(d.evidence().rule()).isEqualTo(RolloutRule.LINEAGE_RULE);
        });
        publish("acme", 4, 1, true);
        transitions();
        assertThat(labelledUntilDecided("acme", 4, 9, 300)).as("the watch of an honest version ends at min-samples").isEqualTo(100);
        assertThat(lifecycleSoFar).singleElement().satisfies(d -> {
            assertThat(d.transition()).isEqualTo(Transition.WATCH_PASSED);
            assertThat(d.stableVersion()).isEqualTo(4);
            assertThat(d.evidence().rule()).isEqualTo(RolloutRule.WATCH_RULE);
            assertThat(d.evidence().candidate().predictions()).isEqualTo(100);
        });
        entries = registry.readValuesToList();
        assertThat(entries.get(entries.size() - 1).stable().version()).isEqualTo(4);
        assertThat(entries.get(entries.size() - 1).live()).as("no phase in progress").isNull();
        assertThat(labelledUntilDecided("acme", 4, 9, 300)).as("labels after the watch decide nothing").isEqualTo(-1);

        // the watch's labels were v4's yardstick already: the version after it is watched at once
        publish("acme", 5, true);
        assertThat(transitions().get(0).reason()).contains("watched against v4's last 200 labelled predictions");
    }

    @Test
    void aVersionPromotedDuringItsPredecessorsWatchIsWatchedAgainstThatYardstickAndNothingDescendsFromItOnceRolledBack() {
        start(0.0);
        publish("acme", 1, true);
        transitions();
        assertThat(labelledUntilDecided("acme", 1, 9, 200)).isEqualTo(-1);
        publish("acme", 2, true); // watched against v1's 200, no label of its own yet
        publish("acme", 3, true); // trained meanwhile from v2
        List<AdapterLifecycle> promoted = transitions();
        assertThat(promoted).extracting(AdapterLifecycle::transition).containsExactly(Transition.PROMOTED, Transition.PROMOTED);
        assertThat(promoted.get(1).reason()).contains("watched against v1's last 200 labelled predictions (accuracy 0.9000)");

        assertThat(labelledUntilDecided("acme", 3, 2, 200)).isBetween(30, 200);
        assertThat(lifecycleSoFar).singleElement().satisfies(d -> {
            assertThat(d.transition()).isEqualTo(Transition.ROLLED_BACK);
            assertThat(d.stableVersion()).as("back to the stable it replaced").isEqualTo(2);
            assertThat(d.reason()).contains("worse than v1's 0.9000 (180/200) before it");
        });
        publish("acme", 4, 3, true); // its job started from v3 before the roll-back
        publish("acme", 5, 2, true);
        assertThat(transitions()).extracting(AdapterLifecycle::version, AdapterLifecycle::transition).containsExactly(
                org.assertj.core.groups.Tuple.tuple(4, Transition.REJECTED), org.assertj.core.groups.Tuple.tuple(5, Transition.PROMOTED));
    }

    @Test
    void retiredVersionsAreMarkedOnceNeverServeAgainAndWhatServesIsNeverRetired() {
        start(0.0);
        for (int v = 1; v <= 4; v++) {
            publish("acme", v, true);
        }
        transitions();
        pipe(adapterEvents, Topics.ADAPTER_EVENTS, AdapterEvent.class, new io.lorastream.events.AdapterRetired("acme", List.of(1, 2, 4),
                "older than the newest 10", now));
        List<RegistryEntry> entries = registry.readValuesToList();
        RegistryEntry last = entries.get(entries.size() - 1);
        assertThat(last.stable().version()).isEqualTo(4);
        assertThat(last.history()).filteredOn(h -> h.status() == AdapterStatus.RETIRED)
                .as("v4 is the stable: never retired").extracting(RegistryEntry.HistoryItem::version).containsExactly(1, 2);
        assertThat(last.history()).filteredOn(h -> h.version() == 1).as("one item per retired version").hasSize(1);
        assertThat(command("acme", AdapterCommand.Action.PROMOTE, 2)).singleElement().satisfies(a -> {
            assertThat(a.transition()).isEqualTo(Transition.REFUSED);
            assertThat(a.reason()).contains("v2 was retired");
        });
        assertThat(command("acme", AdapterCommand.Action.PROMOTE, 3)).singleElement()
                .satisfies(a -> assertThat(a.transition()).isEqualTo(Transition.PROMOTED));
    }

    @Test
    void withoutEnoughLabelsOfTheOldStableThereIsNoYardstickAndTheReasonSaysSo() {
        start(0.0);
        publish("acme", 1, true);
        transitions();
        labelledUntilDecided("acme", 1, 9, 10);
        transitions();
        publish("acme", 2, true);
        assertThat(transitions().get(0).reason()).contains("v1 has 10 labelled predictions, fewer than min-rollback-samples (30): no watch");
    }

    private void refusedByServing(String tenant, int version) {
        pipe(adapterEvents, Topics.ADAPTER_EVENTS, AdapterEvent.class, io.lorastream.events.AdapterLoadFailed.of(tenant, version,
                "s3://lorastream/adapters/" + tenant + "/v" + version + "/", "replica-a", version - 1,
                "adapter_model.safetensors: sha256 differs from the manifest", now));
    }

    @Test
    void aVersionServingCannotLoadIsLeftForTheLastLoadableOneAndNeverServesAgain() {
        start(0.0);
        publish("acme", 1, true);
        publish("acme", 2, true);
        publish("acme", 3, true); // promoted at once: stable v3, previous v2
        transitions();
        refusedByServing("acme", 3);
        refusedByServing("acme", 3); // a second replica's report changes nothing more
        List<AdapterLifecycle> back = transitions();
        assertThat(back).extracting(AdapterLifecycle::version, AdapterLifecycle::transition, AdapterLifecycle::stableVersion)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(3, Transition.ROLLED_BACK, 2));
        assertThat(back.get(0).reason()).contains("replica replica-a could not load it").contains("back to v2");
        refusedByServing("acme", 2); // the previous stable too: back to the last one no replica refused
        assertThat(transitions()).extracting(AdapterLifecycle::stableVersion).containsExactly(1);
        List<RegistryEntry> entries = registry.readValuesToList();
        assertThat(entries.get(entries.size() - 1).stable().version()).isEqualTo(1);
        assertThat(command("acme", AdapterCommand.Action.PROMOTE, 3).get(0).reason())
                .isEqualTo("v3 could not be loaded by a serving replica: it never serves again");
    }

    @Test
    void aCandidateServingCannotLoadIsRolledBack() {
        start(0.1);
        publish("acme", 1, true);
        publish("acme", 2, true); // a canary
        transitions();
        refusedByServing("acme", 2);
        assertThat(transitions()).extracting(AdapterLifecycle::version, AdapterLifecycle::transition, AdapterLifecycle::stableVersion)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2, Transition.ROLLED_BACK, 1));
        List<RegistryEntry> entries = registry.readValuesToList();
        assertThat(entries.get(entries.size() - 1).candidate()).isNull();
    }

    @Test
    void adminCommandsAreAppliedOrRefusedWithTheReasonAndEachAnswerNamesItsCommand() {
        start(0.0);
        publish("acme", 1, true);
        publish("acme", 2, true);
        publish("acme", 3, false);
        transitions();
        registry.readValuesToList();

        assertThat(command("acme", AdapterCommand.Action.PROMOTE, 3)).singleElement().satisfies(a -> {
            assertThat(a.transition()).isEqualTo(Transition.REFUSED);
            assertThat(a.reason()).contains("v3 was rejected by the offline gate");
            assertThat(a.stableVersion()).isEqualTo(2);
        });
        assertThat(command("acme", AdapterCommand.Action.PIN, 9)).singleElement().satisfies(a -> {
            assertThat(a.transition()).isEqualTo(Transition.REFUSED);
            assertThat(a.reason()).contains("no version v9");
        });
        assertThat(command("nobody", AdapterCommand.Action.ROLLBACK, null)).singleElement()
                .satisfies(a -> assertThat(a.reason()).contains("has no versions"));
        assertThat(registry.readValuesToList()).as("a refusal changes nothing").isEmpty();

        assertThat(command("acme", AdapterCommand.Action.ROLLBACK, null)).singleElement().satisfies(a -> {
            assertThat(a.transition()).isEqualTo(Transition.ROLLED_BACK);
            assertThat(a.version()).isEqualTo(2);
            assertThat(a.stableVersion()).isEqualTo(1);
            assertThat(a.reason()).contains("rolled back to v1 by ops@test: a test");
        });
        assertThat(registry.readValue().stable().version()).isEqualTo(1);
        assertThat(command("acme", AdapterCommand.Action.ROLLBACK, null)).singleElement()
                .satisfies(a -> assertThat(a.reason()).contains("nothing to roll back to"));

        assertThat(command("acme", AdapterCommand.Action.PIN, 2)).singleElement().satisfies(a -> assertThat(a.transition()).isEqualTo(Transition.PINNED));
        RegistryEntry pinned = registry.readValue();
        assertThat(pinned.pinned().version()).isEqualTo(2);
        assertThat(pinned.stable().version()).isEqualTo(1);
        assertThat(command("acme", AdapterCommand.Action.UNPIN, null)).singleElement()
                .satisfies(a -> assertThat(a.transition()).isEqualTo(Transition.UNPINNED));
        assertThat(registry.readValue().pinned()).isNull();
        assertThat(command("acme", AdapterCommand.Action.UNPIN, null)).singleElement()
                .satisfies(a -> assertThat(a.reason()).contains("is not pinned"));

        assertThat(command("acme", AdapterCommand.Action.PROMOTE, 2)).singleElement().satisfies(a -> {
            assertThat(a.transition()).isEqualTo(Transition.PROMOTED);
            assertThat(a.stableVersion()).isEqualTo(2);
        });
        RegistryEntry last = registry.readValue();
        assertThat(last.stable().version()).isEqualTo(2);
        assertThat(last.history()).extracting(RegistryEntry.HistoryItem::version, RegistryEntry.HistoryItem::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, AdapterStatus.PROMOTED), org.assertj.core.groups.Tuple.tuple(2, AdapterStatus.PROMOTED),
                org.assertj.core.groups.Tuple.tuple(3, AdapterStatus.REJECTED), org.assertj.core.groups.Tuple.tuple(2, AdapterStatus.ROLLED_BACK),
                org.assertj.core.groups.Tuple.tuple(2, AdapterStatus.PROMOTED));
        assertThat(last.history().get(2).holdoutAccuracy()).isEqualTo(0.6);
    }

    @Test
    void aManualRollbackDuringACanaryEndsTheCanaryAndWhilePinnedLabelsDecideNothing() {
        start(0.5);
        publish("acme", 1, true);
        publish("acme", 2, true);
        transitions();
        assertThat(command("acme", AdapterCommand.Action.PIN, 1)).singleElement().satisfies(a -> assertThat(a.transition()).isEqualTo(Transition.PINNED));
        for (int i = 0; i < 200; i++) {
            labelled("acme", 1, true);
            labelled("acme", 2, false);
        }
        assertThat(transitions()).as("pinned: the rule does not judge").isEmpty();
        command("acme", AdapterCommand.Action.UNPIN, null);

        assertThat(command("acme", AdapterCommand.Action.ROLLBACK, null)).singleElement().satisfies(a -> {
            assertThat(a.transition()).isEqualTo(Transition.ROLLED_BACK);
            assertThat(a.version()).isEqualTo(2);
            assertThat(a.stableVersion()).isEqualTo(1);
        });
        assertThat(registry.readValuesToList()).last().satisfies(e -> {
            assertThat(e.stable().version()).isEqualTo(1);
            assertThat(e.candidate()).isNull();
            assertThat(e.pinned()).isNull();
        });
    }

    @Test
    void inShadowModeOneLabelCountsForBothVersionsAndThePhaseShowsItsCountsOnTheRegistry() {
        start(0.1, true);
        publish("acme", 1, true);
        publish("acme", 2, true);
        transitions();
        RegistryEntry canary = registry.readValuesToList().get(1);
        assertThat(canary.candidate().shadow()).isTrue();

        for (int i = 0; i < 10; i++) {
            labelledInShadow("acme", i != 0, i % 2 == 0);
        }
        List<RegistryEntry> reports = registry.readValuesToList(); // every 10 live labels: 5 texts, each labelled for both
        assertThat(reports).hasSize(2);
        assertThat(reports.get(1).live()).extracting(io.lorastream.events.LiveSample::version, io.lorastream.events.LiveSample::predictions,
                io.lorastream.events.LiveSample::correct).containsExactly(org.assertj.core.groups.Tuple.tuple(1, 10L, 9L),
                org.assertj.core.groups.Tuple.tuple(2, 10L, 5L));
        assertThat(reports.get(1).revision()).isEqualTo(reports.get(0).revision() + 1);
        assertThat(transitions()).isEmpty();

        List<AdapterLifecycle> decided = List.of();
        int labels = 10;
        while (decided.isEmpty() && labels < 200) {
            labelledInShadow("acme", labels % 10 != 0, labels % 10 == 0); // stable 90 %, candidate 10 %
            labels++;
            decided = transitions();
        }
        assertThat(decided).singleElement().satisfies(d -> {
            assertThat(d.transition()).isEqualTo(Transition.ROLLED_BACK);
            assertThat(d.evidence().candidate().predictions()).isEqualTo(d.evidence().stable().predictions());
        });
        assertThat(labels).as("every label counts for the candidate too").isEqualTo(30);
    }
}
