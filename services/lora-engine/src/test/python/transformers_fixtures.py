# What Hugging Face transformers and PEFT themselves compute on the engine's test checkpoints: the independent
# reference for every family the engine loads.
#
# The checkpoints under src/test/resources/{encoders,decoders}/ were written by encoder_fixtures.py and
# decoder_fixtures.py, whose expected.json come from a port written in this repository. This script does not port
# anything: it opens each checkpoint directory with transformers' AutoModelForSequenceClassification (eager
# attention, f32) and its tokenizer.json with the tokenizers library, wraps the model with PEFT's get_peft_model,
# and records what they output. So a misreading of transformers shared by the engine and our port shows up here.
#
# For each checkpoint it writes <checkpoint>/transformers/:
#   expected.json   versions; the texts; the token ids the tokenizers library gives each text; the right-padded batch;
#                   the bare base's last hidden states (batched); the pooled hidden state each text alone; for each
#                   adapter below, its logits batched and each text alone; and the modules PEFT gives LoRA for
#                   target_modules="all-linear" with the family's head in modules_to_save (or PEFT's error)
#   lora/           a PEFT adapter (save_pretrained) with random non-zero lora_A and lora_B on the family's linears
#                   and the family's sequence-classification head in modules_to_save, random as well
#   head/           the same head, with PEFT's default initialisation of LoRA (lora_B zero): its logits are the
#                   base's own, read through the head
#   lora-gradients.safetensors
#                   one training step's gradients of the lora adapter, under the names PEFT saves the tensors by:
#                   transformers' own loss (labels given, mean cross-entropy) on the padded batch, no dropout;
#                   expected.json has the labels and the loss
#
# And src/test/resources/tokenizers/<kind>/{tokenizer.json, expected.json}: tokenizers trained here with the
# tokenizers library on SST-2's training sentences (load-tests/data/sst2), the kinds the families ship: BERT's
# WordPiece ([CLS] … [SEP], lower-cased), RoBERTa's byte-level BPE (<s> … </s>), Llama's byte-level BPE with a BOS
# (<s> …) and Qwen2's with none; with the ids the library gives SST-2's dev sentences and some awkward texts,
# truncated at 64 tokens as the engine's tests load bases.
#
# Needs python3 with torch, transformers 5, peft and tokenizers (pip install torch transformers peft tokenizers;
# the CPU build of torch is enough). No network: everything is read from the checkpoint directories.
# Usage: python3 transformers_fixtures.py RESOURCES_DIR SST2_DIR
#   (src/test/resources of the lora-engine module, and load-tests/data/sst2)
# Deterministic for given versions (seeded); about 200 KB in all. Every logit and hidden state is computed in f32.
import json
import os
import sys

import peft
import tokenizers
import torch
from tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers
import transformers
from peft import LoraConfig, get_peft_model
from peft.utils import get_peft_model_state_dict
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForSequenceClassification

TEXTS = ["the film is fine", "a long and winding text about the thing , in the end", "in fin", "ok"]

