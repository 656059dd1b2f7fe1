package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
            // each example's correctness, from the same pass, agrees with the predictions and the accuracy
            Classifier.Graded graded = new Classifier(adapter, 64).grade(heldOut);
            assertThat(graded.metrics()).isEqualTo(trained);
            List<Classifier.Prediction> predictions = new Classifier(adapter, 64).predict(heldOut.stream().map(Example::text).toList());
            int right = 0;
            for (int i = 0; i < heldOut.size(); i++) {
                assertThat(graded.correct()[i]).isEqualTo(predictions.get(i).label().equals(heldOut.get(i).label()));
                right += graded.correct()[i] ? 1 : 0;
            }
            assertThat((double) right / heldOut.size()).isEqualTo(trained.accuracy());
            assertThat(result.epochs()).hasSize(3);
            assertThat(result.epochs().get(2).trainLoss()).isLessThan(result.epochs().get(0).trainLoss());
        }
        assertThat(LoraTest.snapshot(base)).as("the frozen base is bit-identical after training").isEqualTo(before);
    }

    /**
     * Regression: DJL frees the tensor behind mul(Number) right after the op while autograd still
     * holds it for the backward pass. A GC between forward and backward let malloc hand that memory
     * to someone else, and gradients turned to garbage (NaN after a few hundred steps). Here a thread
     * collects garbage and refills freed small blocks with NaN all through training.
     */
    @Test
    void gradientsSurviveGarbageCollectionDuringTheStep() throws Exception {
        BaseModel base = Fixtures.base();
        TrainingConfig config = new TrainingConfig(1, 16, 1e-3, 0.01, 0.06, 1.0, 7, 480, false);
        java.util.concurrent.atomic.AtomicBoolean training = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread pressure = new Thread(() -> {
            List<java.nio.ByteBuffer> hold = new ArrayList<>();
            while (training.get()) {
                System.gc();
                for (int i = 0; i < 64; i++) {
                    java.nio.ByteBuffer nan = java.nio.ByteBuffer.allocateDirect(4 * (1 + i % 4)).order(java.nio.ByteOrder.nativeOrder());
                    while (nan.remaining() >= 4) {
                        nan.putFloat(Float.NaN);
                    }
                    hold.add(nan);
                }
                if (hold.size() > 4096) {
                    hold.subList(0, 2048).clear();
                }
                Thread.onSpinWait();
            }
        }, "gc-pressure");
        pressure.setDaemon(true);
        pressure.start();
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 7)) {
            Trainer.Result result = new Trainer(config, TrainingListener.NONE).train(adapter, train, null); // throws on a NaN loss
            assertThat(result.epochs().get(0).trainLoss()).isFinite();
            adapter.tensors().values().forEach(t -> {
                for (float v : t.toFloatArray()) {
                    assertThat(v).isFinite();
                }
            });
        } finally {
            training.set(false);
            pressure.join();
        }
    }

    /** Full fine-tuning trains the copy's weights and the head; the original base and the (unused) LoRA stay as they were. */
    @Test
    void fullFineTuningTrainsTheCopyAndNothingElse() {
        BaseModel base = Fixtures.base();
        var before = LoraTest.snapshot(base);
        TrainingConfig config = new TrainingConfig(1, 16, 5e-5, 0.01, 0.06, 1.0, 3, 96, true);
        try (BaseModel copy = base.copyForFullFineTuning();
             Adapter adapter = Adapter.create(copy, LoraConfig.defaults(), List.of("0", "1"), 3)) {
            Map<String, float[]> adapterBefore = new LinkedHashMap<>();
            adapter.tensors().forEach((name, t) -> adapterBefore.put(name, t.toFloatArray()));
            Trainer.Result result = new Trainer(config, TrainingListener.NONE).train(adapter, train, null);
            assertThat(result.epochs().get(0).trainLoss()).isFinite();
            adapter.tensors().forEach((name, t) -> {
                if (name.startsWith("base_model.model.classifier")) {
                    assertThat(t.toFloatArray()).as(name).isNotEqualTo(adapterBefore.get(name));
                } else {
                    assertThat(t.toFloatArray()).as(name + " (LoRA is not trained in full fine-tuning)").isEqualTo(adapterBefore.get(name));
                }
            });
            assertThat(LoraTest.snapshot(copy)).as("the copy's weights changed").isNotEqualTo(before);
        }
        assertThat(LoraTest.snapshot(base)).as("the original base is bit-identical").isEqualTo(before);
    }

    /** Bit for bit: dropout masks, batches and the optimizer's sums all follow the seed. */
    @Test
    void theSameSeedTrainsTheSameAdapter() {
        BaseModel base = Fixtures.base();
        TrainingConfig config = new TrainingConfig(1, 16, 1e-3, 0.01, 0.06, 1.0, 11, 160, false);
        List<Map<String, float[]>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 11)) {
                new Trainer(config, TrainingListener.NONE).train(adapter, train, null);
                Map<String, float[]> values = new LinkedHashMap<>();
                adapter.tensors().forEach((name, t) -> values.put(name, t.toFloatArray()));
                runs.add(values);
            }
        }
        assertThat(runs.get(1)).containsOnlyKeys(runs.get(0).keySet());
        runs.get(0).forEach((name, values) -> assertThat(runs.get(1).get(name)).as(name).isEqualTo(values));
    }

    @Test
    void theScheduleWarmsUpThenDecaysToZero() {
        assertThat(Trainer.learningRate(1e-3, 10, 100, 0)).isEqualTo(1e-4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(Trainer.learningRate(1e-3, 10, 100, 9)).isEqualTo(1e-3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(Trainer.learningRate(1e-3, 10, 100, 55)).isEqualTo(5e-4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(Trainer.learningRate(1e-3, 10, 100, 100)).isZero();
    }
}
