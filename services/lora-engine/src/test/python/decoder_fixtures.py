# Decoder fixtures for the engine's tests: tiny random Llama-family checkpoints and what a plain PyTorch
# forward computes on them.
#
# Provenance: the forward below is a port, written in this repository, of the eager path of Hugging Face
# transformers' LlamaModel / Qwen2Model / MistralModel (modeling_llama.py and its siblings): RMSNorm in f32,
# rotary embeddings with rotate_half and the "llama3" frequency scaling, grouped-query attention by repeating
# the key/value heads, a causal mask that also hides right padding and, for Mistral, keys a sliding window
# or more behind, a SwiGLU MLP, a final norm, and sequence classification on the last non-pad token.
# It is NOT transformers itself (transformers cannot be installed on the build machines); it runs on a
# different framework build (Debian's PyTorch) than the engine (DJL's libtorch), so it catches the engine's
# own slips (shapes, transposes, masks), not a misreading shared by both ports. The check against
# transformers' own outputs is a separate fixture set, made where transformers runs.
#
# Needs: Debian's python3-torch (apt-get install python3-torch), run as /usr/bin/python3. No network.
# Usage: /usr/bin/python3 decoder_fixtures.py OUT_DIR
# Writes OUT_DIR/<variant>/{config.json, model.safetensors or model-0000N-of-00002.safetensors + index,
# tokenizer.json, expected.json} for four variants (see VARIANTS). Deterministic (seeded); about 500 KB in all.
import json
import math
import os
import struct
import sys

import torch

torch.manual_seed(20261205)
torch.set_default_dtype(torch.float32)

# A byte-level BPE tokenizer.json, written by hand: the 256 byte symbols of GPT-2's byte-to-unicode map,
# four special tokens and a few merges; its post-processor puts <s> first, as Llama's tokenizers do.
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "f"), ("Ġf", "in")]


def tokenizer_json():
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for ch in bytes_to_unicode().values():
        vocab[ch] = len(vocab)
    for a, b in MERGES:
        vocab[a + b] = len(vocab)
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
             for i, t in enumerate(SPECIALS)]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in MERGES]},
    }, len(vocab)


# ---- the forward: a port of transformers' eager Llama-family path ------------------------------------------

def rms_norm(x, weight, eps):
    variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def inv_frequencies(c):
    d = c["head_dim"]
    inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    scaling = c.get("rope_scaling")
    if scaling and scaling.get("rope_type") == "llama3":
        factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        inv = torch.where(medium, smoothed, scaled)
    return inv


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(c, w, ids, mask):
    b, t = ids.shape
    n, kv, d = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    x = w["embed_tokens.weight"][ids]                                           # (B, T, H)
    positions = torch.arange(t).float()
    freqs = positions[:, None] * inv_frequencies(c)[None, :]                    # (T, D/2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()                                             # (T, D)
    q_idx, k_idx = torch.arange(t)[:, None], torch.arange(t)[None, :]
    allowed = (k_idx <= q_idx)[None, None] & mask.bool()[:, None, None, :]      # (B, 1, T, T)
    if c.get("sliding_window"):
        allowed = allowed & (k_idx > q_idx - c["sliding_window"])[None, None]
    bias = torch.zeros(b, 1, t, t).masked_fill(~allowed, torch.finfo(torch.float32).min)
    for i in range(c["num_hidden_layers"]):
        p = "layers.%d." % i
        h = rms_norm(x, w[p + "input_layernorm.weight"], c["rms_norm_eps"])

        def proj(name):
            y = h @ w[p + "self_attn." + name + ".weight"].T
            return y + w[p + "self_attn." + name + ".bias"] if p + "self_attn." + name + ".bias" in w else y

        q = proj("q_proj").view(b, t, n, d).transpose(1, 2)                     # (B, N, T, D)
        k = proj("k_proj").view(b, t, kv, d).transpose(1, 2)                    # (B, KV, T, D)
        v = proj("v_proj").view(b, t, kv, d).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(n // kv, dim=1)                                 # (B, N, T, D)
        v = v.repeat_interleave(n // kv, dim=1)
        scores = q @ k.transpose(2, 3) * d ** -0.5 + bias
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
        context = (probs @ v).transpose(1, 2).reshape(b, t, n * d)
        out = context @ w[p + "self_attn.o_proj.weight"].T
        if p + "self_attn.o_proj.bias" in w:
            out = out + w[p + "self_attn.o_proj.bias"]
        x = x + out
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], c["rms_norm_eps"])
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    return rms_norm(x, w["norm.weight"], c["rms_norm_eps"])                    # (B, T, H)


