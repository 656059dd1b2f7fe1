package io.lorastream.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights a BERT encoder needs, by Hugging Face name without the model prefix
 * ({@code encoder.layer.0.attention.self.query.weight}), in PyTorch layout ([out, in] for linears).
 * Two sources: an ONNX export (the embedded MiniLM) and a {@code model.safetensors} (f32, f16, bf16).
 */
final class BaseWeights {
    private BaseWeights() {}

    /** Names the encoder reads; nothing else (pooler, MLM heads) is kept or hashed. */
    static List<String> required(EncoderConfig config) {
        List<String> names = new ArrayList<>(List.of(
                "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"));
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (Module module : Module.values()) {
                names.add(module.moduleName(layer) + ".weight");
                names.add(module.moduleName(layer) + ".bias");
            }
            names.add("encoder.layer." + layer + ".attention.output.LayerNorm.weight");
            names.add("encoder.layer." + layer + ".attention.output.LayerNorm.bias");
            names.add("encoder.layer." + layer + ".output.LayerNorm.weight");
            names.add("encoder.layer." + layer + ".output.LayerNorm.bias");
        }
        return names;
    }

    /** Expected shape of each required tensor. */
    static long[] expectedShape(EncoderConfig c, String name) {
        long h = c.hiddenSize();
        if (name.equals("embeddings.word_embeddings.weight")) return new long[] {c.vocabSize(), h};
        if (name.equals("embeddings.position_embeddings.weight")) return new long[] {c.maxPositions(), h};
        if (name.equals("embeddings.token_type_embeddings.weight")) return new long[] {c.typeVocabSize(), h};
        if (name.endsWith("intermediate.dense.weight")) return new long[] {c.intermediateSize(), h};
        if (name.endsWith("intermediate.dense.bias")) return new long[] {c.intermediateSize()};
        if (name.endsWith(".output.dense.weight") && !name.contains("attention")) return new long[] {h, c.intermediateSize()};
        if (name.endsWith(".weight") && !name.contains("LayerNorm")) return new long[] {h, h};
        return new long[] {h};
    }

    /** Reads the embedded ONNX graph: named initializers as they are, MatMul weights mapped through their node. */
    static Map<String, FloatTensor> fromOnnx(byte[] model, EncoderConfig config) throws IOException {
        OnnxInitializers onnx = OnnxInitializers.read(model);
        Map<String, FloatTensor> byName = new TreeMap<>();
        Map<String, List<String>> matmuls = onnx.consumers("MatMul");
        for (OnnxInitializers.Tensor tensor : onnx.tensors.values()) {
            FloatTensor value = toJava(tensor);
            List<String> consumers = matmuls.get(tensor.name());
            if (consumers != null && consumers.size() == 1) {
                // "/encoder/layer.0/attention/self/query/MatMul" → "encoder.layer.0.attention.self.query.weight"
                String node = consumers.get(0);
                String module = node.substring(1, node.lastIndexOf('/')).replace('/', '.');
                byName.put(module + ".weight", value.transposed());
            } else {
                byName.put(tensor.name(), value);
            }
        }
        return select(byName, config, "ONNX model");
    }

    /** Reads a model.safetensors (f32, f16 or bf16); a {@code bert.} prefix is dropped. */
    static Map<String, FloatTensor> fromSafetensors(Path file, EncoderConfig config) throws IOException {
        List<String> required = required(config);
        Map<String, FloatTensor> byName = new TreeMap<>();
        Safetensors.read(file, name -> required.contains(unprefixed(name)))
                .forEach((name, tensor) -> byName.put(unprefixed(name), tensor));
        return select(byName, config, file.toString());
    }

    private static String unprefixed(String name) {
        return name.startsWith("bert.") ? name.substring(5) : name;
    }

    /** Keeps the required tensors, checking that each is there with its expected shape. */
    private static Map<String, FloatTensor> select(Map<String, FloatTensor> all, EncoderConfig config, String source) {
        Map<String, FloatTensor> selected = new TreeMap<>();
        for (String name : required(config)) {
            FloatTensor tensor = all.get(name);
            if (tensor == null) {
                throw new IllegalArgumentException(source + " has no tensor " + name);
            }
            long[] expected = expectedShape(config, name);
            if (!Arrays.equals(tensor.shape(), expected)) {
                throw new IllegalArgumentException(source + ": " + name + " has shape " + Arrays.toString(tensor.shape())
                        + ", expected " + Arrays.toString(expected));
            }
            selected.put(name, tensor);
        }
        return selected;
    }

    /** sha256 over name, shape and little-endian f32 values of each tensor in name order: same weights, same id, whatever the file format. */
    static String sha256(Map<String, FloatTensor> weights) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, FloatTensor> entry : new TreeMap<>(weights).entrySet()) {
                digest.update(entry.getKey().getBytes(StandardCharsets.UTF_8));
                for (long dim : entry.getValue().shape()) {
                    buffer.putLong(dim);
                }
                float[] data = entry.getValue().data();
                for (float value : data) {
                    if (buffer.remaining() < 4) {
                        digest.update(buffer.flip());
                        buffer.clear();
                    }
                    buffer.putFloat(value);
                }
                digest.update(buffer.flip());
                buffer.clear();
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static FloatTensor toJava(OnnxInitializers.Tensor tensor) {
        FloatBuffer data = tensor.data().duplicate();
        float[] values = new float[data.remaining()];
        data.get(values);
        return new FloatTensor(tensor.shape(), values);
    }

    static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

}
