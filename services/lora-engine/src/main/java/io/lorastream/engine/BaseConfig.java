package io.lorastream.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/** The shape of a frozen base, read from its Hugging Face {@code config.json}; one record per {@link Family}. */
public sealed interface BaseConfig permits EncoderConfig, DecoderConfig {

    String modelId();

    Family family();

    int hiddenSize();

    int numLayers();

    /** Tokens per text after truncation, special tokens included. */
    int maxSequenceLength();

    BaseConfig withMaxSequenceLength(int length);

    /** Every tensor the forward pass reads, by its name without the checkpoint prefix, with its shape: what is loaded and hashed. */
    Map<String, long[]> weightShapes();

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
