package io.lorastream.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The weights a base's forward pass needs ({@link BaseConfig#weightShapes()}) and the head initializers it has
 * ({@link BaseConfig#headInitializerShapes()}), by Hugging Face name without
 * the checkpoint prefix ({@code encoder.layer.0.attention.self.query.weight}, {@code layers.0.self_attn.q_proj.weight}),
 * in PyTorch layout ([out, in] for linears). Two sources: an ONNX export (the embedded MiniLM) and safetensors
 * (f32, f16, bf16), in one file or sharded with an index.
 */
final class BaseWeights {
    /** A sharded checkpoint's index: {"weight_map": {tensor name: file name}}. */
    static final String INDEX = "model.safetensors.index.json";
    static final String SINGLE = "model.safetensors";

    private BaseWeights() {}

    /** Reads the embedded ONNX graph: named initializers as they are, MatMul weights mapped through their node. */
    static SortedMap<String, FloatTensor> fromOnnx(byte[] model, BaseConfig config) throws IOException {
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

    /**
     * Reads a model directory's weights: {@code model.safetensors}, or the shards {@code model.safetensors.index.json}
     * lists. Each is f32, f16 or bf16; the family's checkpoint prefix ({@code bert.}, {@code model.}) is dropped and
     * only the tensors the forward pass reads are kept (no LM head, no checkpoint classifier).
     */
    static SortedMap<String, Safetensors.Entry> fromDirectory(Path dir, BaseConfig config) throws IOException {
        Map<String, long[]> required = new java.util.HashMap<>(config.weightShapes());
        required.putAll(config.headInitializerShapes());
        String prefix = config.family().checkpointPrefix();
        java.util.function.Function<String, String> unprefixed = name -> name.startsWith(prefix) ? name.substring(prefix.length()) : name;
        Path single = dir.resolve(SINGLE);
        List<Path> files = Files.isRegularFile(single) ? List.of(single) : shards(dir, name -> required.containsKey(unprefixed.apply(name)));
        Map<String, Safetensors.Entry> byName = new TreeMap<>();
        for (Path file : files) {
            Safetensors.index(file, name -> required.containsKey(unprefixed.apply(name)))
                    .forEach((name, tensor) -> byName.put(unprefixed.apply(name), tensor));
        }
        return select(byName, config, files.size() == 1 ? files.get(0).toString() : dir + " (" + INDEX + ")");
    }

    /** The shard files {@code model.safetensors.index.json} names for the tensors {@code wanted} accepts; each must be a file of {@code dir}. */
    private static List<Path> shards(Path dir, java.util.function.Predicate<String> wanted) throws IOException {
        Path index = dir.resolve(INDEX);
        JsonNode weightMap = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        if (!weightMap.isObject()) {
            throw new IllegalArgumentException(index + " has no weight_map object");
        }
        Set<String> shards = new TreeSet<>();
        weightMap.fields().forEachRemaining(entry -> {
            if (wanted.test(entry.getKey())) {
                shards.add(entry.getValue().asText());
            }
        });
        List<Path> files = new java.util.ArrayList<>();
        for (String shard : shards) {
            Path file = dir.resolve(shard).normalize();
            if (!file.getParent().equals(dir.normalize()) || !Files.isRegularFile(file)) {
                throw new IllegalArgumentException(index + " names shard " + shard + ", which is not a file of " + dir);
            }
            files.add(file);
        }
        return files;
    }

    /**
     * Keeps the required tensors ({@link BaseConfig#weightShapes()}), checking that each is there with its expected shape,
     * and the head initializers the source has ({@link BaseConfig#headInitializerShapes()}), checked the same way.
     */
    private static <T extends WeightSource> SortedMap<String, T> select(Map<String, T> all, BaseConfig config, String source) {
        SortedMap<String, T> selected = new TreeMap<>();
        Map<String, long[]> shapes = new TreeMap<>(config.weightShapes());
        config.headInitializerShapes().forEach((name, shape) -> {
            if (all.containsKey(name)) {
                shapes.put(name, shape);
            }
        });
        for (Map.Entry<String, long[]> required : shapes.entrySet()) {
            String name = required.getKey();
            T tensor = all.get(name);
            if (tensor == null) {
                throw new IllegalArgumentException(source + " has no tensor " + name);
            }
            if (!Arrays.equals(tensor.shape(), required.getValue())) {
                throw new IllegalArgumentException(source + ": " + name + " has shape " + Arrays.toString(tensor.shape())
                        + ", expected " + Arrays.toString(required.getValue()));
            }
            selected.put(name, tensor);
        }
        return selected;
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
