package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mixed-adapter batches against each adapter scoring its own texts alone (the independent path). */
class MixedClassifierTest {
    static final List<String> TEXTS = List.of("a gripping, beautifully shot film", "The battery died after two days.", "ok",
            "Crème brûlée was perfect", "worst purchase ever, it broke in a week and support never answered",
            "I would buy it again", "meh", "The plot drags but the actors are wonderful and the score is lovely",
            "zxqv unknownword", "Not bad at all!", "terrible", "It does what it says.");

    final BaseModel base = Fixtures.base();

    @Test
    void aMixedBatchEqualsEachAdapterAloneWithin1e5() {
        List<String> three = List.of("bad", "neutral", "good");
        try (Adapter qv = LoraTest.trainedLooking(base, LoraConfig.defaults(), 1);
             Adapter allLinearRank4 = LoraTest.trainedLooking(base, // BERT's pooler head among mean heads
                     new LoraConfig(4, 8, 0.1, EnumSet.copyOf(Family.BERT.modules()), false, List.of(LoraConfig.CLASSIFIER)),
                     Family.BERT.head("pooler"), three, 2);
             Adapter rsloraIntermediate = LoraTest.trainedLooking(base,
                     new LoraConfig(16, 16, 0.0, EnumSet.of(Module.INTERMEDIATE, Module.KEY), true, List.of(LoraConfig.CLASSIFIER)), 3);
             Adapter fresh = Adapter.create(base, LoraConfig.defaults(), Family.BERT.head("pooler"), List.of("no", "yes"), 4)) {
            List<Adapter> adapters = List.of(qv, allLinearRank4, rsloraIntermediate, fresh);
            List<Adapter> rows = new ArrayList<>();
            for (int i = 0; i < TEXTS.size(); i++) {
                rows.add(adapters.get((i * 7 + i / 3) % adapters.size())); // interleaved, every adapter several times
            }
            int arrays = base.liveArrays();
            float[][] mixed = new MixedClassifier(base, 5).probabilities(rows, TEXTS); // 5: batches cut across adapters
            assertThat(base.liveArrays()).as("arrays left behind by mixed scoring").isEqualTo(arrays);

            double worst = 0;
            for (Adapter adapter : adapters) {
                List<Integer> mine = new ArrayList<>();
                for (int i = 0; i < rows.size(); i++) {
                    if (rows.get(i) == adapter) {
                        mine.add(i);
                    }
                }
                assertThat(mine).hasSizeGreaterThanOrEqualTo(2);
                float[][] alone = new Classifier(adapter, 64).probabilities(mine.stream().map(TEXTS::get).toList());
                for (int k = 0; k < mine.size(); k++) {
                    float[] m = mixed[mine.get(k)];
                    assertThat(m).hasSize(adapter.labels().size());
                    worst = Math.max(worst, OnnxRuntimeReferenceTest.maxAbsDiff(m, alone[k]));
                }
            }
            System.out.printf("mixed vs per-adapter probabilities, max abs diff %.2e%n", worst);
            assertThat(worst).isLessThan(1e-5);

            // every row its own adapter, so the per-row stacks need no gather by group
            float[][] distinctRows = new MixedClassifier(base, 8).probabilities(adapters, TEXTS.subList(0, adapters.size()));
            for (int i = 0; i < adapters.size(); i++) {
                float[] alone = new Classifier(adapters.get(i), 1).probabilities(List.of(TEXTS.get(i)))[0];
                assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(distinctRows[i], alone)).isLessThan(1e-5);
            }

            // the adapters really differ: the same text gets different answers
            float[][] sameText = new MixedClassifier(base, 8).probabilities(List.of(qv, rsloraIntermediate), List.of(TEXTS.get(0), TEXTS.get(0)));
            assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(sameText[0], sameText[1])).isGreaterThan(1e-3);
        }
    }

    @Test
    void predictNamesEachRowsOwnLabels() {
        try (Adapter two = LoraTest.trainedLooking(base, LoraConfig.defaults(), 5);
             Adapter three = LoraTest.trainedLooking(base, LoraConfig.defaults(), List.of("a", "b", "c"), 6)) {
            List<Classifier.Prediction> predictions = new MixedClassifier(base, 8).predict(List.of(two, three), List.of("fine", "fine"));
            assertThat(predictions.get(0).probabilities()).containsOnlyKeys(LoraTest.LABELS);
            assertThat(predictions.get(1).probabilities()).containsOnlyKeys("a", "b", "c");
            assertThat(predictions.get(1).probabilities().values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0,
                    org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void aMergedAdapterIsRefused() {
        try (Adapter merged = LoraTest.trainedLooking(base, LoraConfig.defaults(), 8);
             Adapter other = LoraTest.trainedLooking(base, LoraConfig.defaults(), 9)) {
            merged.merge();
            assertThatThrownBy(() -> new MixedClassifier(base, 8).probabilities(List.of(merged, other), List.of("x", "y")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("merged");
        }
    }
}
