package io.lorastream.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One tenant's adapter: LoRA weights on the targeted linear layers of every block, and its own
 * classification head with its own label set, one of its family's {@link Family.Head heads} — BERT's pooler → classifier
 * on [CLS] or its classifier over the mean, RoBERTa's dense → tanh → out_proj and DistilBERT's pre_classifier → ReLU →
 * classifier over the first token, the decoders' score, without bias, over the last real token. Bound to one base
 * (id + sha256); the base itself is never changed except while {@link #merge() merged}.
 */
public final class Adapter implements AutoCloseable {
    private final BaseModel base;
    private final LoraConfig config;
    private final Family.Head head;
    private final List<String> labels;
    private final NDManager manager;
    private final List<Map<Module, LoraLinear>> layers; // per block: module → LoRA
    private final List<NDArray> headWeights; // per head layer: (H, H), …, (L, H)
    private final List<NDArray> headBiases;  // per head layer: (H), …, (L); zeros, never trained or saved, where the layer has no bias

    private Adapter(BaseModel base, LoraConfig config, Family.Head head, List<String> labels, NDManager manager,
                    List<Map<Module, LoraLinear>> layers, List<NDArray> headWeights, List<NDArray> headBiases) {
        this.base = base;
        this.config = config;
        this.head = head;
        this.labels = List.copyOf(labels);
        this.manager = manager;
        this.layers = layers;
        this.headWeights = List.copyOf(headWeights);
        this.headBiases = List.copyOf(headBiases);
    }

    /** A fresh adapter with the base's default head ({@link BaseModel#defaultHead()}). */
    public static Adapter create(BaseModel base, LoraConfig config, List<String> labels, long seed) {
        return create(base, config, base.defaultHead(), labels, seed);
    }

    /**
     * A fresh adapter: A kaiming-uniform (as PEFT), B zero; each head layer N(0, 0.02) with zero bias (as transformers),
     * but a layer of the pretrained base (BERT's pooler) starts as the base's where the base has it; seeded.
     */
    public static Adapter create(BaseModel base, LoraConfig config, Family.Head head, List<String> labels, long seed) {
        validateLabels(labels);
        validateTargets(base, config);
        validateHead(base, head);
        Random random = new Random(seed);
        BaseConfig c = base.config();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (Module module : config.targetModules()) {
                long[] w = base.weight(base.linearName(layer, module) + ".weight").getShape().getShape();
                int out = (int) w[0];
                int in = (int) w[1];
                // kaiming_uniform_(a=√5) as PEFT does: bound = √(6 / ((1 + a²)·fan_in)) = 1/√fan_in
                double bound = 1.0 / Math.sqrt(in);
                float[] a = new float[config.r() * in];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
                values.put(AdapterTensors.loraA(base, module, layer), a);
                values.put(AdapterTensors.loraB(base, module, layer), new float[out * config.r()]);
            }
        }
        List<Family.HeadLayer> layers = head.layers();
        String prefix = c.family().checkpointPrefix();
        for (int layer = 0; layer < layers.size(); layer++) {
            Family.HeadLayer headLayer = layers.get(layer);
            int out = layer == layers.size() - 1 ? labels.size() : c.hiddenSize();
            float[] weight = new float[out * c.hiddenSize()];
            for (int i = 0; i < weight.length; i++) {
                weight[i] = (float) (random.nextGaussian() * 0.02);
            }
            float[] bias = new float[out];
            String inBase = headLayer.module().startsWith(prefix) ? headLayer.module().substring(prefix.length()) : null;
            NDArray baseWeight = inBase == null ? null : base.headInitializer(inBase + ".weight");
            if (baseWeight != null) {
                weight = baseWeight.toFloatArray();
                NDArray baseBias = base.headInitializer(inBase + ".bias");
                bias = baseBias != null ? baseBias.toFloatArray() : bias;
            }
            values.put(AdapterTensors.headWeight(headLayer), weight);
            if (headLayer.bias()) {
                values.put(AdapterTensors.headBias(headLayer), bias);
            }
        }
        return fromValues(base, config, head, labels, values);
    }

    /** Builds an adapter from named tensor values, checking every name and size: all or nothing. */
    static Adapter fromValues(BaseModel base, LoraConfig config, Family.Head head, List<String> labels, Map<String, float[]> values) {
        validateLabels(labels);
        validateTargets(base, config);
        validateHead(base, head);
        BaseConfig c = base.config();
        Map<String, Shape> expected = AdapterTensors.expectedShapes(base, config, head, labels.size());
        for (Map.Entry<String, Shape> entry : expected.entrySet()) {
            float[] data = values.get(entry.getKey());
            if (data == null) {
                throw new IllegalArgumentException("adapter tensor " + entry.getKey() + " is missing");
            }
            if (data.length != entry.getValue().size()) {
                throw new IllegalArgumentException("adapter tensor " + entry.getKey() + " has " + data.length
                        + " values, expected shape " + entry.getValue());
            }
        }
        for (String name : values.keySet()) {
            if (!expected.containsKey(name)) {
                throw new IllegalArgumentException("adapter tensor " + name + " does not belong to this config");
            }
        }
        NDManager manager = base.newScope();
        try {
            List<Map<Module, LoraLinear>> layers = new ArrayList<>();
            for (int layer = 0; layer < c.numLayers(); layer++) {
                Map<Module, LoraLinear> modules = new EnumMap<>(Module.class);
                for (Module module : config.targetModules()) {
                    String aName = AdapterTensors.loraA(base, module, layer);
                    String bName = AdapterTensors.loraB(base, module, layer);
                    NDArray a = manager.create(values.get(aName), expected.get(aName));
                    NDArray b = manager.create(values.get(bName), expected.get(bName));
                    String linear = base.linearName(layer, module);
                    modules.put(module, new LoraLinear(base.weight(linear + ".weight"), base.optionalWeight(linear + ".bias"),
                            a, b, config.scaling(), config.loraDropout()));
                }
                layers.add(modules);
            }
            List<NDArray> headWeights = new ArrayList<>();
            List<NDArray> headBiases = new ArrayList<>();
            for (Family.HeadLayer layer : head.layers()) {
                String weight = AdapterTensors.headWeight(layer);
                headWeights.add(manager.create(values.get(weight), expected.get(weight)));
                String bias = AdapterTensors.headBias(layer);
                headBiases.add(layer.bias() ? manager.create(values.get(bias), expected.get(bias))
                        : manager.zeros(new Shape(expected.get(weight).get(0))));
            }
            return new Adapter(base, config, head, labels, manager, layers, headWeights, headBiases);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static void validateLabels(List<String> labels) {
        if (labels == null || labels.size() < 2) {
            throw new IllegalArgumentException("an adapter needs at least 2 labels, got " + labels);
        }
        if (labels.stream().distinct().count() != labels.size()) {
            throw new IllegalArgumentException("labels must be distinct, got " + labels);
        }
    }

    private static void validateTargets(BaseModel base, LoraConfig config) {
        Family family = base.config().family();
        if (!family.modules().containsAll(config.targetModules())) {
            throw new IllegalArgumentException("invalid LoRA config: target_modules=" + config.targetModules() + " for a "
                    + family + " base, whose blocks have " + family.modules());
        }
    }

    private static void validateHead(BaseModel base, Family.Head head) {
        Family family = base.config().family();
        if (!family.heads().contains(head)) {
            throw new IllegalArgumentException("head " + head.name() + " is not one of a " + family + " base's heads "
                    + family.heads().stream().map(Family.Head::name).toList());
        }
    }

    /** The base plus this adapter's deltas, for one forward. */
    public Projections projections(Backbone encoder, DropoutMasks dropout) {
        return (layer, module, x) -> {
            LoraLinear lora = layers.get(layer).get(module);
            return lora != null ? lora.forward(x, dropout) : encoder.linear(x, layer, module);
        };
    }

    /** Class scores, (B, L): the base with this adapter, pooled as its head pools, its head. */
    public NDArray logits(NDManager scope, Backbone encoder, TokenBatch batch, DropoutMasks dropout) {
        NDArray pooled = encoder.pooled(scope, batch, projections(encoder, dropout), dropout, head.pooling()); // (B, H)
        return classify(pooled, dropout);                                                                     // (B, L)
    }

    /** Class scores from pooled outputs: (B, H) → … → (B, L), through the head's layers (and their dropout while training). */
    NDArray classify(NDArray pooled, DropoutMasks dropout) {
        List<Family.HeadLayer> layers = head.layers();
        NDArray x = pooled;
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).dropoutBefore()) {
                x = dropout.apply(x, base.config().classifierDropout());
            }
            x = activate(Linear.linear(x, headWeights.get(i), headBiases.get(i)).singletonOrThrow(), layers.get(i).activation());
        }
        return x;
    }

    static NDArray activate(NDArray x, Family.Activation activation) {
        return switch (activation) {
            case NONE -> x;
            case TANH -> x.tanh();
            case RELU -> ai.djl.nn.Activation.relu(x);
        };
    }

    /** The LoRA of one linear; null where this adapter does not target it. */
    LoraLinear lora(int layer, Module module) {
        return layers.get(layer).get(module);
    }

    /** Per head layer, (out, H). */
    List<NDArray> headWeights() {
        return headWeights;
    }

    /** Per head layer, (out); zeros where the layer has no bias. */
    List<NDArray> headBiases() {
        return headBiases;
    }

    /** Folds every ΔW into the base weights: forwards then cost what the base costs. */
    public void merge() {
        layers.forEach(modules -> modules.values().forEach(LoraLinear::merge));
    }

    /** Restores the base weights exactly. */
    public void unmerge() {
        layers.forEach(modules -> modules.values().forEach(LoraLinear::unmerge));
    }

    public boolean isMerged() {
        return layers.stream().flatMap(m -> m.values().stream()).anyMatch(LoraLinear::isMerged);
    }

    /**
     * Every trained tensor by its PEFT name: LoRA A and B of each targeted layer, then the head. The adapter's own arrays,
     * not copies: read them, do not close them.
     */
    public Map<String, NDArray> tensors() {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (int layer = 0; layer < layers.size(); layer++) {
            for (Map.Entry<Module, LoraLinear> entry : layers.get(layer).entrySet()) {
                tensors.put(AdapterTensors.loraA(base, entry.getKey(), layer), entry.getValue().a());
                tensors.put(AdapterTensors.loraB(base, entry.getKey(), layer), entry.getValue().b());
            }
        }
        tensors.putAll(headTensors());
        return tensors;
    }

    /** The head's trained tensors by PEFT name: its weight, and its bias where the family's head has one. */
    Map<String, NDArray> headTensors() {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        List<Family.HeadLayer> layers = head.layers();
        for (int i = 0; i < layers.size(); i++) {
            tensors.put(AdapterTensors.headWeight(layers.get(i)), headWeights.get(i));
            if (layers.get(i).bias()) {
                tensors.put(AdapterTensors.headBias(layers.get(i)), headBiases.get(i));
            }
        }
        return tensors;
    }

    public long trainableParameterCount() {
        return tensors().values().stream().mapToLong(t -> t.getShape().size()).sum();
    }

    /** As PEFT's print_trainable_parameters() prints it; "all" is the base plus this adapter. */
    public String trainableParametersLine() {
        long trainable = trainableParameterCount();
        long all = base.parameterCount() + trainable;
        return String.format(java.util.Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f",
                trainable, all, 100.0 * trainable / all);
    }

    public BaseModel base() {
        return base;
    }

    public LoraConfig config() {
        return config;
    }

    /** Which of its family's heads this adapter has: how it pools and what it saves. */
    public Family.Head head() {
        return head;
    }

    public List<String> labels() {
        return labels;
    }

    @Override
    public void close() {
        unmerge();
        manager.close();
    }
}
