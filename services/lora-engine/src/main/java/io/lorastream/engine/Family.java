package io.lorastream.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A family of base models that share one forward pass and one naming of their weights: where each
 * {@link Module} of a block lives, the prefix a Hugging Face checkpoint and PEFT put before the base's own
 * names, and the sequence-classification heads an adapter may carry ({@link Head}): the family's Hugging Face head first,
 * then, for encoders, a classifier over the mean of real tokens.
 */
public enum Family {
    /**
     * BERT encoders (model_type bert): post-LN blocks under {@code encoder.layer.N}. Two heads: BERT's own, the pooler
     * (dense → tanh on [CLS], initialised from the base's) then the classifier, as BertForSequenceClassification; or the
     * classifier over the mean of real tokens, as sentence-transformers bases were trained to be read.
     */
    BERT("bert.", "encoder.layer.", List.of(
            new Head("pooler", Pooling.FIRST, List.of(new HeadLayer("bert.pooler.dense", true, Activation.TANH, false),
                    new HeadLayer("classifier", true, Activation.NONE, true)), List.of("pooler", "classifier")),
            BertNames.MEAN_HEAD), BertNames.BLOCK_NORMS, BertNames.PATHS),
    /**
     * RoBERTa and XLM-R encoders (model_type roberta, xlm-roberta): BERT's blocks, positions counted from
     * pad_token_id + 1, one token type; the head is {@code RobertaClassificationHead} (dense → tanh → out_proj) on the first token.
     */
    ROBERTA("roberta.", "encoder.layer.", List.of(new Head("classification-head", Pooling.FIRST, List.of(
            new HeadLayer("classifier.dense", true, Activation.TANH, true),
            new HeadLayer("classifier.out_proj", true, Activation.NONE, true)),
            List.of("classifier")), BertNames.MEAN_HEAD), BertNames.BLOCK_NORMS, BertNames.PATHS),
    /**
     * DistilBERT (model_type distilbert): BERT-like post-LN blocks under {@code transformer.layer.N}, no token types; the head
     * is pre_classifier → ReLU → classifier on the first token, both saved (PEFT's default saves only the classifier).
     */
    DISTILBERT("distilbert.", "transformer.layer.", List.of(new Head("pre-classifier", Pooling.FIRST, List.of(
            new HeadLayer("pre_classifier", true, Activation.RELU, false),
            new HeadLayer("classifier", true, Activation.NONE, true)),
            List.of("pre_classifier", "classifier")), BertNames.MEAN_HEAD),
            List.of("sa_layer_norm", "output_layer_norm"), paths(
            Module.QUERY, "attention.q_lin", Module.KEY, "attention.k_lin", Module.VALUE, "attention.v_lin",
            Module.ATTENTION_OUTPUT, "attention.out_lin", Module.INTERMEDIATE, "ffn.lin1", Module.OUTPUT, "ffn.lin2")),
    /**
     * Llama-style decoders (model_type llama, qwen2, mistral): pre-RMSNorm blocks under {@code layers.N},
     * a {@code score} head without bias on the last real token, as {@code LlamaForSequenceClassification}.
     */
    LLAMA("model.", "layers.", List.of(new Head("score", Pooling.LAST, List.of(new HeadLayer("score", false, Activation.NONE, false)),
            List.of("score"))), List.of(), paths(
            Module.QUERY, "self_attn.q_proj", Module.KEY, "self_attn.k_proj", Module.VALUE, "self_attn.v_proj",
            Module.ATTENTION_OUTPUT, "self_attn.o_proj", Module.GATE, "mlp.gate_proj", Module.UP, "mlp.up_proj",
            Module.DOWN, "mlp.down_proj"));

    /** What follows a head layer. */
    public enum Activation { NONE, TANH, RELU }

    /**
     * One layer of a sequence-classification head, x·Wᵀ (+ b) then its activation, saved as {@code module.weight}
     * (and {@code .bias}); every layer but the last keeps the hidden size, the last maps to the labels. A module under
     * the family's checkpoint prefix ({@code bert.pooler.dense}) is part of the pretrained base in Hugging Face's class:
     * a new head starts from the base's weights where the base has them. {@code dropoutBefore}: while training, its input
     * goes through dropout at the base's {@link BaseConfig#classifierDropout()} first, where transformers' head has one.
     */
    public record HeadLayer(String module, boolean bias, Activation activation, boolean dropoutBefore) {}

    /**
     * A sequence-classification head an adapter carries: its name (recorded with the adapter, chosen per adapter), how it
     * pools, its layers, and what PEFT must save in full for it ({@code modules_to_save}).
     */
    public record Head(String name, Pooling pooling, List<HeadLayer> layers, List<String> modulesToSave) {
        public Head {
            layers = List.copyOf(layers);
            modulesToSave = List.copyOf(modulesToSave);
        }
    }

    /** BERT's and RoBERTa's names, shared; and the encoders' other head, the classifier over the mean of real tokens. */
    private static final class BertNames {
        static final Head MEAN_HEAD = new Head("mean", Pooling.MEAN, List.of(new HeadLayer("classifier", true, Activation.NONE, true)),
                List.of("classifier"));
        static final List<String> BLOCK_NORMS = List.of("attention.output.LayerNorm", "output.LayerNorm");
        static final Map<Module, String> PATHS = paths(
                Module.QUERY, "attention.self.query", Module.KEY, "attention.self.key", Module.VALUE, "attention.self.value",
                Module.ATTENTION_OUTPUT, "attention.output.dense", Module.INTERMEDIATE, "intermediate.dense",
                Module.OUTPUT, "output.dense");
    }

