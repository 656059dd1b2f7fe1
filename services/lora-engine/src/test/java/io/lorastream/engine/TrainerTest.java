package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real training on real data (UCI Amazon reviews, 800 train / 200 held out): no timing, only what it learns. */
class TrainerTest {
    static List<Example> train;
    static List<Example> heldOut;

    @BeforeAll
    static void data() throws Exception {
        List<Example> all = new ArrayList<>(Example.readTsv(Path.of(TrainerTest.class.getResource("/uci/amazon.tsv").toURI())));
        Collections.shuffle(all, new Random(1));
        train = all.subList(0, 800);
        heldOut = all.subList(800, 1000);
    }

    @Test
    void loraTrainingLearnsTheTaskAndLeavesTheBaseUntouched() {
        BaseModel base = Fixtures.base();
        var before = LoraTest.snapshot(base);
        TrainingConfig config = new TrainingConfig(3, 16, 1e-3, 0.01, 0.06, 1.0, 42, 0, false);
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 42)) {
            Metrics fresh = new Classifier(adapter, 64).evaluate(heldOut);
            Trainer.Result result = new Trainer(config, TrainingListener.NONE).train(adapter, train, heldOut);
            Metrics trained = new Classifier(adapter, 64).evaluate(heldOut);
            System.out.printf("fresh %s%ntrained %s (best epoch %d, %.1f examples/s)%n", fresh, trained, result.bestEpoch(), result.examplesPerSecond());

            assertThat(trained.accuracy()).isGreaterThanOrEqualTo(0.85).isGreaterThan(fresh.accuracy() + 0.2);
            assertThat(trained).isEqualTo(result.best()); // the adapter holds the best epoch's weights
            assertThat(result.epochs()).hasSize(3);
            assertThat(result.epochs().get(2).trainLoss()).isLessThan(result.epochs().get(0).trainLoss());
        }
        assertThat(LoraTest.snapshot(base)).as("the frozen base is bit-identical after training").isEqualTo(before);
    }

    /**
     * Regression: DJL frees the tensor behind mul(Number) right after the op while autograd still
     * holds it; a GC between forward and backward then turned gradients into garbage (NaN after a
     * few hundred steps). Collecting garbage at every step makes that certain, so this would fail.
     */
    @Test
    void gradientsSurviveGarbageCollectionAtEveryStep() {
        BaseModel base = Fixtures.base();
        TrainingConfig config = new TrainingConfig(1, 16, 1e-3, 0.01, 0.06, 1.0, 7, 320, false);
        TrainingListener collectEveryStep = new TrainingListener() {
            @Override
            public void stepDone(int examples, long tokens, double loss, double learningRate) {
                System.gc();
                try {
                    Thread.sleep(20); // let the Cleaner free unreachable direct buffers
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 7)) {
            Trainer.Result result = new Trainer(config, collectEveryStep).train(adapter, train, null); // throws on a NaN loss
            assertThat(result.epochs().get(0).trainLoss()).isFinite().isLessThan(0.75);
            adapter.tensors().values().forEach(t -> {
                for (float v : t.toFloatArray()) {
                    assertThat(v).isFinite();
                }
            });
        }
    }

    @Test
    void theScheduleWarmsUpThenDecaysToZero() {
        assertThat(Trainer.learningRate(1e-3, 10, 100, 0)).isEqualTo(1e-4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(Trainer.learningRate(1e-3, 10, 100, 9)).isEqualTo(1e-3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(Trainer.learningRate(1e-3, 10, 100, 55)).isEqualTo(5e-4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(Trainer.learningRate(1e-3, 10, 100, 100)).isZero();
    }
}
