package io.lorastream.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shape of a Llama-style decoder (model_type llama, qwen2 or mistral), as in a Hugging Face {@code config.json}.
 * Validated on creation; the error names the key and the value.
 *
 * @param modelType          llama, qwen2 or mistral: they differ only in the settings below
 * @param numKeyValueHeads   key/value heads: equal to numHeads (multi-head), fewer (grouped-query) or 1 (multi-query)
 * @param headDim            per-head size; hidden_size / num_attention_heads unless config.json sets head_dim
 * @param ropeTheta          base of the rotary frequencies
 * @param ropeScaling        the "llama3" frequency scaling, or null for none
 * @param qkvBias            q, k and v projections have a bias (qwen2 always; llama with attention_bias)
 * @param outputBias         o_proj has a bias (llama with attention_bias)
 * @param mlpBias            gate, up and down have a bias (llama with mlp_bias)
 * @param slidingWindow      a query sees only the last slidingWindow keys, itself included (mistral); 0: all earlier keys
 * @param attentionDropout   dropout on attention probabilities, while training only (0 in released checkpoints)
 */
public record DecoderConfig(
        String modelId,
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKeyValueHeads,
        int headDim,
        int intermediateSize,
        int maxPositions,
        double rmsNormEps,
        double ropeTheta,
        Llama3Scaling ropeScaling,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        int slidingWindow,
        double attentionDropout,
        int maxSequenceLength) implements BaseConfig {

    /** Llama 3.1's rope_scaling (rope_type "llama3"): long wavelengths slowed by factor, short ones kept, a smooth blend between. */
    public record Llama3Scaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
        public Llama3Scaling {
            require(factor > 0, "rope_scaling.factor", factor);
            require(lowFreqFactor > 0, "rope_scaling.low_freq_factor", lowFreqFactor);
            require(highFreqFactor > lowFreqFactor, "rope_scaling.high_freq_factor (above low_freq_factor " + lowFreqFactor + ")", highFreqFactor);
            require(originalMaxPositions > 0, "rope_scaling.original_max_position_embeddings", originalMaxPositions);
        }
    }

    public DecoderConfig {
        require(modelId != null && !modelId.isBlank(), "modelId", modelId);
        require(modelType != null && (modelType.equals("llama") || modelType.equals("qwen2") || modelType.equals("mistral")),
                "model_type", modelType);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(hiddenSize > 0, "hidden_size", hiddenSize);
        require(numLayers > 0, "num_hidden_layers", numLayers);
        require(numHeads > 0, "num_attention_heads", numHeads);
        require(numKeyValueHeads > 0 && numHeads % numKeyValueHeads == 0,
                "num_key_value_heads (must divide num_attention_heads " + numHeads + ")", numKeyValueHeads);
        require(headDim > 0 && headDim % 2 == 0, "head_dim (even: rotary embeddings rotate pairs)", headDim);
        require(intermediateSize > 0, "intermediate_size", intermediateSize);
        require(maxPositions > 0, "max_position_embeddings", maxPositions);
        require(rmsNormEps > 0, "rms_norm_eps", rmsNormEps);
        require(ropeTheta > 0, "rope_theta", ropeTheta);
        require(slidingWindow >= 0, "sliding_window", slidingWindow);
        require(attentionDropout >= 0 && attentionDropout < 1, "attention_dropout", attentionDropout);
        require(maxSequenceLength >= 1 && maxSequenceLength <= maxPositions,
                "max sequence length (1.." + maxPositions + ")", maxSequenceLength);
    }

    @Override
    public Family family() {
        return Family.LLAMA;
    }

    /** LlamaForSequenceClassification's score has no dropout. */
    @Override
    public double classifierDropout() {
        return 0;
    }

    @Override
    public DecoderConfig withMaxSequenceLength(int length) {
        return new DecoderConfig(modelId, modelType, vocabSize, hiddenSize, numLayers, numHeads, numKeyValueHeads, headDim,
                intermediateSize, maxPositions, rmsNormEps, ropeTheta, ropeScaling, qkvBias, outputBias, mlpBias,
                slidingWindow, attentionDropout, length);
    }

    /** Token embeddings, per block two RMSNorms and seven linears (biases where the config says), the final norm; no LM or score head. */
    @Override
    public Map<String, long[]> weightShapes() {
        long h = hiddenSize;
        long q = (long) numHeads * headDim;
        long kv = (long) numKeyValueHeads * headDim;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("embed_tokens.weight", new long[] {vocabSize, h});
        for (int layer = 0; layer < numLayers; layer++) {
            shapes.put("layers." + layer + ".input_layernorm.weight", new long[] {h});
            shapes.put("layers." + layer + ".post_attention_layernorm.weight", new long[] {h});
            linear(shapes, layer, Module.QUERY, q, h, qkvBias);
            linear(shapes, layer, Module.KEY, kv, h, qkvBias);
            linear(shapes, layer, Module.VALUE, kv, h, qkvBias);
            linear(shapes, layer, Module.ATTENTION_OUTPUT, h, q, outputBias);
            linear(shapes, layer, Module.GATE, intermediateSize, h, mlpBias);
            linear(shapes, layer, Module.UP, intermediateSize, h, mlpBias);
            linear(shapes, layer, Module.DOWN, h, intermediateSize, mlpBias);
        }
        shapes.put("norm.weight", new long[] {h});
        return shapes;
    }

    private static void linear(Map<String, long[]> shapes, int layer, Module module, long out, long in, boolean bias) {
        String name = Family.LLAMA.moduleName(module, layer);
        shapes.put(name + ".weight", new long[] {out, in});
        if (bias) {
            shapes.put(name + ".bias", new long[] {out});
        }
    }

    /**
     * Reads a Hugging Face llama, qwen2 or mistral config.json, with each model type's own defaults (qwen2's
     * q/k/v biases, mistral's sliding window). Rotary settings come from rope_theta and rope_scaling
     * (transformers 4) or rope_parameters (transformers 5); rope types other than default and llama3 are refused.
     */
    static DecoderConfig fromHuggingFace(String modelId, JsonNode config, int maxSequenceLength) {
        String type = config.path("model_type").asText();
        String act = config.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException("config.json hidden_act=" + act + " is not supported for " + type + " (silu only)");
        }
        int hidden = config.path("hidden_size").asInt();
        int heads = config.path("num_attention_heads").asInt();
        JsonNode rope = config.path("rope_parameters").isObject() ? config.path("rope_parameters") : config.path("rope_scaling");
        double theta = config.path("rope_theta").asDouble(rope.path("rope_theta").asDouble(10000.0));
        Llama3Scaling scaling = null;
        if (rope.isObject()) {
            String ropeType = rope.path("rope_type").asText(rope.path("type").asText("default"));
            switch (ropeType) {
                case "default" -> { }
                case "llama3" -> scaling = new Llama3Scaling(rope.path("factor").asDouble(), rope.path("low_freq_factor").asDouble(),
                        rope.path("high_freq_factor").asDouble(), rope.path("original_max_position_embeddings").asInt());
                default -> throw new IllegalArgumentException("config.json rope_type=" + ropeType
                        + " is not supported (default or llama3)");
            }
        }
        boolean attentionBias = config.path("attention_bias").asBoolean(false);
        boolean qkvBias = type.equals("qwen2") || attentionBias;
        int window = 0;
        if (type.equals("mistral") && config.path("sliding_window").canConvertToInt()) {
            window = config.path("sliding_window").asInt();
        }
        if (type.equals("qwen2") && config.path("use_sliding_window").asBoolean(false)) {
            throw new IllegalArgumentException("config.json use_sliding_window=true is not supported for qwen2 (its window applies "
                    + "to some layers only); released Qwen2 checkpoints set it false");
        }
        int maxPositions = config.path("max_position_embeddings").asInt(2048);
        return new DecoderConfig(modelId, type,
                config.path("vocab_size").asInt(),
                hidden,
                config.path("num_hidden_layers").asInt(),
                heads,
                config.path("num_key_value_heads").asInt(heads),
                config.path("head_dim").canConvertToInt() ? config.path("head_dim").asInt() : (heads > 0 ? hidden / heads : 0),
                config.path("intermediate_size").asInt(),
                maxPositions,
                config.path("rms_norm_eps").asDouble(1e-6),
                theta,
                scaling,
                qkvBias,
                attentionBias && !type.equals("qwen2"),
                config.path("mlp_bias").asBoolean(false),
                window,
                config.path("attention_dropout").asDouble(0.0),
                Math.min(maxSequenceLength, maxPositions));
    }

    private static void require(boolean ok, String key, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid decoder config: " + key + "=" + value);
        }
    }
}
