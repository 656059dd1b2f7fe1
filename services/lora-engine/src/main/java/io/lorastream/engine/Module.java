package io.lorastream.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The linear layers of one encoder block, named as PEFT's {@code target_modules} name them. */
public enum Module {
    QUERY("attention.self.query"),
    KEY("attention.self.key"),
    VALUE("attention.self.value"),
    ATTENTION_OUTPUT("attention.output.dense"),
    INTERMEDIATE("intermediate.dense"),
    OUTPUT("output.dense");

    private final String path;

    Module(String path) {
        this.path = path;
    }

    /** Path inside a block, e.g. {@code attention.self.query}. */
    public String path() {
        return path;
    }

    /** Hugging Face / PEFT module name inside a BertModel, e.g. {@code encoder.layer.3.attention.self.query}. */
    public String moduleName(int layer) {
        return "encoder.layer." + layer + "." + path;
    }

    /**
     * PEFT's matching rule: a target matches a module whose name equals it or ends with "." + target,
     * so "output.dense" selects both the attention output and the block output, "dense" every dense.
     * "all-linear" selects all six. A module is selected when the target matches it in any layer.
     */
    public static Set<Module> matching(String target, int layers) {
        String t = target.trim();
        if (t.equalsIgnoreCase("all-linear")) {
            return EnumSet.allOf(Module.class);
        }
        Set<Module> matched = EnumSet.noneOf(Module.class);
        for (Module module : values()) {
            for (int layer = 0; layer < layers; layer++) {
                String name = module.moduleName(layer);
                if (name.equals(t) || name.endsWith("." + t)) {
                    matched.add(module);
                }
            }
        }
        return matched;
    }

    /** target_modules as PEFT reads them back to exactly {@code modules}. */
    static List<String> peftTargetModules(Set<Module> modules, int layers) {
        List<String> names = new ArrayList<>();
        for (Module module : modules) {
            switch (module) {
                case QUERY -> names.add("query");
                case KEY -> names.add("key");
                case VALUE -> names.add("value");
                case ATTENTION_OUTPUT -> {
                    if (!modules.contains(OUTPUT)) {
                        names.add("attention.output.dense");
                    }
                }
                case INTERMEDIATE -> names.add("intermediate.dense");
                case OUTPUT -> {
                    if (modules.contains(ATTENTION_OUTPUT)) {
                        names.add("output.dense"); // matches both, as PEFT does
                    } else {
                        for (int layer = 0; layer < layers; layer++) {
                            names.add(OUTPUT.moduleName(layer)); // only the block output
                        }
                    }
                }
            }
        }
        return names;
    }

    static String describe() {
        return Arrays.toString(new String[] {"query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense", "all-linear"});
    }
}
