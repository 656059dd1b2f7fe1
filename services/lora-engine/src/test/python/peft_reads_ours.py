# The other direction of TransformersReferenceTest: adapters saved by the engine are a drop-in for Hugging Face.
#
# TransformersReferenceTest loads each PEFT adapter of src/test/resources/<checkpoint>/transformers/ into the engine
# and saves it again with AdapterFiles.save, under target/peft-reads-ours/<checkpoint>/<adapter>/ (our
# adapter_config.json, our target_modules and modules_to_save, our safetensors writer). This script loads each of those
# copies the way a PEFT user would, AutoModelForSequenceClassification.from_pretrained(checkpoint) then
# PeftModel.from_pretrained(model, copy), and compares the logits with what transformers computed on PEFT's own file
# (expected.json). A tensor PEFT did not load, or a setting it reads otherwise than we meant, shows as a difference;
# it fails on a difference of 1e-4 or more.
#
# Needs what transformers_fixtures.py needs. Usage, from the lora-engine module after its tests ran:
#   python3 src/test/python/peft_reads_ours.py src/test/resources target/peft-reads-ours
import json
import os
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForSequenceClassification

from transformers_fixtures import CHECKPOINTS


def main():
    resources, ours = sys.argv[1], sys.argv[2]
    worst = 0.0
    for checkpoint in CHECKPOINTS:
        source = os.path.join(resources, checkpoint)
        with open(os.path.join(source, "transformers", "expected.json")) as f:
            expected = json.load(f)
        batch = torch.tensor(expected["batch_input_ids"])
        mask = torch.tensor(expected["batch_attention_mask"])
        for kind, want in expected["adapters"].items():
            labels = len(want["logits"][0])
            model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=labels, dtype=torch.float32,
                                                                       ignore_mismatched_sizes=True, attn_implementation="eager")
            wrapped = PeftModel.from_pretrained(model, os.path.join(ours, checkpoint, kind)).eval()
            with torch.no_grad():
                got = wrapped(input_ids=batch, attention_mask=mask).logits
            diff = (got - torch.tensor(want["logits"])).abs().max().item()
            worst = max(worst, diff)
            print(json.dumps({"checkpoint": checkpoint, "adapter": kind, "max_abs_diff": diff}), flush=True)
            if diff >= 1e-4:
                sys.exit(f"{checkpoint} {kind}: PEFT's logits on our copy differ by {diff}")
    print(f"every copy loads into PEFT; worst |logits - transformers| {worst:.2e}")


if __name__ == "__main__":
    main()
