package io.lorastream.engine;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PEFT's tensor names in adapter_model.safetensors for a sequence classifier of the base's family:
 * {@code base_model.model.bert.encoder.layer.N.attention.self.query.lora_A.weight} and
 * {@code base_model.model.classifier.weight/bias} for BERT,
 * {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} and {@code base_model.model.score.weight} for Llama.
 */
final class AdapterTensors {
    static final String PREFIX = "base_model.model.";

    private AdapterTensors() {}

    static String loraA(BaseModel base, Module module, int layer) {
        return PREFIX + base.config().family().checkpointPrefix() + base.linearName(layer, module) + ".lora_A.weight";
    }

    static String loraB(BaseModel base, Module module, int layer) {
        return PREFIX + base.config().family().checkpointPrefix() + base.linearName(layer, module) + ".lora_B.weight";
    }

    static String headWeight(BaseModel base) {
        return PREFIX + base.config().family().headModule() + ".weight";
    }

    /** The head's bias, for families whose head has one. */
    static String headBias(BaseModel base) {
        return PREFIX + base.config().family().headModule() + ".bias";
    }

    /** Every tensor an adapter of {@code config} has on {@code base}, with its shape: A (r, in) and B (out, r) from the base linear's (out, in). */
    static Map<String, Shape> expectedShapes(BaseModel base, LoraConfig config, int labels) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (int layer = 0; layer < base.config().numLayers(); layer++) {
            for (Module module : config.targetModules()) {
                Shape weight = base.weight(base.linearName(layer, module) + ".weight").getShape(); // (out, in)
                shapes.put(loraA(base, module, layer), new Shape(config.r(), weight.get(1)));
                shapes.put(loraB(base, module, layer), new Shape(weight.get(0), config.r()));
            }
        }
        shapes.put(headWeight(base), new Shape(labels, base.config().hiddenSize()));
        if (base.config().family().headBias()) {
            shapes.put(headBias(base), new Shape(labels));
        }
        return shapes;
    }
}