# checkpoint directory → (LoRA targets in the family's own names, the head PEFT must save in full, labels)
CHECKPOINTS = {
    "encoders/bert": (["query", "key", "value", "intermediate.dense", "output.dense"], ["pooler", "classifier"], 2),
    "encoders/roberta": (["query", "key", "value", "intermediate.dense", "output.dense"], ["classifier"], 2),
    "encoders/distilbert": (["q_lin", "k_lin", "v_lin", "out_lin", "lin1", "lin2"], ["pre_classifier", "classifier"], 2),
    "decoders/llama": (["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], ["score"], 3),
    "decoders/llama3-bf16-sharded": (["q_proj", "v_proj", "down_proj"], ["score"], 2),
    "decoders/qwen2-f16": (["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], ["score"], 2),
    "decoders/mistral-mqa-window": (["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], ["score"], 2),
}


def padded(ids, pad_id):
    """Right padding, as the engine batches: (B, T) ids and attention mask."""
    width = max(len(row) for row in ids)
    batch = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        batch[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
    return batch, mask


def pooled(base_output, mask, decoder):
    """The hidden state the family's head reads: the last real token for decoders, the first token for encoders."""
    hidden = base_output.last_hidden_state  # (B, T, H)
    if decoder:
        last = mask.sum(dim=1) - 1  # right padding: the last real token of each row
        return hidden[torch.arange(hidden.shape[0]), last]
    return hidden[:, 0]


def randomise(module, std, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * std)


def adapter(model, targets, head, lora_nonzero, seed):
    """A PEFT sequence-classification LoRA model over a fresh copy of model; lora_nonzero: random lora_B too."""
    config = LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0, target_modules=targets,
                        modules_to_save=head, init_lora_weights=True)
    wrapped = get_peft_model(model, config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in wrapped.named_parameters():
            if "lora_A" in name or ("lora_B" in name and lora_nonzero):
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)
    return wrapped.eval()


def logits(model, ids, batch, mask):
    with torch.no_grad():
        together = model(input_ids=batch, attention_mask=mask).logits
        alone = [model(input_ids=torch.tensor([row])).logits[0] for row in ids]
    return together.tolist(), [row.tolist() for row in alone]


def gradients(model, batch, mask, labels, path):
    """One backward of transformers' own loss through the PEFT model; the gradients under PEFT's saved names."""
    targets = torch.arange(batch.shape[0]) % labels
    model.zero_grad()
    loss = model(input_ids=batch, attention_mask=mask, labels=targets).loss
    loss.backward()
    trained = {name: parameter.grad.detach().clone() for name, parameter in model.named_parameters() if parameter.requires_grad}
    save_file({name: grad.contiguous() for name, grad in get_peft_model_state_dict(model, state_dict=trained).items()}, path)
    model.zero_grad()
    return {"labels": targets.tolist(), "loss": loss.item()}


def all_linear(model, head):
    """The modules PEFT's own "all-linear" resolves to on this model, by name inside the model; or PEFT's error."""
    try:
        wrapped = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=4, target_modules="all-linear", modules_to_save=head))
    except Exception as e:  # recorded, not hidden: the test reads it
        return {"error": f"{type(e).__name__}: {e}"}
    prefix = "base_model.model."
    return {"modules": sorted({name[len(prefix):name.index(".lora_A")] for name, _ in wrapped.named_parameters() if ".lora_A." in name})}


def write(resources, checkpoint, targets, head, labels, seed):
    source = os.path.join(resources, checkpoint)
    out = os.path.join(source, "transformers")
    os.makedirs(out, exist_ok=True)
    decoder = checkpoint.startswith("decoders/")
    config = AutoConfig.from_pretrained(source)
    tokenizer = tokenizers.Tokenizer.from_file(os.path.join(source, "tokenizer.json"))
    ids = [tokenizer.encode(text).ids for text in TEXTS]
    batch, mask = padded(ids, config.pad_token_id)

    def fresh():
        # f32 whatever the checkpoint's dtype; eager attention, the reference path
        model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=labels, dtype=torch.float32, ignore_mismatched_sizes=True,
                                                                   attn_implementation="eager").eval()
        # a head of its own, so that no checkpoint's (or default initialisation's) head is assumed; PEFT's rule: a
        # module_to_save is every module whose name is it or ends with "." + it
        for name, module in model.named_modules():
            if any(name == h or name.endswith("." + h) for h in head):
                randomise(module, 0.3, seed + len(name))
        return model

    base = fresh()
    with torch.no_grad():
        hidden = base.base_model(input_ids=batch, attention_mask=mask)
        alone = [pooled(base.base_model(input_ids=torch.tensor([row])), torch.ones(1, len(row), dtype=torch.long), decoder)[0]
                 for row in ids]
    expected = {
        "versions": {"transformers": transformers.__version__, "peft": peft.__version__, "torch": torch.__version__,
                     "tokenizers": tokenizers.__version__},
        "class": type(base).__name__, "texts": TEXTS, "input_ids": ids, "pad_token_id": config.pad_token_id,
        "batch_input_ids": batch.tolist(), "batch_attention_mask": mask.tolist(),
        "last_hidden_state": hidden.last_hidden_state.tolist(),
        "pooled": pooled(hidden, mask, decoder).tolist(), "pooled_each_alone": [row.tolist() for row in alone],
        "adapters": {},
    }
    expected["all_linear"] = all_linear(fresh(), head)
    for name, nonzero in (("lora", True), ("head", False)):
        model = adapter(fresh(), targets, head, nonzero, seed + 1)
        model.save_pretrained(os.path.join(out, name))
        os.remove(os.path.join(out, name, "README.md"))  # PEFT's model card: nothing the engine reads
        together, each = logits(model, ids, batch, mask)
        expected["adapters"][name] = {"logits": together, "logits_each_alone": each}
        if nonzero:
            expected["training"] = gradients(model, batch, mask, labels, os.path.join(out, "lora-gradients.safetensors"))
        print(json.dumps({"checkpoint": checkpoint, "adapter": name, "logits0": together[0],
                          "files": sorted(os.listdir(os.path.join(out, name)))}), flush=True)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)


AWKWARD = ["", "   ", "naïve café — déjà vu", "東京 の 映画 🎬🍿", "tab\there\nand a new line", "UPPER lower MiXeD",
           "word " * 100, "don't, won't; can't: (maybe) [sic] {x} 1,234.56 $7 #hash @at"]


def sentences(path):
    with open(path, encoding="utf-8") as f:
        next(f)  # header
        return [line.split("\t")[0] for line in f if line.strip()]


def byte_level_bpe(corpus, specials):
    tokenizer = tokenizers.Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=1000, special_tokens=specials,
                                                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return tokenizer


def wordpiece(corpus):
    tokenizer = tokenizers.Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=1000,
                                                                    special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    return tokenizer


def template(tokenizer, single, specials):
    return processors.TemplateProcessing(single=single, special_tokens=[(t, tokenizer.token_to_id(t)) for t in specials])


def write_tokenizers(resources, sst2):
    corpus = sentences(os.path.join(sst2, "train.tsv"))[:20000]
    texts = sentences(os.path.join(sst2, "dev.tsv"))[:200] + AWKWARD
    bert = wordpiece(corpus)
    bert.post_processor = template(bert, "[CLS] $A [SEP]", ["[CLS]", "[SEP]"])
    roberta = byte_level_bpe(corpus, ["<s>", "<pad>", "</s>", "<unk>"])
    roberta.post_processor = processors.RobertaProcessing(("</s>", roberta.token_to_id("</s>")), ("<s>", roberta.token_to_id("<s>")))
    llama = byte_level_bpe(corpus, ["<s>", "<pad>", "</s>", "<unk>"])
    llama.post_processor = template(llama, "<s> $A", ["<s>"])
    qwen2 = byte_level_bpe(corpus, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    qwen2.post_processor = processors.ByteLevel(trim_offsets=False)
    for kind, tokenizer in (("wordpiece-bert", bert), ("bpe-roberta", roberta), ("bpe-llama", llama), ("bpe-qwen2", qwen2)):
        out = os.path.join(resources, "tokenizers", kind)
        os.makedirs(out, exist_ok=True)
        tokenizer.save(os.path.join(out, "tokenizer.json"))
        tokenizer.enable_truncation(64)
        ids = [encoding.ids for encoding in tokenizer.encode_batch(texts)]
        with open(os.path.join(out, "expected.json"), "w") as f:
            json.dump({"versions": {"tokenizers": tokenizers.__version__}, "max_length": 64, "texts": texts, "input_ids": ids}, f)
        print(json.dumps({"tokenizer": kind, "vocab": tokenizer.get_vocab_size(), "first": ids[0], "longest": max(map(len, ids))}))


def main():
    resources = sys.argv[1]
    write_tokenizers(resources, sys.argv[2])
    torch.manual_seed(20261206)
    for seed, (checkpoint, (targets, head, labels)) in enumerate(CHECKPOINTS.items()):
        write(resources, checkpoint, targets, head, labels, 100 * seed)


if __name__ == "__main__":
    main()
