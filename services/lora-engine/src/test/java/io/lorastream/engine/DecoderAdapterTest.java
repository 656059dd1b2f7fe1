package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA adapters on decoder bases (the fixtures of {@link DecoderReferenceTest}): Llama with grouped-query
 * attention (k and v narrower than q) and Qwen2 with q/k/v biases. The LoRA arithmetic is the one
 * {@link LoraTest} checks on BERT; here: it reaches every decoder linear, merges, saves under PEFT's decoder
 * names, trains, and scores in mixed batches.
 */
class DecoderAdapterTest {
    static final List<String> TEXTS = List.of("the film is fine", "the end", "in fin", "a long and winding text about the thing");
    static final List<String> LABELS = List.of("negative", "positive");
    static BaseModel llama;
    static BaseModel qwen2;

    @BeforeAll
    static void load() throws Exception {
        llama = BaseModel.fromDirectory(DecoderReferenceTest.fixture("llama"), Device.cpu(), 64);
        qwen2 = BaseModel.fromDirectory(DecoderReferenceTest.fixture("qwen2-f16"), Device.cpu(), 64);
    }

    @AfterAll
    static void close() {
        llama.close();
        qwen2.close();
    }

    static LoraConfig allLinear() {
        return LoraConfig.defaults().withTargets(EnumSet.copyOf(Family.LLAMA.modules()));
    }

    static float[] logits(Adapter adapter, List<String> texts) {
        BaseModel base = adapter.base();
        try (NDManager scope = base.newScope()) {
            return adapter.logits(scope, base.backbone(), base.tokenize(texts), DropoutMasks.NONE).toFloatArray();
        }
    }

    static float[] hidden(BaseModel base, Projections projections) {
        try (NDManager scope = base.newScope()) {
            return base.backbone().forward(scope, base.tokenize(TEXTS), projections, DropoutMasks.NONE).toFloatArray();
        }
    }

    @Test
    void aFreshAdapterOnEveryLinearReproducesTheBaseExactly() {
        for (BaseModel base : List.of(llama, qwen2)) {
            try (Adapter fresh = Adapter.create(base, allLinear(), LABELS, 3)) {
                assertThat(hidden(base, fresh.projections(base.backbone(), DropoutMasks.NONE)))
                        .isEqualTo(hidden(base, base.backbone().baseProjections()));
            }
        }
    }

