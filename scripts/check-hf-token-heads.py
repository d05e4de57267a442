#!/usr/bin/env python3
"""Loads bert-ft's token-classification models of every family (scripts/TokenHeads.java) in Transformers and
compares logits. Usage: . $PEER/env.sh && $PY scripts/check-hf-token-heads.py DIR ... (each DIR holds the saved
model and logits.json). Exits 1 when a model does not load cleanly or a logit differs by more than 1e-4."""
import json, os, sys
import torch
from transformers import AutoModelForTokenClassification

ok = True
for d in sys.argv[1:]:
    o = json.load(open(os.path.join(d, "logits.json")))
    model, info = AutoModelForTokenClassification.from_pretrained(d, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    with torch.no_grad():
        hf = model.eval()(input_ids=torch.tensor([o["ids"]])).logits.reshape(-1)
    diff = (hf - torch.tensor(o["logits"])).abs().max().item()
    print(f"{type(model).__name__:40s} loading problems: {bad or 'none'}; max |logit diff| {diff:.2e}")
    ok &= not bad and diff <= 1e-4
sys.exit(0 if ok else 1)
