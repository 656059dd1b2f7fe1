# The plain-PyTorch peer of `./lorastream bench engine`'s decoder rows: the same Llama-family checkpoint, the same
# token rows, the same batch size and threads, written the way a PyTorch user writes it (nn.Linear modules, a LoRA
# wrapper on q_proj and v_proj, torch.optim.AdamW), so that the engine's rates are ratios measured in one run.
#
# Needs Debian's python3-torch (apt-get install python3-torch libopenblas0-openmp), run as /usr/bin/python3 with
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (the bench does both). No network, no transformers.
# Usage: /usr/bin/python3 decoder_peer.py PHASE MODEL_DIR ROWS_JSON THREADS
#   PHASE forward: the frozen base over ROWS_JSON's "forward" rows, batches of "forward_batch": one pass to warm up,
#                  two measured;
#   PHASE lora:    one epoch of LoRA q,v r=8 (alpha 16, dropout 0.1) + the score head over "train" rows and "labels",
#                  batches of "train_batch", AdamW lr 1e-3, weight decay 0.01, gradient clipping at 1.0, after two
#                  unmeasured steps.
#   Every row has the same length, so no padding and no bucketing: both sides do the same work.
# Prints one JSON line: tokens_per_s, peak_rss_mib, matmul_gflops (2048^3 fp32), torch's version and threads.
import json
import os
import resource
import struct
import sys
import time

import torch
from torch import nn

PASSES = 2          # measured forward passes over the rows, after one unmeasured
WARM_UP_STEPS = 2   # unmeasured training steps before the measured epoch
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def checkpoint_tensors(model_dir):
    """(name, f32 tensor) for every tensor of model.safetensors (or its shards), read and widened one at a time."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    for name in files:
        with open(os.path.join(model_dir, name), "rb") as f:
            header_length = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(header_length))
            start = 8 + header_length
            for key, meta in header.items():
                if key == "__metadata__":
                    continue
                begin, end = meta["data_offsets"]
                f.seek(start + begin)
                raw = bytearray(f.read(end - begin))
                yield key, torch.frombuffer(raw, dtype=DTYPES[meta["dtype"]]).reshape(meta["shape"]).float()


class RMSNorm(nn.Module):
    def __init__(self, h, eps, device=None):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(h, device=device))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class LoraLinear(nn.Module):
    """PEFT's LoRA on a frozen linear: base(x) + dropout(x) A^T B^T * alpha / r, B zero at the start."""

    def __init__(self, base, r=8, alpha=16, dropout=0.1):
        super().__init__()
        self.base = base
        self.lora_a = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.lora_a, a=5 ** 0.5)
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, r))
        self.dropout = nn.Dropout(dropout)
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (self.dropout(x) @ self.lora_a.T @ self.lora_b.T) * self.scaling


class Block(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        h, n, kv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        d = c.get("head_dim") or h // n
        bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
        self.n, self.kv, self.d = n, kv, d
        self.input_layernorm = RMSNorm(h, c["rms_norm_eps"], device)
        self.q_proj = nn.Linear(h, n * d, bias=bias, device=device)
        self.k_proj = nn.Linear(h, kv * d, bias=bias, device=device)
        self.v_proj = nn.Linear(h, kv * d, bias=bias, device=device)
        self.o_proj = nn.Linear(n * d, h, bias=c.get("attention_bias", False), device=device)
        self.post_attention_layernorm = RMSNorm(h, c["rms_norm_eps"], device)
        f = c["intermediate_size"]
        self.gate_proj = nn.Linear(h, f, bias=c.get("mlp_bias", False), device=device)
        self.up_proj = nn.Linear(h, f, bias=c.get("mlp_bias", False), device=device)
        self.down_proj = nn.Linear(f, h, bias=c.get("mlp_bias", False), device=device)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, t, self.n, self.d).transpose(1, 2)          # (B, N, T, D)
        k = self.k_proj(h).view(b, t, self.kv, self.d).transpose(1, 2)         # (B, K, T, D)
        v = self.v_proj(h).view(b, t, self.kv, self.d).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(self.n // self.kv, dim=1)                      # (B, N, T, D)
        v = v.repeat_interleave(self.n // self.kv, dim=1)
        probs = torch.softmax(q @ k.transpose(2, 3) * self.d ** -0.5 + mask, dim=-1)
        x = x + self.o_proj((probs @ v).transpose(1, 2).reshape(b, t, self.n * self.d))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Decoder(nn.Module):
    """Embeddings, blocks, final norm, and LlamaForSequenceClassification's score (no bias) on the last token."""

    def __init__(self, c, labels, device=None):
        super().__init__()
        h = c["hidden_size"]
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], h, device=device)
        self.layers = nn.ModuleList(Block(c, device) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(h, c["rms_norm_eps"], device)
        self.score = nn.Linear(h, labels, bias=False, device=device)
        d = c.get("head_dim") or h // c["num_attention_heads"]
        self.inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, d, 2).float() / d))

    def forward(self, ids):
        b, t = ids.shape
        freqs = torch.arange(t).float()[:, None] * self.inv[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)         # causal; rows have no padding
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, emb.cos(), emb.sin(), mask)
        return self.score(self.norm(x)[:, -1])                                   # (B, L)