    @Test
    void mergedEqualsUnmergedAndUnmergeRestoresTheBaseBitForBit() {
        for (BaseModel base : List.of(llama, qwen2)) {
            var before = LoraTest.snapshot(base);
            try (Adapter adapter = LoraTest.trainedLooking(base, allLinear(), LABELS, 5)) {
                float[] unmerged = logits(adapter, TEXTS);
                assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(hidden(base, adapter.projections(base.backbone(), DropoutMasks.NONE)),
                        hidden(base, base.backbone().baseProjections()))).as("the adapter changes the output").isGreaterThan(1e-3);
                adapter.merge();
                assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(logits(adapter, TEXTS), unmerged)).isLessThan(1e-4);
                adapter.unmerge();
            }
            assertThat(LoraTest.snapshot(base)).isEqualTo(before);
        }
    }

    @Test
    void savedUnderPeftsDecoderNamesAndReloadedBitForBit(@TempDir Path dir) throws Exception {
        try (Adapter adapter = LoraTest.trainedLooking(qwen2, allLinear(), List.of("a", "b", "c"), 7)) {
            AdapterFiles.save(adapter, dir);
            try (Adapter loaded = AdapterFiles.load(dir, qwen2)) {
                assertThat(logits(loaded, TEXTS)).isEqualTo(logits(adapter, TEXTS));
                assertThat(loaded.config()).isEqualTo(adapter.config());
            }
            assertThatThrownBy(() -> AdapterFiles.load(dir, llama)).as("another base").hasMessageContaining("was trained on base");
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode peft = json.readTree(dir.resolve(AdapterFiles.CONFIG).toFile());
        assertThat(peft.path("modules_to_save").toString()).isEqualTo("[\"score\"]");
        List<String> targets = new ArrayList<>();
        peft.path("target_modules").forEach(t -> targets.add(t.asText()));
        assertThat(targets).containsExactlyInAnyOrder("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
        assertThat(json.readTree(dir.resolve(AdapterFiles.LORASTREAM).toFile()).path("pooling").asText()).isEqualTo("last");
        assertThat(AdapterFilesTest.names(dir.resolve(AdapterFiles.WEIGHTS)))
                .contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                        "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight",
                        "base_model.model.score.weight")
                .doesNotContain("base_model.model.score.bias")
                .hasSize(2 * 7 * 2 + 1);
    }

    @Test
    void targetsAreTheDecodersOwnNames() {
        assertThat(LoraConfig.parseTargets(Family.LLAMA, "q_proj,v_proj", 2)).containsExactlyInAnyOrder(Module.QUERY, Module.VALUE);
        assertThat(LoraConfig.parseTargets(Family.LLAMA, "all-linear", 2)).isEqualTo(Family.LLAMA.modules());
        assertThatThrownBy(() -> LoraConfig.parseTargets(Family.LLAMA, "query", 2)).hasMessageContaining("target_modules=query")
                .hasMessageContaining("q_proj");
        assertThatThrownBy(() -> Adapter.create(llama, LoraConfig.defaults().withTargets(EnumSet.of(Module.INTERMEDIATE)), LABELS, 1))
                .hasMessageContaining("target_modules=[INTERMEDIATE] for a LLAMA base");
    }

    @Test
    void trainingLowersTheLossAndLearnsATinyTask() {
        List<Example> train = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            boolean positive = i % 2 == 0;
            String word = positive ? "fine" : "thin";
            train.add(new Example("the " + word + " " + "ab".repeat(i % 5) + " end", positive ? "positive" : "negative"));
        }
        TrainingConfig config = new TrainingConfig(6, 8, 5e-3, 0.0, 0.1, 1.0, 17, 0, false);
        try (Adapter adapter = Adapter.create(llama, allLinear(), LABELS, 11)) {
            Trainer.Result result = new Trainer(config, TrainingListener.NONE).train(adapter, train, train);
            double first = result.epochs().get(0).trainLoss();
            double last = result.epochs().get(result.epochs().size() - 1).trainLoss();
            System.out.printf("decoder LoRA training: loss %.3f → %.3f, best accuracy %.3f%n", first, last, result.best().accuracy());
            assertThat(last).isLessThan(first);
            assertThat(result.best().accuracy()).isGreaterThan(0.9);
        }
    }

    @Test
    void aMixedBatchOfDecoderAdaptersEqualsEachAlone() {
        try (Adapter qv = LoraTest.trainedLooking(llama, LoraConfig.defaults(), LABELS, 21);
             Adapter mlpRank4 = LoraTest.trainedLooking(llama,
                     new LoraConfig(4, 8, 0.0, EnumSet.of(Module.GATE, Module.UP, Module.DOWN, Module.KEY), false,
                             List.of(LoraConfig.CLASSIFIER)), List.of("x", "y", "z"), 22)) {
            List<Adapter> rows = List.of(qv, mlpRank4, mlpRank4, qv);
            float[][] mixed = new MixedClassifier(llama, 4).probabilities(rows, TEXTS);
            double worst = 0;
            for (int i = 0; i < TEXTS.size(); i++) {
                float[] alone = new Classifier(rows.get(i), 1).probabilities(List.of(TEXTS.get(i)))[0];
                worst = Math.max(worst, OnnxRuntimeReferenceTest.maxAbsDiff(mixed[i], alone));
            }
            assertThat(worst).isLessThan(1e-5);
        }
    }
}