    private final String checkpointPrefix;
    private final String blockPrefix;
    private final List<Head> heads;
    private final List<String> blockNorms;
    private final Map<Module, String> paths;

    Family(String checkpointPrefix, String blockPrefix, List<Head> heads, List<String> blockNorms, Map<Module, String> paths) {
        this.checkpointPrefix = checkpointPrefix;
        this.blockPrefix = blockPrefix;
        this.heads = heads;
        this.blockNorms = blockNorms;
        this.paths = paths;
    }

    /** The heads an adapter of this family may have; the first is the family's {@code …ForSequenceClassification} head. */
    public List<Head> heads() {
        return heads;
    }

    /** The Hugging Face head: an adapter with it loads into {@code AutoModelForSequenceClassification} + PEFT as it is. */
    public Head huggingFaceHead() {
        return heads.get(0);
    }

    /** The head called {@code name}; an unknown name is refused with the family's names. */
    public Head head(String name) {
        return heads.stream().filter(h -> h.name().equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "head " + name + " is not one of a " + this + " base's heads " + heads.stream().map(Head::name).toList()));
    }

    /** An encoder block's two LayerNorms (after attention, after the feed-forward), inside {@code blockPrefix + N}. */
    List<String> blockNorms() {
        return blockNorms;
    }

    /** Where block {@code layer} lives: {@code encoder.layer.3.}, {@code layers.3.}. */
    String blockPrefix(int layer) {
        return blockPrefix + layer + ".";
    }

    /** What a {@code …ForSequenceClassification} checkpoint (and PEFT after {@code base_model.model.}) puts before the base's names. */
    public String checkpointPrefix() {
        return checkpointPrefix;
    }

    /** The linear layers of one block. */
    public Set<Module> modules() {
        return Collections.unmodifiableSet(EnumSet.copyOf(paths.keySet()));
    }

    /** Module name inside the base, as PEFT matches it: {@code encoder.layer.3.attention.self.query}, {@code layers.3.self_attn.q_proj}. */
    public String moduleName(Module module, int layer) {
        String path = paths.get(module);
        if (path == null) {
            throw new IllegalArgumentException(name() + " blocks have no " + module + " (they have " + modules() + ")");
        }
        return blockPrefix + layer + "." + path;
    }

    /**
     * PEFT's matching rule: a target matches a module whose name equals it or ends with "." + target, so
     * BERT's "output.dense" selects both the attention output and the block output. "all-linear" selects
     * every linear of every block: what PEFT resolves it to on the family's sequence classifier when the head is saved in
     * full, as our adapters save it (checked against PEFT in TransformersReferenceTest).
     */
    public Set<Module> matching(String target, int layers) {
        String t = target.trim();
        if (t.equalsIgnoreCase("all-linear")) {
            return modules();
        }
        Set<Module> matched = EnumSet.noneOf(Module.class);
        for (Module module : paths.keySet()) {
            for (int layer = 0; layer < layers; layer++) {
                String name = moduleName(module, layer);
                if (name.equals(t) || name.endsWith("." + t)) {
                    matched.add(module);
                }
            }
        }
        return matched;
    }

    /** target_modules as PEFT reads them back to exactly {@code modules}. */
    List<String> peftTargetModules(Set<Module> modules, int layers) {
        List<String> names = new ArrayList<>();
        for (Module module : modules) {
            String path = paths.get(module);
            if (this == BERT && module == Module.ATTENTION_OUTPUT) {
                if (!modules.contains(Module.OUTPUT)) {
                    names.add(path);
                }
            } else if (this == BERT && module == Module.OUTPUT) {
                if (modules.contains(Module.ATTENTION_OUTPUT)) {
                    names.add(path); // "output.dense" matches both, as PEFT does
                } else {
                    for (int layer = 0; layer < layers; layer++) {
                        names.add(moduleName(module, layer)); // only the block output
                    }
                }
            } else {
                names.add(shortName(path));
            }
        }
        return names;
    }

    /** A path's last part where no other module of the block ends the same way ("query", "q_proj"), else the whole path. */
    private String shortName(String path) {
        String last = path.substring(path.lastIndexOf('.') + 1);
        long sameEnding = paths.values().stream().filter(p -> p.endsWith("." + last) || p.equals(last)).count();
        return sameEnding == 1 ? last : path;
    }

    /** The names a user may give as target modules. */
    String describe() {
        List<String> names = new ArrayList<>();
        paths.values().forEach(path -> names.add(shortName(path)));
        names.add("all-linear");
        return names.toString();
    }

    static Map<Module, String> paths(Object... moduleThenPath) {
        Map<Module, String> paths = new EnumMap<>(Module.class);
        for (int i = 0; i < moduleThenPath.length; i += 2) {
            paths.put((Module) moduleThenPath[i], (String) moduleThenPath[i + 1]);
        }
        return Collections.unmodifiableMap(paths);
    }
}
