package io.lorastream.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of a BERT-family encoder, as in a Hugging Face {@code config.json}. Validated on creation.
 *
 * @param hiddenDropout     dropout after embeddings and each sub-layer, while training only (BERT's hidden_dropout_prob)
 * @param attentionDropout  dropout on attention probabilities, while training only
 * @param maxSequenceLength tokens per text after truncation ([CLS] and [SEP] included)
 */
public record EncoderConfig(
        String modelId,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int intermediateSize,
        int maxPositions,
        int typeVocabSize,
        double layerNormEps,
        double hiddenDropout,
        double attentionDropout,
        int maxSequenceLength) implements BaseConfig {

    /** sentence-transformers/all-MiniLM-L6-v2, the embedded default (its max_seq_length is 256). */
    public static final EncoderConfig MINILM_L6 =
            new EncoderConfig("sentence-transformers/all-MiniLM-L6-v2", 30522, 384, 6, 12, 1536, 512, 2, 1e-12, 0.1, 0.1, 256);

    public EncoderConfig {
        require(modelId != null && !modelId.isBlank(), "modelId", modelId);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(hiddenSize > 0, "hidden_size", hiddenSize);
        require(numLayers > 0, "num_hidden_layers", numLayers);
        require(numHeads > 0 && hiddenSize % numHeads == 0, "num_attention_heads (must divide hidden_size " + hiddenSize + ")", numHeads);
        require(intermediateSize > 0, "intermediate_size", intermediateSize);
        require(maxPositions > 0, "max_position_embeddings", maxPositions);
        require(typeVocabSize > 0, "type_vocab_size", typeVocabSize);
        require(layerNormEps > 0, "layer_norm_eps", layerNormEps);
        require(hiddenDropout >= 0 && hiddenDropout < 1, "hidden_dropout_prob", hiddenDropout);
        require(attentionDropout >= 0 && attentionDropout < 1, "attention_probs_dropout_prob", attentionDropout);
        require(maxSequenceLength >= 2 && maxSequenceLength <= maxPositions,
                "max sequence length (2.." + maxPositions + ")", maxSequenceLength);
    }

    @Override
    public Family family() {
        return Family.BERT;
    }

    /** The same encoder with another truncation length. */
    @Override
    public EncoderConfig withMaxSequenceLength(int length) {
        return new EncoderConfig(modelId, vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions,
                typeVocabSize, layerNormEps, hiddenDropout, attentionDropout, length);
    }

    public int headSize() {
        return hiddenSize / numHeads;
    }

    /**
     * Embeddings, then per block the six linears (weight and bias) and two LayerNorms; nothing else
     * (pooler, MLM heads) is loaded or hashed.
     */
    @Override
    public Map<String, long[]> weightShapes() {
        long h = hiddenSize;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("embeddings.word_embeddings.weight", new long[] {vocabSize, h});
        shapes.put("embeddings.position_embeddings.weight", new long[] {maxPositions, h});
        shapes.put("embeddings.token_type_embeddings.weight", new long[] {typeVocabSize, h});
        shapes.put("embeddings.LayerNorm.weight", new long[] {h});
        shapes.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int layer = 0; layer < numLayers; layer++) {
            for (Module module : Family.BERT.modules()) {
                long out = module == Module.INTERMEDIATE ? intermediateSize : h;
                long in = module == Module.OUTPUT ? intermediateSize : h;
                String name = Family.BERT.moduleName(module, layer);
                shapes.put(name + ".weight", new long[] {out, in});
                shapes.put(name + ".bias", new long[] {out});
            }
            for (String norm : new String[] {"attention.output.LayerNorm", "output.LayerNorm"}) {
                shapes.put("encoder.layer." + layer + "." + norm + ".weight", new long[] {h});
                shapes.put("encoder.layer." + layer + "." + norm + ".bias", new long[] {h});
            }
        }
        return shapes;
    }

    /** Reads a Hugging Face BERT config.json, naming the key and value it refuses. */
    static EncoderConfig fromHuggingFace(String modelId, JsonNode config, int maxSequenceLength) {
        String act = config.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) {
            throw new IllegalArgumentException("config.json hidden_act=" + act + " is not supported (gelu only)");
        }
        int maxPositions = config.path("max_position_embeddings").asInt(512);
        return new EncoderConfig(modelId,
                config.path("vocab_size").asInt(),
                config.path("hidden_size").asInt(),
                config.path("num_hidden_layers").asInt(),
                config.path("num_attention_heads").asInt(),
                config.path("intermediate_size").asInt(),
                maxPositions,
                config.path("type_vocab_size").asInt(2),
                config.path("layer_norm_eps").asDouble(1e-12),
                config.path("hidden_dropout_prob").asDouble(0.1),
                config.path("attention_probs_dropout_prob").asDouble(0.1),
                Math.min(maxSequenceLength, maxPositions));
    }

    private static void require(boolean ok, String key, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid encoder config: " + key + "=" + value);
        }
    }
}
