package io.lorastream.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of a BERT-family encoder (BERT, RoBERTa, DistilBERT), as in a Hugging Face {@code config.json}. Validated on
 * creation; the error names the key and the value.
 *
 * @param family            BERT, ROBERTA or DISTILBERT: their weights' names and heads
 * @param typeVocabSize     token types (2 in BERT, 1 in RoBERTa); 0: the model has no token-type embeddings (DistilBERT)
 * @param positionOffset    the first real token's position (RoBERTa: pad_token_id + 1; else 0)
 * @param hiddenDropout     dropout after embeddings and each sub-layer, while training only (BERT's hidden_dropout_prob)
 * @param attentionDropout  dropout on attention probabilities, while training only
 * @param classifierDropout dropout in the head, while training only (classifier_dropout, else hidden_dropout_prob;
 *                          DistilBERT's seq_classif_dropout)
 * @param maxSequenceLength tokens per text after truncation ([CLS] and [SEP] included)
 */
public record EncoderConfig(
        String modelId,
        Family family,
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
        double classifierDropout,
        int positionOffset,
        int maxSequenceLength) implements BaseConfig {

    /** sentence-transformers/all-MiniLM-L6-v2, the embedded default (its max_seq_length is 256). */
    public static final EncoderConfig MINILM_L6 =
            new EncoderConfig("sentence-transformers/all-MiniLM-L6-v2", Family.BERT, 30522, 384, 6, 12, 1536, 512, 2, 1e-12, 0.1, 0.1, 0.1, 0, 256);

    public EncoderConfig {
        require(modelId != null && !modelId.isBlank(), "modelId", modelId);
        require(family == Family.BERT || family == Family.ROBERTA || family == Family.DISTILBERT, "family", family);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(hiddenSize > 0, "hidden_size", hiddenSize);
        require(numLayers > 0, "num_hidden_layers", numLayers);
        require(numHeads > 0 && hiddenSize % numHeads == 0, "num_attention_heads (must divide hidden_size " + hiddenSize + ")", numHeads);
        require(intermediateSize > 0, "intermediate_size", intermediateSize);
        require(maxPositions > 0, "max_position_embeddings", maxPositions);
        require(typeVocabSize >= 0, "type_vocab_size", typeVocabSize);
        require(positionOffset >= 0 && positionOffset < maxPositions, "position offset (pad_token_id + 1)", positionOffset);
        require(layerNormEps > 0, "layer_norm_eps", layerNormEps);
        require(hiddenDropout >= 0 && hiddenDropout < 1, "hidden_dropout_prob", hiddenDropout);
        require(attentionDropout >= 0 && attentionDropout < 1, "attention_probs_dropout_prob", attentionDropout);
        require(classifierDropout >= 0 && classifierDropout < 1, "classifier_dropout", classifierDropout);
        require(maxSequenceLength >= 2 && maxSequenceLength <= maxPositions - positionOffset,
                "max sequence length (2.." + (maxPositions - positionOffset) + ")", maxSequenceLength);
    }

    /** The same encoder with another truncation length. */
    @Override
    public EncoderConfig withMaxSequenceLength(int length) {
        return new EncoderConfig(modelId, family, vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions,
                typeVocabSize, layerNormEps, hiddenDropout, attentionDropout, classifierDropout, positionOffset, length);
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
        if (typeVocabSize > 0) {
            shapes.put("embeddings.token_type_embeddings.weight", new long[] {typeVocabSize, h});
        }
        shapes.put("embeddings.LayerNorm.weight", new long[] {h});
        shapes.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int layer = 0; layer < numLayers; layer++) {
            for (Module module : family.modules()) {
                long out = module == Module.INTERMEDIATE ? intermediateSize : h;
                long in = module == Module.OUTPUT ? intermediateSize : h;
                String name = family.moduleName(module, layer);
                shapes.put(name + ".weight", new long[] {out, in});
                shapes.put(name + ".bias", new long[] {out});
            }
            for (String norm : family.blockNorms()) {
                shapes.put(family.blockPrefix(layer) + norm + ".weight", new long[] {h});
                shapes.put(family.blockPrefix(layer) + norm + ".bias", new long[] {h});
            }
        }
        return shapes;
    }

    /**
     * Reads a Hugging Face config.json of model_type bert, roberta, xlm-roberta or distilbert (DistilBERT names its
     * keys dim, hidden_dim, n_layers, n_heads, activation), naming the key and value it refuses.
     */
    static EncoderConfig fromHuggingFace(String modelId, JsonNode config, int maxSequenceLength) {
        String type = config.path("model_type").asText("bert");
        boolean distil = type.equals("distilbert");
        Family family = switch (type) {
            case "bert" -> Family.BERT;
            case "roberta", "xlm-roberta" -> Family.ROBERTA;
            case "distilbert" -> Family.DISTILBERT;
            default -> throw new IllegalArgumentException("config.json model_type=" + type + " is not an encoder");
        };
        String actKey = distil ? "activation" : "hidden_act";
        String act = config.path(actKey).asText("gelu");
        if (!act.equals("gelu")) {
            throw new IllegalArgumentException("config.json " + actKey + "=" + act + " is not supported (gelu only)");
        }
        if (distil && config.path("sinusoidal_pos_embds").asBoolean(false)) {
            throw new IllegalArgumentException("config.json sinusoidal_pos_embds=true is not supported (learned positions only)");
        }
        int maxPositions = config.path("max_position_embeddings").asInt(512);
        int offset = family == Family.ROBERTA ? config.path("pad_token_id").asInt(1) + 1 : 0;
        return new EncoderConfig(modelId, family,
                config.path("vocab_size").asInt(),
                config.path(distil ? "dim" : "hidden_size").asInt(),
                config.path(distil ? "n_layers" : "num_hidden_layers").asInt(),
                config.path(distil ? "n_heads" : "num_attention_heads").asInt(),
                config.path(distil ? "hidden_dim" : "intermediate_size").asInt(),
                maxPositions,
                distil ? 0 : config.path("type_vocab_size").asInt(2),
                distil ? 1e-12 : config.path("layer_norm_eps").asDouble(1e-12),
                config.path(distil ? "dropout" : "hidden_dropout_prob").asDouble(0.1),
                config.path(distil ? "attention_dropout" : "attention_probs_dropout_prob").asDouble(0.1),
                distil ? config.path("seq_classif_dropout").asDouble(0.2)
                        : config.path("classifier_dropout").isNumber() ? config.path("classifier_dropout").asDouble()
                        : config.path("hidden_dropout_prob").asDouble(0.1),
                offset,
                Math.min(maxSequenceLength, maxPositions - offset));
    }

    private static void require(boolean ok, String key, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid encoder config: " + key + "=" + value);
        }
    }
}
