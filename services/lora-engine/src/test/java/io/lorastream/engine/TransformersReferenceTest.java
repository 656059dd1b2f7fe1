package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every family against Hugging Face transformers and PEFT themselves, not a port: {@code <checkpoint>/transformers/} holds
 * what transformers 5 ({@code AutoModelForSequenceClassification}, eager attention, f32), the tokenizers library and
 * PEFT computed on the engine's test checkpoints, and two adapters PEFT saved (src/test/python/transformers_fixtures.py,
 * whose header says how; the versions are in each expected.json). Within 1e-4: the token ids, the base's last hidden
 * states batched with right padding, the pooled hidden state of each text alone, and each PEFT adapter's logits batched
 * and alone, loaded by {@link AdapterFiles#loadPeft}, merged, saved by us and reloaded, and in a mixed batch; one training
 * step's loss and the gradient of every trained tensor, against transformers' loss backpropagated through PEFT. The copies
 * we save stay in target/peft-reads-ours/, where src/test/python/peft_reads_ours.py checks the other direction: PEFT
 * loads our files over transformers' model and gives the same logits.
 */
class TransformersReferenceTest {
    static final double TOLERANCE = 1e-4;

    /** Every checkpoint of the engine's tests: the three encoder families and the decoders' variants. */
    static List<String> checkpoints() {
        return List.of("encoders/bert", "encoders/roberta", "encoders/distilbert", "decoders/llama",
                "decoders/llama3-bf16-sharded", "decoders/qwen2-f16", "decoders/mistral-mqa-window");
    }

    static Path checkpoint(String name) throws Exception {
        return DecoderReferenceTest.directory("/" + name);
    }

    static JsonNode expected(Path checkpoint) throws Exception {
        return DecoderReferenceTest.JSON.readTree(checkpoint.resolve("transformers/expected.json").toFile());
    }

    static List<String> labels(JsonNode logitsRow) {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < logitsRow.size(); i++) {
            labels.add("LABEL_" + i);
        }
        return labels;
    }

    static float[] logits(Adapter adapter, TokenBatch batch) {
        BaseModel base = adapter.base();
        try (NDManager scope = base.newScope()) {
            return adapter.logits(scope, base.backbone(), batch, DropoutMasks.NONE).toFloatArray();
        }
    }

    static TokenBatch alone(JsonNode expected, int row) {
        return TokenBatch.pad(List.of(DecoderReferenceTest.longs(expected.path("input_ids").get(row))));
    }

    static List<long[]> rows(JsonNode expected) {
        List<long[]> rows = new ArrayList<>();
        expected.path("input_ids").forEach(ids -> rows.add(DecoderReferenceTest.longs(ids)));
        return rows;
    }

    static List<String> texts(JsonNode expected) {
        List<String> texts = new ArrayList<>();
        expected.path("texts").forEach(t -> texts.add(t.asText()));
        return texts;
    }

    @ParameterizedTest
    @MethodSource("checkpoints")
    void tokensAndHiddenStatesMatchTransformersBatchedAndAlone(String name) throws Exception {
        Path dir = checkpoint(name);
        JsonNode expected = expected(dir);
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64)) {
            List<String> texts = texts(expected);
            List<long[]> ids = base.encode(texts);
            for (int row = 0; row < texts.size(); row++) {
                assertThat(ids.get(row)).as("token ids of %s", texts.get(row))
                        .containsExactly(DecoderReferenceTest.longs(expected.path("input_ids").get(row)));
            }
            Backbone backbone = base.backbone();
            Pooling pooling = base.config().family().huggingFaceHead().pooling();
            TokenBatch batch = DecoderReferenceTest.batch(expected);
            try (NDManager scope = base.newScope()) {
                float[] hidden = backbone.forward(scope, batch, backbone.baseProjections(), DropoutMasks.NONE).toFloatArray();
                double hiddenDiff = OnnxRuntimeReferenceTest.maxAbsDiffOnRealTokens(hidden,
                        DecoderReferenceTest.floats(expected.path("last_hidden_state")), batch, base.config().hiddenSize());
                float[] pooled = backbone.pooled(scope, batch, backbone.baseProjections(), pooling).toFloatArray();
                double pooledDiff = OnnxRuntimeReferenceTest.maxAbsDiff(pooled, DecoderReferenceTest.floats(expected.path("pooled")));
                System.out.printf("%s (%s): max |hidden - transformers| %.2e, pooled %.2e%n", name,
                        expected.path("versions").path("transformers").asText(), hiddenDiff, pooledDiff);
                assertThat(hiddenDiff).as("last hidden states on real tokens").isLessThan(TOLERANCE);
                assertThat(pooledDiff).as("the hidden state the head reads").isLessThan(TOLERANCE);
            }
            JsonNode each = expected.path("pooled_each_alone");
            for (int row = 0; row < each.size(); row++) {
                try (NDManager scope = base.newScope()) {
                    float[] pooled = backbone.pooled(scope, alone(expected, row), backbone.baseProjections(), pooling).toFloatArray();
                    assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(pooled, DecoderReferenceTest.floats(each.get(row))))
                            .as("text %d alone", row).isLessThan(TOLERANCE);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("checkpoints")
    void peftAdaptersGiveTransformersLogitsLoadedMergedAndReloaded(String name) throws Exception {
        // kept under target/ so that src/test/python/peft_reads_ours.py can load our copies with PEFT
        Path saved = Path.of("target", "peft-reads-ours", name);
        Path dir = checkpoint(name);
        JsonNode expected = expected(dir);
        TokenBatch batch = DecoderReferenceTest.batch(expected);
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64)) {
            for (String kind : List.of("lora", "head")) {
                JsonNode want = expected.path("adapters").path(kind);
                float[] reference = DecoderReferenceTest.floats(want.path("logits"));
                try (Adapter adapter = AdapterFiles.loadPeft(dir.resolve("transformers").resolve(kind), base,
                        labels(want.path("logits").get(0)))) {
                    float[] ours = logits(adapter, batch);
                    System.out.printf("%s, PEFT adapter %s: max |logits - transformers| %.2e%n", name, kind,
                            OnnxRuntimeReferenceTest.maxAbsDiff(ours, reference));
                    assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(ours, reference)).as("%s logits batched", kind).isLessThan(TOLERANCE);
                    for (int row = 0; row < want.path("logits_each_alone").size(); row++) {
                        assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(logits(adapter, alone(expected, row)),
                                DecoderReferenceTest.floats(want.path("logits_each_alone").get(row))))
                                .as("%s logits of text %d alone", kind, row).isLessThan(TOLERANCE);
                    }
                    adapter.merge();
                    assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(logits(adapter, batch), reference)).as("%s merged", kind)
                            .isLessThan(TOLERANCE);
                    adapter.unmerge();

                    Path copy = saved.resolve(kind);
                    AdapterFiles.save(adapter, copy);
                    try (Adapter reloaded = AdapterFiles.load(copy, base)) {
                        assertThat(logits(reloaded, batch)).as("%s saved by us and reloaded", kind).isEqualTo(ours);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("checkpoints")
    void aTrainingStepsLossAndGradientsAreTransformersAndPefts(String name) throws Exception {
        Path dir = checkpoint(name);
        JsonNode expected = expected(dir);
        JsonNode training = expected.path("training");
        TokenBatch batch = DecoderReferenceTest.batch(expected);
        Map<String, FloatTensor> reference = Safetensors.read(dir.resolve("transformers/lora-gradients.safetensors"), n -> true);
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64);
             Adapter adapter = AdapterFiles.loadPeft(dir.resolve("transformers/lora"), base,
                     labels(expected.path("adapters").path("lora").path("logits").get(0)));
             NDManager scope = base.newScope()) {
            int labels = adapter.labels().size();
            float[] oneHot = new float[batch.size() * labels];
            for (int row = 0; row < batch.size(); row++) {
                oneHot[row * labels + training.path("labels").get(row).asInt()] = 1f;
            }
            Map<String, NDArray> trained = adapter.tensors();
            assertThat(trained.keySet()).as("the trained tensors, by PEFT's names").isEqualTo(reference.keySet());
            trained.values().forEach(p -> p.setRequiresGradient(true));
            float loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = adapter.logits(scope, base.backbone(), batch, DropoutMasks.NONE);             // (B, L)
                NDArray lossArray = new TrainingRun.Batch(rows(expected), batch, oneHot).loss(scope, logits);
                collector.backward(lossArray);
                loss = lossArray.getFloat();
            }
            double worst = 0;
            for (Map.Entry<String, NDArray> entry : trained.entrySet()) {
                float[] ours = entry.getValue().getGradient().toFloatArray();
                double diff = OnnxRuntimeReferenceTest.maxAbsDiff(ours, reference.get(entry.getKey()).data());
                worst = Math.max(worst, diff);
                assertThat(diff).as("gradient of %s", entry.getKey()).isLessThan(TOLERANCE);
            }
            trained.values().forEach(p -> p.setRequiresGradient(false));
            System.out.printf("%s: loss %.6f (transformers %.6f), max |gradient - PEFT's| %.2e over %d tensors%n", name, loss,
                    training.path("loss").asDouble(), worst, trained.size());
            assertThat(Math.abs(loss - training.path("loss").asDouble())).as("mean cross-entropy").isLessThan(TOLERANCE);
        }
    }

    @ParameterizedTest
    @MethodSource("checkpoints")
    void allLinearIsTheModulesPeftResolvesItToWithTheHeadSavedInFull(String name) throws Exception {
        Path dir = checkpoint(name);
        JsonNode peft = expected(dir).path("all_linear");
        assertThat(peft.path("error").isMissingNode()).as("PEFT's own error: %s", peft.path("error").asText()).isTrue();
        List<String> theirs = new ArrayList<>();
        peft.path("modules").forEach(m -> theirs.add(m.asText()));
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64)) {
            Family family = base.config().family();
            int layers = base.config().numLayers();
            List<String> ours = new ArrayList<>();
            for (Module module : LoraConfig.parseTargets(family, "all-linear", layers)) {
                for (int layer = 0; layer < layers; layer++) {
                    ours.add(family.checkpointPrefix() + family.moduleName(module, layer));
                }
            }
            assertThat(ours).containsExactlyInAnyOrderElementsOf(theirs);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"encoders/roberta", "decoders/qwen2-f16"})
    void aMixedBatchOfPeftAdaptersGivesEachOnesTransformersProbabilities(String name) throws Exception {
        Path dir = checkpoint(name);
        JsonNode expected = expected(dir);
        List<String> texts = texts(expected);
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64)) {
            JsonNode lora = expected.path("adapters").path("lora");
            JsonNode head = expected.path("adapters").path("head");
            List<String> labels = labels(lora.path("logits").get(0));
            try (Adapter withLora = AdapterFiles.loadPeft(dir.resolve("transformers/lora"), base, labels);
                 Adapter headOnly = AdapterFiles.loadPeft(dir.resolve("transformers/head"), base, labels)) {
                List<Adapter> rows = new ArrayList<>();
                for (int row = 0; row < texts.size(); row++) {
                    rows.add(row % 2 == 0 ? withLora : headOnly);
                }
                float[][] mixed = new MixedClassifier(base, texts.size()).probabilities(rows, texts);
                for (int row = 0; row < texts.size(); row++) {
                    JsonNode want = (row % 2 == 0 ? lora : head).path("logits").get(row);
                    assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(mixed[row], softmax(DecoderReferenceTest.floats(want))))
                            .as("row %d", row).isLessThan(TOLERANCE);
                }
            }
        }
    }

    /**
     * Tokenizers trained with the tokenizers library (WordPiece, and byte-level BPE with RoBERTa's, Llama's and Qwen2's
     * special tokens), each put into a checkpoint of its family in place of the test tokenizer: the engine's ids for 200
     * SST-2 sentences and some awkward texts (empty, accents, CJK and emoji, control characters, one over 64 tokens) are
     * the library's, truncation and special tokens included.
     */
    @ParameterizedTest
    @ValueSource(strings = {"wordpiece-bert:encoders/bert", "bpe-roberta:encoders/roberta", "bpe-llama:decoders/llama",
            "bpe-qwen2:decoders/qwen2-f16"})
    void trainedTokenizersGiveTheLibrarysIds(String kindAndCheckpoint, @TempDir Path tmp) throws Exception {
        String[] parts = kindAndCheckpoint.split(":");
        Path tokenizer = Path.of(getClass().getResource("/tokenizers/" + parts[0] + "/tokenizer.json").toURI()).getParent();
        Path checkpoint = checkpoint(parts[1]);
        try (var files = Files.list(checkpoint)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, tmp.resolve(file.getFileName()));
            }
        }
        Files.copy(tokenizer.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        JsonNode expected = DecoderReferenceTest.JSON.readTree(tokenizer.resolve("expected.json").toFile());
        List<String> texts = texts(expected);
        try (BaseModel base = BaseModel.fromDirectory(tmp, Device.cpu(), expected.path("max_length").asInt())) {
            List<long[]> ours = base.encode(texts);
            for (int row = 0; row < texts.size(); row++) {
                assertThat(ours.get(row)).as("%s: %s", parts[0], texts.get(row))
                        .containsExactly(DecoderReferenceTest.longs(expected.path("input_ids").get(row)));
            }
        }
    }

    @Test
    void aPeftAdapterWithoutTheFamilysHeadOrWithPerModuleRanksIsRefusedByName(@TempDir Path tmp) throws Exception {
        Path dir = checkpoint("encoders/distilbert");
        Path source = dir.resolve("transformers/lora");
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64)) {
            for (String[] change : new String[][] {
                    {"modules_to_save", "[\"classifier\", \"score\"]", "modules_to_save [classifier, score]"},
                    {"rank_pattern", "{\"q_lin\": 8}", "rank_pattern={\"q_lin\":8}"},
                    {"use_dora", "true", "use_dora=true"}}) {
                Path edited = Files.createDirectories(tmp.resolve(change[0]));
                Files.copy(source.resolve(AdapterFiles.WEIGHTS), edited.resolve(AdapterFiles.WEIGHTS));
                ObjectNode config = (ObjectNode) DecoderReferenceTest.JSON.readTree(source.resolve(AdapterFiles.CONFIG).toFile());
                config.set(change[0], DecoderReferenceTest.JSON.readTree(change[1]));
                DecoderReferenceTest.JSON.writeValue(edited.resolve(AdapterFiles.CONFIG).toFile(), config);
                assertThatThrownBy(() -> AdapterFiles.loadPeft(edited, base, List.of("a", "b"))).as(change[0])
                        .hasMessageContaining(change[2]);
            }
            assertThatThrownBy(() -> AdapterFiles.loadPeft(source, base, List.of("a", "b", "c"))).as("three labels for a 2-row head")
                    .hasMessageContaining("base_model.model.classifier.").hasMessageContaining("has shape (2").hasMessageContaining("expected (3");
            assertThatThrownBy(() -> AdapterFiles.loadPeft(tmp, base, List.of("a", "b"))).hasMessageContaining("adapter_config.json is missing");
        }
    }

    static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        float[] out = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = (float) (e[i] / sum);
        }
        return out;
    }
}
