# Encoder fixtures for the engine's tests: tiny random BERT, RoBERTa and DistilBERT sequence classifiers and what a
# plain PyTorch forward computes on them, heads included.
#
# Provenance: as decoder_fixtures.py (whose tokenizer and safetensors writer this reuses) — a port, written in this
# repository, of the eager path of Hugging Face transformers' BertForSequenceClassification (token type 0, post-LN
# blocks, the pooler dense → tanh on [CLS], then the classifier), RobertaForSequenceClassification (positions counted
# from pad_token_id + 1, one token type, post-LN blocks, exact-erf GELU, the classification head dense → tanh →
# out_proj on the first token) and DistilBertForSequenceClassification (no token types, sa_layer_norm and
# output_layer_norm, the head pre_classifier → ReLU → classifier on the first token), run on Debian's PyTorch. It is
# not transformers itself; the check against transformers' own outputs is a separate fixture set.
#
# Usage: /usr/bin/python3 encoder_fixtures.py OUT_DIR    (writes OUT_DIR/bert, OUT_DIR/roberta and OUT_DIR/distilbert)
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from decoder_fixtures import fresh_model_dir, padded_batch, safetensors_bytes, tokenizer_json  # noqa: E402

torch.manual_seed(20261206)


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def encoder(c, w, x, mask, names):
    """Post-LN blocks over embeddings x (B, T, H); names maps a role to the checkpoint's path inside a block."""
    b, t, h = x.shape
    n = c["heads"]
    d = h // n
    bias = torch.zeros(b, 1, 1, t).masked_fill(~mask.bool()[:, None, None, :], torch.finfo(torch.float32).min)
    for i in range(c["layers"]):
        p = names["block"] % i

        def lin(role, v):
            return v @ w[p + names[role] + ".weight"].T + w[p + names[role] + ".bias"]

        q = lin("q", x).view(b, t, n, d).transpose(1, 2)
        k = lin("k", x).view(b, t, n, d).transpose(1, 2)
        v = lin("v", x).view(b, t, n, d).transpose(1, 2)
        probs = torch.softmax(q @ k.transpose(2, 3) / d ** 0.5 + bias, dim=-1)
        context = (probs @ v).transpose(1, 2).reshape(b, t, h)
        x = layer_norm(x + lin("o", context), w[p + names["ln1"] + ".weight"], w[p + names["ln1"] + ".bias"], c["eps"])
        ffn = lin("down", torch.nn.functional.gelu(lin("up", x)))
        x = layer_norm(x + ffn, w[p + names["ln2"] + ".weight"], w[p + names["ln2"] + ".bias"], c["eps"])
    return x


def roberta(c, w, ids, mask, pad):
    positions = torch.cumsum(mask, dim=1) * mask + pad                  # real tokens pad+1, pad+2, …; padding pad
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][positions] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], c["eps"])
    names = {"block": "encoder.layer.%d.", "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "up": "intermediate.dense",
             "down": "output.dense", "ln2": "output.LayerNorm"}
    hidden = encoder(c, w, x, mask, names)
    first = hidden[:, 0]
    logits = torch.tanh(first @ w["classifier.dense.weight"].T + w["classifier.dense.bias"]) @ w["classifier.out_proj.weight"].T \
        + w["classifier.out_proj.bias"]
    return hidden, logits


BERT_NAMES = {"block": "encoder.layer.%d.", "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
              "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "up": "intermediate.dense",
              "down": "output.dense", "ln2": "output.LayerNorm"}


def bert(c, w, ids, mask, pad):
    t = ids.shape[1]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][torch.arange(t)] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], c["eps"])
    hidden = encoder(c, w, x, mask, BERT_NAMES)
    pooled = torch.tanh(hidden[:, 0] @ w["bert.pooler.dense.weight"].T + w["bert.pooler.dense.bias"])
    logits = pooled @ w["classifier.weight"].T + w["classifier.bias"]
    return hidden, logits


def distilbert(c, w, ids, mask, pad):
    t = ids.shape[1]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][torch.arange(t)]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], c["eps"])
    names = {"block": "transformer.layer.%d.", "q": "attention.q_lin", "k": "attention.k_lin", "v": "attention.v_lin",
             "o": "attention.out_lin", "ln1": "sa_layer_norm", "up": "ffn.lin1", "down": "ffn.lin2", "ln2": "output_layer_norm"}
    hidden = encoder(c, w, x, mask, names)
    first = hidden[:, 0]
    logits = torch.relu(first @ w["pre_classifier.weight"].T + w["pre_classifier.bias"]) @ w["classifier.weight"].T + w["classifier.bias"]
    return hidden, logits


