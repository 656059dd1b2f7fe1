package io.lorastream.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading a Hugging Face model directory. No hub here, so the directory is made from the embedded
 * MiniLM's own weights: f32 must give the very same model (same sha256, same outputs), f16 and
 * bf16 the same model within their precision.
 */
class HuggingFaceDirectoryTest {
    static final List<String> TEXTS = List.of("a gripping, beautifully shot film", "Arrived broken.", "Crème brûlée 👍");

    final BaseModel embedded = Fixtures.base();

    @Test
    void f32SafetensorsWrittenByDjlIsTheSameModel(@TempDir Path dir) throws Exception {
        writeDirectory(dir);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDList list = new NDList();
            embedded.weights().forEach((name, array) -> {
                NDArray copy = array.duplicate();
                copy.attach(m);
                copy.setName("bert." + name); // as BertForSequenceClassification checkpoints name them
                list.add(copy);
            });
            try (OutputStream out = Files.newOutputStream(dir.resolve("model.safetensors"))) {
                list.encode(out, NDList.Encoding.SAFETENSORS);
            }
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try (BaseModel loaded = BaseModel.fromDirectory(dir, Device.cpu(), 256)) {
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            long weights = loaded.parameterCount() * 4;
            System.out.printf("loading %,d bytes of weights allocated %,d bytes of Java heap%n", weights, allocated);
            // the weights go to native memory a chunk at a time through one direct buffer: none of them pass through the heap
            assertThat(allocated).as("Java heap allocated while loading").isLessThan(weights / 4);
            assertThat(loaded.sha256()).isEqualTo(embedded.sha256());
            assertThat(loaded.id()).isEqualTo("sentence-transformers/all-MiniLM-L6-v2");
            assertThat(pooled(loaded)).isEqualTo(pooled(embedded));
        }
    }

    @Test
    void f16AndBf16AreWidenedInJavaAndStayCloseToTheF32Model(@TempDir Path dir) throws Exception {
        float[] reference = pooled(embedded);
        for (String dtype : List.of("F16", "BF16")) {
            Path model = Files.createDirectories(dir.resolve(dtype));
            writeDirectory(model);
            writeSafetensors(model.resolve("model.safetensors"), dtype);
            try (BaseModel loaded = BaseModel.fromDirectory(model, Device.cpu(), 256)) {
                assertThat(loaded.sha256()).as(dtype + " weights are different weights").isNotEqualTo(embedded.sha256());
                double diff = OnnxRuntimeReferenceTest.maxAbsDiff(pooled(loaded), reference);
                System.out.printf("%s: max |pooled - f32 pooled| = %.2e%n", dtype, diff);
                assertThat(diff).as(dtype).isLessThan(dtype.equals("F16") ? 5e-3 : 5e-2).isGreaterThan(0);
            }
        }
    }

    @Test
    void aDirectoryWithoutWeightsOrWithAMissingTensorIsRefusedByName(@TempDir Path dir) throws Exception {
        writeDirectory(dir);
        assertThatThrownBy(() -> BaseModel.fromDirectory(dir, Device.cpu(), 256)).hasMessageContaining("model.safetensors is missing");
        writeSafetensors(dir.resolve("model.safetensors"), "F32", "encoder.layer.3.attention.self.key.weight");
        assertThatThrownBy(() -> BaseModel.fromDirectory(dir, Device.cpu(), 256))
                .hasMessageContaining("has no tensor encoder.layer.3.attention.self.key.weight");
    }

    float[] pooled(BaseModel base) {
        BertEncoder encoder = new BertEncoder(base);
        try (NDManager scope = base.newScope()) {
            return encoder.pooled(scope, base.tokenize(TEXTS), encoder.baseProjections(), Pooling.MEAN).toFloatArray();
        }
    }

    void writeDirectory(Path dir) throws Exception {
        ObjectNode config = new ObjectMapper().createObjectNode();
        config.put("_name_or_path", "sentence-transformers/all-MiniLM-L6-v2");
        config.put("model_type", "bert");
        config.put("hidden_act", "gelu");
        config.put("vocab_size", 30522);
        config.put("hidden_size", 384);
        config.put("num_hidden_layers", 6);
        config.put("num_attention_heads", 12);
        config.put("intermediate_size", 1536);
        config.put("max_position_embeddings", 512);
        config.put("type_vocab_size", 2);
        config.put("layer_norm_eps", 1e-12);
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), config);
        try (var in = getClass().getResourceAsStream(BaseModel.EMBEDDED_TOKENIZER)) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
    }

    /** An independent safetensors writer (not DJL's), narrowing f32 to f16 or bf16 by hand. */
    void writeSafetensors(Path file, String dtype, String... leaveOut) throws Exception {
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        embedded.weights().forEach((name, array) -> {
            if (!List.of(leaveOut).contains(name)) {
                values.put(name, array.toFloatArray());
                shapes.put(name, array.getShape().getShape());
            }
        });
        int bytesPer = dtype.equals("F32") ? 4 : 2;
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (String name : values.keySet()) {
            long size = values.get(name).length * (long) bytesPer;
            if (header.length() > 1) {
                header.append(',');
            }
            header.append('"').append(name).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":")
                    .append(java.util.Arrays.toString(shapes.get(name)).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + size).append("]}");
            offset += size;
        }
        header.append('}');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate((int) (8 + headerBytes.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(headerBytes.length).put(headerBytes);
        for (float[] data : values.values()) {
            for (float v : data) {
                switch (dtype) {
                    case "F32" -> out.putFloat(v);
                    case "F16" -> out.putShort(toHalf(v));
                    default -> out.putShort((short) (Float.floatToIntBits(v) >>> 16)); // bf16 by truncation
                }
            }
        }
        Files.write(file, out.array());
    }

    /** f32 → f16, round to nearest (normal range only: model weights are small). */
    static short toHalf(float value) {
        int bits = Float.floatToIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        int mantissa = bits & 0x7fffff;
        if (exponent <= 0) {
            return (short) sign; // flush tiny values to zero
        }
        int half = sign | (exponent << 10) | (mantissa >>> 13);
        if ((mantissa & 0x1000) != 0) {
            half++; // round half up on the dropped bits
        }
        return (short) half;
    }
}
