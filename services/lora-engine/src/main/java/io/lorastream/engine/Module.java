package io.lorastream.engine;

/**
 * The linear layers of a transformer block, by what they do; each {@link Family} names them its own way
 * ({@code attention.self.query} in BERT, {@code self_attn.q_proj} in Llama), as PEFT's {@code target_modules} do.
 */
public enum Module {
    QUERY,
    KEY,
    VALUE,
    ATTENTION_OUTPUT,
    /** BERT's feed-forward: intermediate.dense, then output.dense */
    INTERMEDIATE,
    OUTPUT,
    /** the decoders' SwiGLU feed-forward: down(silu(gate(x)) · up(x)) */
    GATE,
    UP,
    DOWN
}
