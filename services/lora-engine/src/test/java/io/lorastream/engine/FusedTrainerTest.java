package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fused multi-tenant training against the reference it must equal: each adapter trained alone by {@link Trainer}, from
 * the same start with the same seeds and data. Real base (MiniLM), real data (UCI Amazon reviews).
 */
class FusedTrainerTest {
    /** Float tolerance on every trained weight: the fused rows are padded further, which changes sums by rounding only. */
    private static final double TOLERANCE = 1e-4;
    static List<Example> all;

    @BeforeAll
    static void data() throws Exception {
        all = new ArrayList<>(Example.readTsv(Path.of(FusedTrainerTest.class.getResource("/uci/amazon.tsv").toURI())));
        Collections.shuffle(all, new Random(3));
    }

    /** Three tenants: different data, sizes (so runs end at different steps), seeds, ranks, and one with an eval set. */
    private static List<FusedTrainer.Job> jobs(BaseModel base) {
        List<FusedTrainer.Job> jobs = new ArrayList<>();
        jobs.add(new FusedTrainer.Job(Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 11), all.subList(0, 48), null,
                new TrainingConfig(2, 16, 1e-3, 0.01, 0.06, 1.0, 11, 0, false)));
        jobs.add(new FusedTrainer.Job(Adapter.create(base, new LoraConfig(4, 8, 0.1, LoraConfig.defaults().targetModules(), false, List.of(LoraConfig.CLASSIFIER)), List.of("0", "1"), 12),
                all.subList(100, 124), all.subList(400, 440), new TrainingConfig(3, 8, 2e-3, 0.01, 0.06, 1.0, 12, 0, false)));
        jobs.add(new FusedTrainer.Job(Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 13), all.subList(200, 240), null,
                new TrainingConfig(2, 16, 1e-3, 0.01, 0.06, 1.0, 13, 0, false)));
        return jobs;
    }

    private static Map<String, float[]> weights(Adapter adapter) {
        Map<String, float[]> values = new LinkedHashMap<>();
        adapter.tensors().forEach((name, array) -> values.put(name, array.toFloatArray()));
        return values;
    }

    private static double maxDifference(Map<String, float[]> a, Map<String, float[]> b) {
        assertThat(a.keySet()).isEqualTo(b.keySet());
        double max = 0;
        for (String name : a.keySet()) {
            float[] x = a.get(name);
            float[] y = b.get(name);
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]));
            }
        }
        return max;
    }

    @Test
    void eachAdapterEndsWhereTrainingItAloneEnds() {
        BaseModel base = Fixtures.base();
        var before = LoraTest.snapshot(base);
        List<FusedTrainer.Job> alone = jobs(base);
        List<FusedTrainer.Job> fused = jobs(base);
        try {
            List<Trainer.Result> expected = new ArrayList<>();
            for (FusedTrainer.Job job : alone) {
                expected.add(new Trainer(job.config(), TrainingListener.NONE).train(job.adapter(), job.train(), job.eval()));
            }
            FusedTrainer trainer = new FusedTrainer(4); // every step in one forward nearly always: rows padded far beyond their own
            List<FusedTrainer.Outcome> outcomes = trainer.train(fused);
            FusedTrainer.Fusion fusion = trainer.lastFusion();
            System.out.printf("%d run steps in %d forwards%n", fusion.runSteps(), fusion.forwards());
            assertThat(fusion.runSteps()).as("6 + 9 + 6 steps: 48/16 · 2 epochs, 24/8 · 3, ⌈40/16⌉ · 2").isEqualTo(21);
            assertThat(fusion.forwards()).as("runs did share forwards").isLessThan(fusion.runSteps());
            for (int i = 0; i < alone.size(); i++) {
                FusedTrainer.Outcome outcome = outcomes.get(i);
                assertThat(outcome.ok()).as("job %d: %s", i, outcome.failure()).isTrue();
                double difference = maxDifference(weights(fused.get(i).adapter()), weights(alone.get(i).adapter()));
                System.out.printf("job %d: largest weight difference, fused against alone: %.3g%n", i, difference);
                assertThat(difference).as("job %d's weights", i).isLessThan(TOLERANCE);
                Trainer.Result f = outcome.result();
                Trainer.Result a = expected.get(i);
                assertThat(f.examples()).isEqualTo(a.examples());
                assertThat(f.tokens()).isEqualTo(a.tokens());
                assertThat(f.bestEpoch()).isEqualTo(a.bestEpoch());
                assertThat(f.epochs()).hasSameSizeAs(a.epochs());
                for (int e = 0; e < a.epochs().size(); e++) {
                    assertThat(f.epochs().get(e).trainLoss()).isCloseTo(a.epochs().get(e).trainLoss(), org.assertj.core.data.Offset.offset(TOLERANCE));
                }
            }
            assertThat(weights(fused.get(0).adapter())).as("and the adapters did train").isNotEqualTo(weights(jobs(base).get(0).adapter()));
        } finally {
            alone.forEach(j -> j.adapter().close());
            fused.forEach(j -> j.adapter().close());
        }
        assertThat(LoraTest.snapshot(base)).as("the frozen base is bit-identical after fused training").isEqualTo(before);
    }

    @Test
    void aJobWhoseDataOrTrainingFailsFailsAloneAndTheOthersAreUntouchedByIt() {
        BaseModel base = Fixtures.base();
        List<FusedTrainer.Job> alone = jobs(base);
        List<FusedTrainer.Job> fused = new ArrayList<>(jobs(base));
        Adapter unknownLabel = Adapter.create(base, LoraConfig.defaults(), List.of("neg", "pos"), 21); // the data's labels are 0 and 1
        Adapter diverging = Adapter.create(base, LoraConfig.defaults(), List.of("0", "1"), 22);
        NDArray b = diverging.lora(0, diverging.config().targetModules().iterator().next()).b();
        float[] nan = new float[(int) b.size()];
        java.util.Arrays.fill(nan, Float.NaN);
        b.set(nan); // its rows' outputs are NaN from the first layer on: so is its loss
        fused.add(1, new FusedTrainer.Job(unknownLabel, all.subList(300, 340), null, new TrainingConfig(2, 16, 1e-3, 0.01, 0.06, 1.0, 21, 0, false)));
        fused.add(new FusedTrainer.Job(diverging, all.subList(340, 380), null, new TrainingConfig(2, 16, 1e-3, 0.01, 0.06, 1.0, 22, 0, false)));
        try {
            for (FusedTrainer.Job job : alone) {
                new Trainer(job.config(), TrainingListener.NONE).train(job.adapter(), job.train(), job.eval());
            }
            List<FusedTrainer.Outcome> outcomes = new FusedTrainer(4).train(fused);
            assertThat(outcomes.get(1).failure()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not one of the adapter's labels [neg, pos]");
            assertThat(outcomes.get(4).failure()).isInstanceOf(IllegalStateException.class).hasMessageContaining("training diverged");
            int[] others = {0, 2, 3};
            for (int k = 0; k < others.length; k++) {
                assertThat(outcomes.get(others[k]).ok()).isTrue();
                assertThat(maxDifference(weights(fused.get(others[k]).adapter()), weights(alone.get(k).adapter())))
                        .as("job %d, beside a NaN one", others[k]).isLessThan(TOLERANCE);
            }
        } finally {
            alone.forEach(j -> j.adapter().close());
            fused.forEach(j -> j.adapter().close());
        }
    }
}
