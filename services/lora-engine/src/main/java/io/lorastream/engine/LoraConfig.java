package io.lorastream.engine;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * PEFT's LoraConfig for sequence classification, validated on creation (the error names key and value).
 *
 * @param r              rank of A (r × in) and B (out × r)
 * @param loraAlpha      scaling numerator: scaling = alpha / r, or alpha / √r with rsLoRA
 * @param loraDropout    dropout on the LoRA input path while training
 * @param targetModules  linear layers that get an adapter, in every block
 * @param useRslora      rank-stabilised scaling
 * @param modulesToSave  trained and saved in full beside the LoRA weights: the head ("classifier" here; saved
 *                       under its family's names, {@link Family#modulesToSave()})
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, Set<Module> targetModules,
                         boolean useRslora, List<String> modulesToSave) {

    public static final String CLASSIFIER = "classifier";

    public LoraConfig {
        require(r >= 1 && r <= 1024, "r", r, "an integer in 1..1024");
        require(loraAlpha > 0 && Double.isFinite(loraAlpha), "lora_alpha", loraAlpha, "a positive number");
        require(loraDropout >= 0 && loraDropout < 1, "lora_dropout", loraDropout, "in [0, 1)");
        require(targetModules != null && !targetModules.isEmpty(), "target_modules", targetModules,
                "at least one linear of a block");
        require(modulesToSave != null && modulesToSave.equals(List.of(CLASSIFIER)), "modules_to_save", modulesToSave,
                "[\"classifier\"]: the per-adapter head is always trained and saved");
        targetModules = Collections.unmodifiableSet(EnumSet.copyOf(targetModules));
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** r=8, alpha=16, dropout 0.1 on query and value: the reference settings. */
    public static LoraConfig defaults() {
        return new LoraConfig(8, 16, 0.1, EnumSet.of(Module.QUERY, Module.VALUE), false, List.of(CLASSIFIER));
    }

    /**
     * Parses PEFT-style names for a model of {@code family} with {@code layers} blocks: "query,value", "output.dense",
     * "q_proj,v_proj", "all-linear".
     */
    public static Set<Module> parseTargets(Family family, String targets, int layers) {
        Set<Module> modules = EnumSet.noneOf(Module.class);
        for (String target : targets.split(",")) {
            if (target.isBlank()) {
                continue;
            }
            Set<Module> matched = family.matching(target, layers);
            if (matched.isEmpty()) {
                throw new IllegalArgumentException("invalid LoRA config: target_modules=" + target.trim()
                        + " matches no linear layer of a " + family + " block (one of " + family.describe() + ")");
            }
            modules.addAll(matched);
        }
        return modules;
    }

    /** The factor of B·A, set once: alpha / r, or alpha / √r with rsLoRA. */
    public double scaling() {
        return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
    }

    public LoraConfig withTargets(Set<Module> targets) {
        return new LoraConfig(r, loraAlpha, loraDropout, targets, useRslora, modulesToSave);
    }

    private static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("invalid LoRA config: " + key + "=" + value + " (expected " + expected + ")");
        }
    }
}
