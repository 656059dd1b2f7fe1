package io.lorastream.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** The shape of a frozen base, read from its Hugging Face {@code config.json}; one record per {@link Family}. */
public sealed interface BaseConfig permits EncoderConfig, DecoderConfig {

    String modelId();

    Family family();

    int hiddenSize();

    int numLayers();

    /** Dropout on a head layer's input while training ({@link Family.HeadLayer#dropoutBefore()}); 0 where the family's head has none. */
    double classifierDropout();

    /** Tokens per text after truncation, special tokens included. */
    int maxSequenceLength();

    BaseConfig withMaxSequenceLength(int length);

    /** Every tensor the forward pass reads, by its name without the checkpoint prefix, with its shape: what is loaded and hashed. */
    Map<String, long[]> weightShapes();

    /**
     * Weights a new head starts from where the base has them ({@link Family.HeadLayer}): BERT's {@code pooler.dense}. They
     * are not part of the base's identity (not hashed): an adapter trains and saves its own copy.
     */
    default Map<String, long[]> headInitializerShapes() {
        Map<String, long[]> shapes = new java.util.TreeMap<>();
        String prefix = family().checkpointPrefix();
        for (Family.Head head : family().heads()) {
            List<Family.HeadLayer> layers = head.layers();
            for (int i = 0; i < layers.size() - 1; i++) { // hidden-size layers only: the last one's size is the adapter's labels
                Family.HeadLayer layer = layers.get(i);
                if (layer.module().startsWith(prefix)) {
                    String name = layer.module().substring(prefix.length());
                    shapes.put(name + ".weight", new long[] {hiddenSize(), hiddenSize()});
                    if (layer.bias()) {
                        shapes.put(name + ".bias", new long[] {hiddenSize()});
                    }
                }
            }
        }
        return shapes;
    }

    /** The config of a Hugging Face model directory, by its {@code model_type}; anything else is refused by name. */
    static BaseConfig fromHuggingFace(String modelId, JsonNode config, int maxSequenceLength) {
        String type = config.path("model_type").asText("bert");
        return switch (type) {
            case "bert", "roberta", "xlm-roberta", "distilbert" -> EncoderConfig.fromHuggingFace(modelId, config, maxSequenceLength);
            case "llama", "qwen2", "mistral" -> DecoderConfig.fromHuggingFace(modelId, config, maxSequenceLength);
            default -> throw new IllegalArgumentException("config.json model_type=" + type
                    + " is not supported (bert, roberta, xlm-roberta, distilbert, llama, qwen2, mistral)");
        };
    }
}
