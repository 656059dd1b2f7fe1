package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Llama-family decoder against reference outputs of a plain-PyTorch forward (src/test/python/decoder_fixtures.py,
 * a port of transformers' eager LlamaModel run on Debian's PyTorch, whose header says what it is and is not) on
 * tiny random checkpoints: Llama (f32, GQA, a checkpoint's own score head to ignore), Llama 3 (bf16, two shards,
 * llama3 rope scaling, tied embeddings), Qwen2 (f16, q/k/v biases, theta 1e6) and Mistral (multi-query, head_dim
 * apart from hidden / heads, a sliding window shorter than the texts).
 */
class DecoderReferenceTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path fixture(String variant) throws Exception {
        return directory("/decoders/" + variant);
    }

    /** A fixture directory of the test resources. */
    static Path directory(String resource) throws Exception {
        return Path.of(DecoderReferenceTest.class.getResource(resource + "/config.json").toURI()).getParent();
    }

    static TokenBatch batch(JsonNode expected) {
        JsonNode ids = expected.path("batch_input_ids");
        JsonNode mask = expected.path("batch_attention_mask");
        long[][] idRows = new long[ids.size()][];
        long[][] maskRows = new long[ids.size()][];
        for (int row = 0; row < ids.size(); row++) {
            idRows[row] = longs(ids.get(row));
            maskRows[row] = longs(mask.get(row));
        }
        return new TokenBatch(idRows, maskRows);
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    static float[] floats(JsonNode nested) {
        List<Float> out = new ArrayList<>();
        flatten(nested, out);
        float[] values = new float[out.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = out.get(i);
        }
        return values;
    }

    private static void flatten(JsonNode node, List<Float> out) {
        if (node.isArray()) {
            node.forEach(child -> flatten(child, out));
        } else {
            out.add((float) node.asDouble());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama3-bf16-sharded", "qwen2-f16", "mistral-mqa-window"})
    void hiddenStatesAndLastTokenMatchTheReferenceBatchedAndAlone(String variant) throws Exception {
        Path dir = fixture(variant);
        JsonNode expected = JSON.readTree(dir.resolve("expected.json").toFile());
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64)) {
            assertThat(base.config().family()).isEqualTo(Family.LLAMA);
            Backbone decoder = base.backbone();
            TokenBatch batch = batch(expected);
            int h = base.config().hiddenSize();
            try (NDManager scope = base.newScope()) {
                float[] hidden = decoder.forward(scope, batch, decoder.baseProjections(), DropoutMasks.NONE).toFloatArray();
                double hiddenDiff = OnnxRuntimeReferenceTest.maxAbsDiffOnRealTokens(hidden, floats(expected.path("last_hidden_state")), batch, h);
                float[] pooled = decoder.pooled(scope, batch, decoder.baseProjections(), Pooling.LAST).toFloatArray();
                double pooledDiff = OnnxRuntimeReferenceTest.maxAbsDiff(pooled, floats(expected.path("last_token_hidden")));
                System.out.printf("%s: max |hidden - reference| %.2e, last token %.2e%n", variant, hiddenDiff, pooledDiff);
                assertThat(hiddenDiff).as("last hidden states on real tokens").isLessThan(1e-4);
                assertThat(pooledDiff).as("the last real token's hidden state").isLessThan(1e-4);
            }
            JsonNode alone = expected.path("last_token_hidden_each_alone");
            for (int row = 0; row < alone.size(); row++) {
                try (NDManager scope = base.newScope()) {
                    TokenBatch one = TokenBatch.pad(List.of(longs(expected.path("input_ids").get(row))));
                    float[] pooled = decoder.pooled(scope, one, decoder.baseProjections(), Pooling.LAST).toFloatArray();
                    assertThat(OnnxRuntimeReferenceTest.maxAbsDiff(pooled, floats(alone.get(row)))).as("text %d alone", row).isLessThan(1e-4);
                }
            }
        }
    }

    @Test
    void theTokenizerIsByteLevelBpeWithTheBosItsPostProcessorAdds() throws Exception {
        Path dir = fixture("llama");
        JsonNode vocab = JSON.readTree(dir.resolve("tokenizer.json").toFile()).path("model").path("vocab");
        try (BaseModel base = BaseModel.fromDirectory(dir, Device.cpu(), 64)) {
            // "the fin" → byte-level words "the", "Ġfin"; the merges give t + he and Ġfin; <s> first
            assertThat(base.encode(List.of("the fin")).get(0)).containsExactly(
                    vocab.path("<s>").asLong(), vocab.path("t").asLong(), vocab.path("he").asLong(), vocab.path("Ġfin").asLong());
            assertThat(base.encode(List.of("x".repeat(200))).get(0)).as("truncated to max_position_embeddings").hasSize(64);
        }
    }

    @Test
    void theWeightsAreHashedAsF32WhateverTheirFileSoShardsAndPrecisionMakeTheirOwnIds() throws Exception {
        try (BaseModel llama = BaseModel.fromDirectory(fixture("llama"), Device.cpu(), 64);
             BaseModel sharded = BaseModel.fromDirectory(fixture("llama3-bf16-sharded"), Device.cpu(), 64)) {
            assertThat(llama.sha256()).isNotEqualTo(sharded.sha256()).hasSize(64);
            // 2 blocks of q (32·32), k and v (16·32), o (32·32), gate and up (64·32), down (32·64), two norms (32); embeddings and final norm
            long perBlock = 32 * 32 + 2 * 16 * 32 + 32 * 32 + 3 * 64 * 32 + 2 * 32;
            assertThat(llama.parameterCount()).isEqualTo(266L * 32 + 2 * perBlock + 32);
        }
    }

    @Test
    void configsOutsideWhatTheDecoderDoesAreRefusedNamingKeyAndValue(@TempDir Path tmp) throws Exception {
        Path source = fixture("llama");
        for (String[] change : new String[][] {
                {"rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_type=yarn"},
                {"hidden_act", "\"gelu\"", "hidden_act=gelu"},
                {"num_key_value_heads", "3", "num_key_value_heads (must divide num_attention_heads 4)=3"},
                {"model_type", "\"gpt2\"", "model_type=gpt2"}}) {
            Path dir = Files.createDirectories(tmp.resolve(change[0]));
            for (String file : List.of("model.safetensors", "tokenizer.json")) {
                Files.copy(source.resolve(file), dir.resolve(file));
            }
            ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
            config.set(change[0], JSON.readTree(change[1]));
            JSON.writeValue(dir.resolve("config.json").toFile(), config);
            assertThatThrownBy(() -> BaseModel.fromDirectory(dir, Device.cpu(), 64)).as(change[0]).hasMessageContaining(change[2]);
        }
    }

    @Test
    void aShardMissingFromTheIndexOrOutsideTheDirectoryIsRefusedByName(@TempDir Path tmp) throws Exception {
        Path source = fixture("llama3-bf16-sharded");
        for (String file : List.of("config.json", "tokenizer.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors")) {
            Files.copy(source.resolve(file), tmp.resolve(file));
        }
        assertThatThrownBy(() -> BaseModel.fromDirectory(tmp, Device.cpu(), 64))
                .hasMessageContaining("names shard model-00002-of-00002.safetensors, which is not a file of");
        String index = Files.readString(tmp.resolve("model.safetensors.index.json")).replace("model-00002-of-00002", "../elsewhere");
        Files.writeString(tmp.resolve("model.safetensors.index.json"), index);
        assertThatThrownBy(() -> BaseModel.fromDirectory(tmp, Device.cpu(), 64)).hasMessageContaining("../elsewhere.safetensors");
    }
}
