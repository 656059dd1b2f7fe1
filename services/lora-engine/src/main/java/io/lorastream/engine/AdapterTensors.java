package io.lorastream.engine;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/** PEFT's tensor names in adapter_model.safetensors, for a BERT sequence classifier ({@code bert.} prefix). */
final class AdapterTensors {
    static final String PREFIX = "base_model.model.";
    static final String HEAD_WEIGHT = PREFIX + "classifier.weight";
    static final String HEAD_BIAS = PREFIX + "classifier.bias";

    private AdapterTensors() {}

    static String loraA(Module module, int layer) {
        return PREFIX + "bert." + module.moduleName(layer) + ".lora_A.weight";
    }

    static String loraB(Module module, int layer) {
        return PREFIX + "bert." + module.moduleName(layer) + ".lora_B.weight";
    }

    /** Every tensor an adapter of {@code config} has, with its shape. */
    static Map<String, Shape> expectedShapes(EncoderConfig c, LoraConfig config, int labels) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (Module module : config.targetModules()) {
                long in = module == Module.OUTPUT ? c.intermediateSize() : c.hiddenSize();
                long out = module == Module.INTERMEDIATE ? c.intermediateSize() : c.hiddenSize();
                shapes.put(loraA(module, layer), new Shape(config.r(), in));
                shapes.put(loraB(module, layer), new Shape(out, config.r()));
            }
        }
        shapes.put(HEAD_WEIGHT, new Shape(labels, c.hiddenSize()));
        shapes.put(HEAD_BIAS, new Shape(labels));
        return shapes;
    }
}
