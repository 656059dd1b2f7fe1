# The plain-PyTorch peer of `./lorastream bench engine`'s MiniLM rows: a BERT encoder of all-MiniLM-L6-v2's shape
# (6 blocks, hidden 384, 12 heads, FFN 1536, post-LayerNorm, GELU), written the way a PyTorch user writes it (nn.Linear
# modules, a LoRA wrapper on query and value, torch.optim.AdamW), run on the same token rows as the engine, with the
# same batch size, the same length bucketing, the same schedule and the same threads, so that the engine's rates are
# ratios measured in one run.
#
# Its weights are random, of MiniLM's shapes: the rates depend on the shapes and the data, not on the values (the
# engine's weights live inside an ONNX file in a jar, which plain PyTorch cannot read without the onnx package).
#
# Needs Debian's python3-torch (apt-get install python3-torch libopenblas0-openmp), run as /usr/bin/python3 with
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (the bench does both). No network, no transformers.
# Usage: /usr/bin/python3 encoder_peer.py PHASE ROWS_JSON THREADS
#   PHASE forward: the frozen encoder over ROWS_JSON's "forward" rows (SST-2 dev, tokenized by the engine), sorted by
#                  length, batches of "batch" with their padding masked: one pass to warm up, "passes" measured;
#   PHASE lora:    one epoch of LoRA q,v (r 8, alpha 16, dropout 0.1) + the classifier over the mean of real tokens, on
#                  the "train" rows and "labels" (the engine's sample of SST-2 train), the engine's length-bucketed
#                  batches (shuffled, sorted by length in windows of "bucket_window" batches, the batches shuffled),
#                  AdamW (weight decay 0.01), linear warm-up over 6 % of the steps then linear decay, gradient clipping
#                  at 1.0, dropout 0.1 in the encoder and before the classifier; after an unmeasured warm-up run of
#                  "warm_up_examples" examples, as the engine does;
#   PHASE full:    the same with every weight trained (learning rate "full_lr" instead of "lora_lr").
# Prints one JSON line: examples_per_s and tokens_per_s (real tokens, not padding), peak_rss_mib, matmul_gflops
# (2048^3 fp32), torch's version and threads.
import json
import math
import random
import resource
import sys
import time

import torch
from torch import nn

from decoder_peer import LoraLinear, matmul_gflops


class Block(nn.Module):
    """One post-LayerNorm BERT block: self-attention, then a GELU feed-forward, each added back and normalised."""

    def __init__(self, c):
        super().__init__()
        hidden, self.heads = c["hidden"], c["heads"]
        self.query, self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=c["layer_norm_eps"])
        self.intermediate = nn.Linear(hidden, c["intermediate"])
        self.output = nn.Linear(c["intermediate"], hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=c["layer_norm_eps"])
        self.hidden_dropout = nn.Dropout(c["hidden_dropout"])
        self.attention_dropout = nn.Dropout(c["attention_dropout"])

    def forward(self, x, mask_bias):                                                   # x (B, T, H), mask_bias (B, 1, 1, T)
        b, t, h = x.shape
        d = h // self.heads

        def heads(y):                                                                  # (B, T, H) -> (B, N, T, D)
            return y.view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = heads(self.query(x)) * d ** -0.5, heads(self.key(x)), heads(self.value(x))
        probs = self.attention_dropout((q @ k.transpose(-1, -2) + mask_bias).softmax(-1))  # (B, N, T, T)
        context = (probs @ v).transpose(1, 2).reshape(b, t, h)                          # (B, T, H)
        x = self.attention_norm(x + self.hidden_dropout(self.attention_output(context)))
        out = self.output(nn.functional.gelu(self.intermediate(x)))                    # (B, T, F) -> (B, T, H)
        return self.output_norm(x + self.hidden_dropout(out))


