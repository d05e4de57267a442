#!/usr/bin/env python3
"""Writes N random LoRA adapters (PEFT 0.5, SEQ_CLS, r 8, alpha 16, query/value, 2 labels; the pooler saved with
the head, since the base has none) on BASE into OUT/a0 .. OUT/a<N-1>, as Python's PEFT saves them: for measuring many
adapters on one base (scripts/bench-adapters). Random A and B (init_lora_weights=False) and a random head per
adapter, so each adapter answers differently.

usage (with the HF peer: . ~/.cache/bert-ft-peer/env.sh): $PY make-lora-adapters.py BASE OUT N [SEED]
"""
import os
import sys

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForSequenceClassification


def main():
    base, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    for i in range(n):
        torch.manual_seed(seed + i)
        model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=2)
        cfg = LoraConfig(task_type="SEQ_CLS", r=8, lora_alpha=16, lora_dropout=0.1, target_modules=["query", "value"],
                         modules_to_save=["classifier", "pooler"],
                         init_lora_weights=False)
        peft = get_peft_model(model, cfg)
        with torch.no_grad():
            for name, p in peft.named_parameters():
                if "lora_" in name:
                    p.mul_(0.05)  # random but small: the base still shows through
        peft.save_pretrained(os.path.join(out, f"a{i}"), safe_serialization=True)
    print(f"{n} adapters in {out}")


if __name__ == "__main__":
    main()