def build(model_dir, labels):
    """The model with the checkpoint's weights, each put in place as it is read: the weights once, never twice."""
    c = json.load(open(os.path.join(model_dir, "config.json")))
    model = Decoder(c, labels, device="meta")  # shapes only: no memory until the checkpoint's tensors arrive
    params = dict(model.named_parameters())
    loaded = set()
    for name, value in checkpoint_tensors(model_dir):
        key = name[len("model."):] if name.startswith("model.") else name
        key = key.replace("self_attn.", "").replace("mlp.", "")
        if key in params:
            set_parameter(model, key, value)
            loaded.add(key)
    assert loaded == set(params) - {"score.weight"}, set(params) - loaded
    set_parameter(model, "score.weight", torch.randn(labels, c["hidden_size"]) * 0.02)
    model.requires_grad_(False)
    return model


def set_parameter(model, key, value):
    owner, _, leaf = key.rpartition(".")
    setattr(model.get_submodule(owner) if owner else model, leaf, nn.Parameter(value, requires_grad=False))


def matmul_gflops():
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    for _ in range(10):
        a @ b
    return 10 * 2 * 2048 ** 3 / (time.perf_counter() - start) / 1e9


def main(phase, model_dir, rows_json, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    data = json.load(open(rows_json))
    model = build(model_dir, 2)
    out = {"phase": phase, "torch": torch.__version__, "threads": torch.get_num_threads()}
    if phase == "forward":
        rows, size = torch.tensor(data["forward"]), data["forward_batch"]
        model.eval()
        with torch.no_grad():
            for i in range(0, len(rows), size):                                  # warm-up: one pass
                model(rows[i:i + size])
            start = time.perf_counter()
            for _ in range(PASSES):
                for i in range(0, len(rows), size):
                    model(rows[i:i + size])
            seconds = time.perf_counter() - start
        out["tokens_per_s"] = PASSES * rows.numel() / seconds
    else:
        rows, labels, size = torch.tensor(data["train"]), torch.tensor(data["labels"]), data["train_batch"]
        for layer in model.layers:
            layer.q_proj, layer.v_proj = LoraLinear(layer.q_proj), LoraLinear(layer.v_proj)
        model.score.requires_grad_(True)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=1e-3, weight_decay=0.01)
        model.train()

        def step(ids, targets):
            loss = nn.functional.cross_entropy(model(ids), targets)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()

        for i in range(0, WARM_UP_STEPS * size, size):                           # warm-up
            step(rows[i:i + size], labels[i:i + size])
        start = time.perf_counter()
        for i in range(0, len(rows), size):
            step(rows[i:i + size], labels[i:i + size])
        seconds = time.perf_counter() - start
        out["tokens_per_s"] = rows.numel() / seconds
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["matmul_gflops"] = matmul_gflops()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
