package io.lorastream.engine;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's tensor names in adapter_model.safetensors for a sequence classifier of the base's family:
 * {@code base_model.model.bert.encoder.layer.N.attention.self.query.lora_A.weight} and
 * {@code base_model.model.classifier.weight/bias} for BERT,
 * {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} and {@code base_model.model.score.weight} for Llama;
 * then the layers of the adapter's head ({@link Family.Head}): {@code base_model.model.bert.pooler.dense.weight}, ….
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

    static String headWeight(Family.HeadLayer layer) {
        return PREFIX + layer.module() + ".weight";
    }

    static String headBias(Family.HeadLayer layer) {
        return PREFIX + layer.module() + ".bias";
    }

    /** Every tensor an adapter of {@code config} and {@code head} has on {@code base}, with its shape: A (r, in) and B (out, r) from the base linear's (out, in). */
    static Map<String, Shape> expectedShapes(BaseModel base, LoraConfig config, Family.Head head, int labels) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (int layer = 0; layer < base.config().numLayers(); layer++) {
            for (Module module : config.targetModules()) {
                Shape weight = base.weight(base.linearName(layer, module) + ".weight").getShape(); // (out, in)
                shapes.put(loraA(base, module, layer), new Shape(config.r(), weight.get(1)));
                shapes.put(loraB(base, module, layer), new Shape(weight.get(0), config.r()));
            }
        }
        List<Family.HeadLayer> layers = head.layers();
        long hidden = base.config().hiddenSize();
        for (int i = 0; i < layers.size(); i++) {
            long out = i == layers.size() - 1 ? labels : hidden;
            shapes.put(headWeight(layers.get(i)), new Shape(out, hidden));
            if (layers.get(i).bias()) {
                shapes.put(headBias(layers.get(i)), new Shape(out));
            }
        }
        return shapes;
    }
}