def fresh_model_dir(d, config, tok):
    """An empty directory d with config.json and tokenizer.json: what every fixture starts from."""
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    json.dump(config, open(os.path.join(d, "config.json"), "w"), indent=1)
    json.dump(tok, open(os.path.join(d, "tokenizer.json"), "w"), ensure_ascii=False)
    return d


def padded_batch(vocab, pad, lengths=(7, 3, 9, 1)):
    """Four random texts of different lengths (token 0 first, none a special token after it) and their right-padded batch."""
    t = max(lengths)
    ids = torch.full((len(lengths), t), pad, dtype=torch.long)
    mask = torch.zeros((len(lengths), t), dtype=torch.long)
    rows = []
    for i, n_tokens in enumerate(lengths):
        row = [0] + torch.randint(4, vocab, (n_tokens - 1,)).tolist()
        rows.append(row)
        ids[i, :n_tokens] = torch.tensor(row)
        mask[i, :n_tokens] = 1
    return rows, ids, mask


# ---- checkpoints --------------------------------------------------------------------------------------------

def weights(c, bias_qkv, bias_o):
    h, n, kv, d, f = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["intermediate_size"]
    r = lambda *s: torch.randn(*s) * 0.15  # non-trivial: transformers' 0.02 init leaves the outputs near the embeddings
    w = {"embed_tokens.weight": torch.randn(c["vocab_size"], h), "norm.weight": 1 + 0.1 * torch.randn(h)}
    for i in range(c["num_hidden_layers"]):
        p = "layers.%d." % i
        w[p + "input_layernorm.weight"] = 1 + 0.1 * torch.randn(h)
        w[p + "post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(h)
        for name, out, inp in (("q_proj", n * d, h), ("k_proj", kv * d, h), ("v_proj", kv * d, h), ("o_proj", h, n * d)):
            w[p + "self_attn." + name + ".weight"] = r(out, inp)
            if (bias_qkv and name != "o_proj") or (bias_o and name == "o_proj"):
                w[p + "self_attn." + name + ".bias"] = r(out)
        w[p + "mlp.gate_proj.weight"] = r(f, h)
        w[p + "mlp.up_proj.weight"] = r(f, h)
        w[p + "mlp.down_proj.weight"] = r(h, f)
    return w


def quantise(w, dtype):
    """The values a 16-bit checkpoint holds, back in f32: what the reference computes with."""
    return {k: v.to(dtype).to(torch.float32) for k, v in w.items()}


def safetensors_bytes(tensors, dtype):
    names = sorted(tensors)
    header, blobs, offset = {}, [], 0
    code = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}[dtype]
    for name in names:
        v = tensors[name].to(dtype).contiguous()
        raw = (v.view(torch.int16) if dtype != torch.float32 else v.view(torch.int32)).numpy().tobytes()
        header[name] = {"dtype": code, "shape": list(v.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


VARIANTS = {
    # name: (config, extra, dtype, shards, checkpoint prefix + classifier head in the file)
    "llama": ({"model_type": "llama", "architectures": ["LlamaForSequenceClassification"], "rope_theta": 10000.0,
               "num_key_value_heads": 2, "rms_norm_eps": 1e-6, "tie_word_embeddings": False},
              dict(bias_qkv=False, bias_o=False), torch.float32, 1, True),
    "llama3-bf16-sharded": ({"model_type": "llama", "architectures": ["LlamaForCausalLM"], "rope_theta": 500000.0,
                             "num_key_value_heads": 2, "rms_norm_eps": 1e-5, "tie_word_embeddings": True,
                             "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                              "high_freq_factor": 4.0, "original_max_position_embeddings": 16}},
                            dict(bias_qkv=False, bias_o=False), torch.bfloat16, 2, True),
    "qwen2-f16": ({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "rope_theta": 1000000.0,
                   "num_key_value_heads": 2, "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "use_sliding_window": False},
                  dict(bias_qkv=True, bias_o=False), torch.float16, 1, True),
    "mistral-mqa-window": ({"model_type": "mistral", "architectures": ["MistralForSequenceClassification"], "rope_theta": 10000.0,
                            "num_key_value_heads": 1, "head_dim": 12, "rms_norm_eps": 1e-5, "tie_word_embeddings": False,
                            "sliding_window": 4},
                           dict(bias_qkv=False, bias_o=False), torch.float32, 1, False),
}


def main(out_dir):
    tok, vocab = tokenizer_json()
    for name, (extra_config, biases, dtype, shards, prefixed) in VARIANTS.items():
        c = {"vocab_size": vocab, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "max_position_embeddings": 64, "hidden_act": "silu",
             "bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2, "torch_dtype": {torch.float32: "float32",
             torch.float16: "float16", torch.bfloat16: "bfloat16"}[dtype]}
        c.update(extra_config)
        c.setdefault("head_dim", c["hidden_size"] // c["num_attention_heads"])
        file_config = dict(c)
        if "head_dim" not in extra_config:
            del file_config["head_dim"]  # as most checkpoints: hidden_size / heads
        w = weights(c, **biases)
        w = quantise(w, dtype) if dtype != torch.float32 else w
        stored = {("model." + k if prefixed else k): v for k, v in w.items()}
        if prefixed and "ForSequenceClassification" in c["architectures"][0]:
            stored["score.weight"] = torch.randn(3, c["hidden_size"]) * 0.1  # a checkpoint's own head: the engine ignores it
        if not c["tie_word_embeddings"] and "ForCausalLM" in c["architectures"][0]:
            stored["lm_head.weight"] = torch.randn(vocab, c["hidden_size"]) * 0.1

        d = fresh_model_dir(os.path.join(out_dir, name), file_config, tok)
        if shards == 1:
            open(os.path.join(d, "model.safetensors"), "wb").write(safetensors_bytes(stored, dtype))
        else:
            names = sorted(stored)
            weight_map = {}
            for s in range(shards):
                part = {k: stored[k] for k in names[s::shards]}
                file = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
                open(os.path.join(d, file), "wb").write(safetensors_bytes(part, dtype))
                weight_map.update({k: file for k in part})
            json.dump({"metadata": {}, "weight_map": weight_map}, open(os.path.join(d, "model.safetensors.index.json"), "w"), indent=1)

        rows, ids, mask = padded_batch(vocab, c["pad_token_id"])
        with torch.no_grad():
            hidden = forward(c, w, ids, mask)
            last = hidden[torch.arange(len(rows)), mask.sum(-1) - 1]      # (B, H): the last real token
            alone = [forward(c, w, torch.tensor([r]), torch.ones(1, len(r), dtype=torch.long))[0, -1].tolist() for r in rows]
        expected = {"variant": name, "torch": torch.__version__, "input_ids": rows,
                    "batch_input_ids": ids.tolist(), "batch_attention_mask": mask.tolist(),
                    "last_hidden_state": hidden.tolist(), "last_token_hidden": last.tolist(),
                    "last_token_hidden_each_alone": alone}
        json.dump(expected, open(os.path.join(d, "expected.json"), "w"))
        print(name, sorted(os.listdir(d)), "alone vs batched max diff %.2e" % (last - torch.tensor(alone)).abs().max().item())


if __name__ == "__main__":
    main(sys.argv[1])
