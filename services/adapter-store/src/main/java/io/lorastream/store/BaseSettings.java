package io.lorastream.store;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * The base model, one setting for the trainer and serving alike ({@code lorastream.base.*}; environment
 * {@code LORASTREAM_BASE_DIR}). Both must run on the same base: {@link FleetBase} makes sure they do.
 */
@ConfigMapping(prefix = "lorastream.base")
public interface BaseSettings {

    /**
     * A Hugging Face model directory: config.json (model_type bert, llama, qwen2 or mistral), model.safetensors or
     * model.safetensors.index.json with its shards (f32, f16 or bf16), tokenizer.json. Absent: the embedded
     * all-MiniLM-L6-v2.
     */
    Optional<String> dir();
}