class Encoder(nn.Module):
    """Embeddings, the blocks, the mean of the real tokens' last hidden states, a linear classifier."""

    def __init__(self, c, labels):
        super().__init__()
        hidden = c["hidden"]
        self.word = nn.Embedding(c["vocab"], hidden)
        self.position = nn.Embedding(c["max_positions"], hidden)
        self.token_type = nn.Embedding(c["type_vocab"], hidden)
        self.embedding_norm = nn.LayerNorm(hidden, eps=c["layer_norm_eps"])
        self.embedding_dropout = nn.Dropout(c["hidden_dropout"])
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.classifier_dropout = nn.Dropout(c["classifier_dropout"])
        self.classifier = nn.Linear(hidden, labels)

    def forward(self, ids, mask):                                                      # ids, mask (B, T)
        t = ids.shape[1]
        x = self.word(ids) + self.position.weight[:t] + self.token_type.weight[0]      # (B, T, H)
        x = self.embedding_dropout(self.embedding_norm(x))
        mask_bias = (1.0 - mask[:, None, None, :].float()) * -1e9                      # (B, 1, 1, T)
        for block in self.blocks:
            x = block(x, mask_bias)
        weights = mask.unsqueeze(-1).float()                                           # (B, T, 1)
        pooled = (x * weights).sum(1) / weights.sum(1)                                 # (B, H)
        return self.classifier(self.classifier_dropout(pooled))                        # (B, L)


def pad(rows):
    """(ids, mask), (B, T) each, T the longest row."""
    t = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), t, dtype=torch.long)
    mask = torch.zeros(len(rows), t, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    return ids, mask


def bucketed_batches(rows, size, window, seed):
    """The engine's batches: indices shuffled, sorted by length inside windows of `window` batches, batches shuffled."""
    rng = random.Random(seed)
    order = list(range(len(rows)))
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), size * window):
        chunk = sorted(order[start:start + size * window], key=lambda i: len(rows[i]))
        batches += [chunk[b:b + size] for b in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def train_epoch(model, trainable, rows, labels, data, lr, weight_decay, warmup_ratio, seed):
    """One epoch as the engine's Trainer runs it; returns (examples, real tokens, seconds)."""
    batches = bucketed_batches(rows, data["batch"], data["bucket_window"], seed)
    total = len(batches)
    warmup = math.ceil(warmup_ratio * total)
    optimizer = torch.optim.AdamW(trainable, lr=lr, weight_decay=weight_decay)

    def rate(step):                                                                   # linear warm-up, then linear decay
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    model.train()
    examples = tokens = 0
    start = time.perf_counter()
    for batch in batches:
        ids, mask = pad([rows[i] for i in batch])
        loss = nn.functional.cross_entropy(model(ids, mask), torch.tensor([labels[i] for i in batch]))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, data["max_grad_norm"])
        optimizer.step()
        schedule.step()
        examples += len(batch)
        tokens += int(mask.sum())
    return examples, tokens, time.perf_counter() - start


def main(phase, rows_json, threads):
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(42)
    data = json.load(open(rows_json))
    model = Encoder(data["config"], 2)
    out = {"phase": phase, "torch": torch.__version__, "threads": torch.get_num_threads()}
    if phase == "forward":
        rows = sorted(data["forward"], key=len)
        batches = [pad(rows[i:i + data["batch"]]) for i in range(0, len(rows), data["batch"])]
        model.eval()
        with torch.no_grad():
            for ids, mask in batches:                                                  # warm-up: one pass
                model(ids, mask)
            start = time.perf_counter()
            for _ in range(data["passes"]):
                for ids, mask in batches:
                    model(ids, mask)
            seconds = time.perf_counter() - start
        out["tokens_per_s"] = data["passes"] * sum(int(mask.sum()) for _, mask in batches) / seconds
    else:
        rows, labels = data["train"], data["labels"]
        if phase == "lora":
            model.requires_grad_(False)
            for block in model.blocks:
                block.query, block.value = LoraLinear(block.query), LoraLinear(block.value)
            model.classifier.requires_grad_(True)
            lr = data["lora_lr"]
        else:
            lr = data["full_lr"]
        trainable = [p for p in model.parameters() if p.requires_grad]
        # the engine's warm-up run first: first-call costs are not training speed
        warm = data["warm_up_examples"]
        train_epoch(model, trainable, rows[:warm], labels[:warm], data, 1e-4, 0.0, 0.0, 1)
        examples, tokens, seconds = train_epoch(model, trainable, rows, labels, data, lr, data["weight_decay"],
                                                data["warmup_ratio"], data["seed"] + 1)
        out["examples_per_s"] = examples / seconds
        out["tokens_per_s"] = tokens / seconds
        out["examples"] = examples
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["matmul_gflops"] = matmul_gflops()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
