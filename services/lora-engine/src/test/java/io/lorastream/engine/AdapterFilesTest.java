package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterFilesTest {
    final BaseModel base = Fixtures.base();
    final BertEncoder encoder = new BertEncoder(base);
    static final List<String> TEXTS = List.of("great value", "arrived broken and late", "meh", "Ünïcödé ok");
    static final List<String> LABELS = LoraTest.LABELS;

    float[] logits(Adapter adapter) {
        try (NDManager scope = base.newScope()) {
            return adapter.logits(scope, encoder, base.tokenize(TEXTS), DropoutMasks.NONE).toFloatArray();
        }
    }

    @Test
    void saveThenLoadGivesBitIdenticalOutputsInPeftLayout(@TempDir Path dir) throws Exception {
        LoraConfig config = new LoraConfig(4, 8, 0.05, EnumSet.of(Module.KEY, Module.OUTPUT), true, List.of("classifier"));
        try (Adapter adapter = LoraTest.trainedLooking(base, config, 5)) {
            AdapterFiles.save(adapter, dir);
            try (Adapter loaded = AdapterFiles.load(dir, base)) {
                assertThat(logits(loaded)).isEqualTo(logits(adapter));
                assertThat(loaded.config()).isEqualTo(config);
                assertThat(loaded.labels()).isEqualTo(LABELS);
            }
        }
        JsonNode peft = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(peft.path("peft_type").asText()).isEqualTo("LORA");
        assertThat(peft.path("task_type").asText()).isEqualTo("SEQ_CLS");
        assertThat(peft.path("r").asInt()).isEqualTo(4);
        assertThat(peft.path("lora_alpha").asDouble()).isEqualTo(8.0);
        assertThat(peft.path("use_rslora").asBoolean()).isTrue();
        assertThat(peft.path("bias").asText()).isEqualTo("none");
        assertThat(peft.path("fan_in_fan_out").asBoolean()).isFalse();
        assertThat(peft.path("inference_mode").asBoolean()).isTrue();
        assertThat(peft.path("base_model_name_or_path").asText()).isEqualTo("sentence-transformers/all-MiniLM-L6-v2");
        assertThat(peft.path("modules_to_save").get(0).asText()).isEqualTo("classifier");
        assertThat(names(dir.resolve("adapter_model.safetensors")))
                .contains("base_model.model.bert.encoder.layer.0.attention.self.key.lora_A.weight",
                        "base_model.model.bert.encoder.layer.5.output.dense.lora_B.weight",
                        "base_model.model.classifier.weight", "base_model.model.classifier.bias")
                .hasSize(6 * 2 * 2 + 2);
    }

    @Test
    void bertsPoolerHeadIsSavedAsBertForSequenceClassificationHasIt(@TempDir Path dir) throws Exception {
        Family.Head pooler = Family.BERT.head("pooler");
        try (Adapter adapter = LoraTest.trainedLooking(base, LoraConfig.defaults(), pooler, LABELS, 6)) {
            AdapterFiles.save(adapter, dir);
            try (Adapter loaded = AdapterFiles.load(dir, base)) {
                assertThat(loaded.head()).isEqualTo(pooler);
                assertThat(logits(loaded)).isEqualTo(logits(adapter));
            }
        }
        JsonNode peft = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(peft.path("modules_to_save").toString()).isEqualTo("[\"pooler\",\"classifier\"]");
        JsonNode ours = new ObjectMapper().readTree(dir.resolve("lorastream_adapter.json").toFile());
        assertThat(ours.path("head").asText()).isEqualTo("pooler");
        assertThat(ours.path("pooling").asText()).isEqualTo("first");
        assertThat(names(dir.resolve("adapter_model.safetensors")))
                .contains("base_model.model.bert.pooler.dense.weight", "base_model.model.bert.pooler.dense.bias",
                        "base_model.model.classifier.weight", "base_model.model.classifier.bias")
                .hasSize(6 * 2 * 2 + 4);

        // a head's saved modules must be that head's
        Path config = dir.resolve("adapter_config.json");
        Files.writeString(config, Files.readString(config).replace("\"pooler\", ", ""));
        assertThatThrownBy(() -> AdapterFiles.load(dir, base))
                .hasMessageContaining("modules_to_save [classifier]").hasMessageContaining("the pooler head");
    }

    @Test
    void aFileFromBeforeHeadsWereNamedLoadsWithTheHeadItsPoolingNames(@TempDir Path dir) throws Exception {
        try (Adapter adapter = LoraTest.trainedLooking(base, LoraConfig.defaults(), Family.BERT.head("mean"), LABELS, 7)) {
            AdapterFiles.save(adapter, dir);
            Path ours = dir.resolve("lorastream_adapter.json");
            Files.writeString(ours, Files.readString(ours).replaceAll("\"head\" : \"mean\",\\s*", ""));
            assertThat(Files.readString(ours)).doesNotContain("\"head\"").contains("\"pooling\" : \"mean\"");
            try (Adapter loaded = AdapterFiles.load(dir, base)) {
                assertThat(loaded.head()).isEqualTo(Family.BERT.head("mean"));
                assertThat(logits(loaded)).isEqualTo(logits(adapter));
            }
            Files.writeString(ours, Files.readString(ours).replace("\"pooling\" : \"mean\"", "\"pooling\" : \"last\""));
            assertThatThrownBy(() -> AdapterFiles.load(dir, base)).hasMessageContaining("pooling last")
                    .hasMessageContaining("pooler (first)").hasMessageContaining("mean (mean)");
        }
    }

    @Test
    void anAdapterForAnotherBaseIsRefused(@TempDir Path dir) throws Exception {
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), LABELS, 1)) {
            AdapterFiles.save(adapter, dir);
        }
        Path ours = dir.resolve("lorastream_adapter.json");
        Files.writeString(ours, Files.readString(ours).replace(base.sha256(), "0".repeat(64)));
        assertThatThrownBy(() -> AdapterFiles.load(dir, base))
                .hasMessageContaining("was trained on base")
                .hasMessageContaining("0".repeat(64))
                .hasMessageContaining(base.sha256());
    }

    @Test
    void aWrongShapeIsRefused(@TempDir Path dir) throws Exception {
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), LABELS, 1)) {
            AdapterFiles.save(adapter, dir);
        }
        Path config = dir.resolve("adapter_config.json");
        Files.writeString(config, Files.readString(config).replace("\"r\" : 8", "\"r\" : 16"));
        assertThatThrownBy(() -> AdapterFiles.load(dir, base))
                .hasMessageContaining("has shape").hasMessageContaining("8)").hasMessageContaining("expected").hasMessageContaining("16");
    }

    @Test
    void aTruncatedFileIsRefusedAtEveryLength(@TempDir Path dir) throws Exception {
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), LABELS, 1)) {
            AdapterFiles.save(adapter, dir);
        }
        Path weights = dir.resolve("adapter_model.safetensors");
        byte[] whole = Files.readAllBytes(weights);
        for (int length : new int[] {0, 4, 8, 100, whole.length / 2, whole.length - 1}) {
            Files.write(weights, java.util.Arrays.copyOf(whole, length));
            assertThatThrownBy(() -> AdapterFiles.load(dir, base)).as("truncated to %d bytes", length)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("adapter_model.safetensors");
        }
        Files.write(weights, whole);
        try (Adapter ok = AdapterFiles.load(dir, base)) {
            assertThat(ok.labels()).isEqualTo(LABELS);
        }
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) throws Exception {
        try (Adapter adapter = Adapter.create(base, LoraConfig.defaults(), LABELS, 1)) {
            AdapterFiles.save(adapter, dir);
        }
        Files.delete(dir.resolve("adapter_config.json"));
        assertThatThrownBy(() -> AdapterFiles.load(dir, base)).hasMessageContaining("adapter_config.json is missing");
    }

    /** Tensor names from the safetensors header, read independently of the engine's reader. */
    static List<String> names(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(n -> {
            if (!n.equals("__metadata__")) {
                names.add(n);
            }
        });
        return names;
    }
}