def weights(kind, vocab, h, f, layers, positions, labels):
    r = lambda *s: torch.randn(*s) * 0.15
    norm = lambda: (1 + 0.1 * torch.randn(h), 0.1 * torch.randn(h))
    w = {"embeddings.word_embeddings.weight": torch.randn(vocab, h), "embeddings.position_embeddings.weight": torch.randn(positions, h)}
    w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"] = norm()
    if kind in ("bert", "roberta"):
        w["embeddings.token_type_embeddings.weight"] = torch.randn(2 if kind == "bert" else 1, h)
        block = "encoder.layer.%d."
        linears = [("attention.self.query", h, h), ("attention.self.key", h, h), ("attention.self.value", h, h),
                   ("attention.output.dense", h, h), ("intermediate.dense", f, h), ("output.dense", h, f)]
        norms = ["attention.output.LayerNorm", "output.LayerNorm"]
        head = [("bert.pooler.dense", h, h), ("classifier", labels, h)] if kind == "bert" \
            else [("classifier.dense", h, h), ("classifier.out_proj", labels, h)]
    else:
        block = "transformer.layer.%d."
        linears = [("attention.q_lin", h, h), ("attention.k_lin", h, h), ("attention.v_lin", h, h), ("attention.out_lin", h, h),
                   ("ffn.lin1", f, h), ("ffn.lin2", h, f)]
        norms = ["sa_layer_norm", "output_layer_norm"]
        head = [("pre_classifier", h, h), ("classifier", labels, h)]
    for i in range(layers):
        for name, out, inp in linears:
            w[block % i + name + ".weight"] = r(out, inp)
            w[block % i + name + ".bias"] = r(out)
        for name in norms:
            w[block % i + name + ".weight"], w[block % i + name + ".bias"] = norm()
    for name, out, inp in head:
        w[name + ".weight"] = r(out, inp) * 2
        w[name + ".bias"] = r(out)
    return w, [name for name, _, _ in head]


def main(out_dir):
    tok, vocab = tokenizer_json()
    for kind in ("roberta", "distilbert", "bert"):  # bert last: the others keep the random draws they were made with
        h, f, layers, labels = 32, 64, 2, 3
        pad = 1 if kind == "roberta" else 0
        positions = 64 + (pad + 1 if kind == "roberta" else 0)
        if kind == "bert":
            positions = 64
            config = {"model_type": "bert", "architectures": ["BertForSequenceClassification"], "vocab_size": vocab,
                      "hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 4, "intermediate_size": f,
                      "hidden_act": "gelu", "max_position_embeddings": positions, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
                      "pad_token_id": pad}
            eps, prefix = 1e-12, "bert."
        elif kind == "roberta":
            config = {"model_type": "roberta", "architectures": ["RobertaForSequenceClassification"], "vocab_size": vocab,
                      "hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 4, "intermediate_size": f,
                      "hidden_act": "gelu", "max_position_embeddings": positions, "type_vocab_size": 1, "layer_norm_eps": 1e-5,
                      "pad_token_id": pad, "bos_token_id": 0, "eos_token_id": 2}
            eps, prefix = 1e-5, "roberta."
        else:
            config = {"model_type": "distilbert", "architectures": ["DistilBertForSequenceClassification"], "vocab_size": vocab,
                      "dim": h, "n_layers": layers, "n_heads": 4, "hidden_dim": f, "activation": "gelu",
                      "max_position_embeddings": positions, "pad_token_id": pad, "sinusoidal_pos_embds": False}
            eps, prefix = 1e-12, "distilbert."
        c = {"heads": 4, "layers": layers, "eps": eps}
        w, head = weights(kind, vocab, h, f, layers, positions, labels)
        is_head = lambda k: any(k.startswith(m + ".") for m in head)
        stored = {(k if is_head(k) else prefix + k): v for k, v in w.items()}
        d = fresh_model_dir(os.path.join(out_dir, kind), config, tok)
        open(os.path.join(d, "model.safetensors"), "wb").write(safetensors_bytes(stored, torch.float32))

        rows, ids, mask = padded_batch(vocab, pad)
        forward = {"bert": bert, "roberta": roberta, "distilbert": distilbert}[kind]
        with torch.no_grad():
            hidden, logits = forward(c, w, ids, mask, pad)
            alone = [forward(c, w, torch.tensor([r]), torch.ones(1, len(r), dtype=torch.long), pad)[1][0].tolist() for r in rows]
        expected = {"variant": kind, "torch": torch.__version__, "head_modules": head, "input_ids": rows,
                    "batch_input_ids": ids.tolist(), "batch_attention_mask": mask.tolist(),
                    "last_hidden_state": hidden.tolist(), "logits": logits.tolist(), "logits_each_alone": alone}
        json.dump(expected, open(os.path.join(d, "expected.json"), "w"))
        print(kind, sorted(os.listdir(d)), "alone vs batched max diff %.2e" % (logits - torch.tensor(alone)).abs().max().item())


if __name__ == "__main__":
    main(sys.argv[1])
