# A random decoder checkpoint of a real model's shape, for the engine's memory and speed checks at scale (no real
# weights can be downloaded here; the shape is what costs memory and time, not the values).
# Writes OUT_DIR/{config.json, model.safetensors (bf16, streamed: never whole in memory), tokenizer.json}.
# Needs Debian's python3-torch (/usr/bin/python3). Usage: /usr/bin/python3 random_checkpoint.py SHAPE OUT_DIR
#   SHAPE: qwen2-0.5b (494 M parameters, ~1 GB) or qwen2-1.5b (1.54 G parameters, ~3.1 GB), the configs of
#   Qwen/Qwen2-0.5B and Qwen/Qwen2-1.5B (hidden, layers, heads, kv heads, intermediate, vocab; tied embeddings).
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "services", "lora-engine", "src", "test", "python"))
from decoder_fixtures import tokenizer_json  # noqa: E402  (a small byte-level BPE: any text tokenizes)

SHAPES = {
    "qwen2-0.5b": dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                       intermediate_size=4864, vocab_size=151936),
    "qwen2-1.5b": dict(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                       intermediate_size=8960, vocab_size=151936),
}


def tensors(c):
    h, f, n, kv = c["hidden_size"], c["intermediate_size"], c["num_attention_heads"], c["num_key_value_heads"]
    d = h // n
    yield "model.embed_tokens.weight", (c["vocab_size"], h)
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        yield p + "input_layernorm.weight", (h,)
        yield p + "post_attention_layernorm.weight", (h,)
        for name, out, inp in (("q_proj", n * d, h), ("k_proj", kv * d, h), ("v_proj", kv * d, h)):
            yield p + "self_attn." + name + ".weight", (out, inp)
            yield p + "self_attn." + name + ".bias", (out,)
        yield p + "self_attn.o_proj.weight", (h, n * d)
        yield p + "mlp.gate_proj.weight", (f, h)
        yield p + "mlp.up_proj.weight", (f, h)
        yield p + "mlp.down_proj.weight", (h, f)
    yield "model.norm.weight", (h,)


def main(shape, out_dir):
    c = dict(SHAPES[shape])
    tok, vocab = tokenizer_json()
    c.update({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_act": "silu", "rms_norm_eps": 1e-6,
              "rope_theta": 1000000.0, "max_position_embeddings": 32768, "tie_word_embeddings": True, "use_sliding_window": False,
              "torch_dtype": "bfloat16", "_name_or_path": "random-" + shape})
    os.makedirs(out_dir, exist_ok=True)
    json.dump(c, open(os.path.join(out_dir, "config.json"), "w"), indent=1)
    json.dump(tok, open(os.path.join(out_dir, "tokenizer.json"), "w"), ensure_ascii=False)
    header, offset = {}, 0
    for name, dims in tensors(c):
        size = 2
        for dim in dims:
            size *= dim
        header[name] = {"dtype": "BF16", "shape": list(dims), "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    torch.manual_seed(0)
    with open(os.path.join(out_dir, "model.safetensors"), "wb") as out:
        out.write(struct.pack("<Q", len(head)) + head)
        for name, dims in tensors(c):
            values = torch.ones(dims) if name.endswith("norm.weight") else torch.randn(dims) * 0.02
            out.write(values.to(torch.bfloat16).view(torch.int16).numpy().tobytes())
    params = offset // 2
    print("%s: %s parameters, %.2f GB in %s" % (shape, format(params, ","), offset / 1e9, out_dir))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
