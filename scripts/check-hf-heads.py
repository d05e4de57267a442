#!/usr/bin/env python3
"""Loads bert-ft runs with a QA or token-classification head in HuggingFace Transformers (AutoModelForQuestionAnswering
/ AutoModelForTokenClassification, plain classes, no remote code) and compares logits for bert-ft's own ids.

Usage: . ~/.cache/bert-ft-peer/env.sh && $PY scripts/check-hf-heads.py RUN_DIR LOGITS.jsonl
  LOGITS.jsonl: java -cp 'target/bert-ft.jar:target/lib/*' scripts/HeadLogits.java RUN_DIR INPUT... > LOGITS.jsonl
Prints one line: the class, loading problems, inputs, max |logit diff|. Exits 1 when the model does not load cleanly
(missing, unexpected or mismatched weights) or a logit differs by more than 1e-4."""
import inspect, json, sys
import torch
from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoModelForTokenClassification

run, logits_file = sys.argv[1:3]
arch = AutoConfig.from_pretrained(run).architectures[0]
auto = AutoModelForQuestionAnswering if arch.endswith("ForQuestionAnswering") else AutoModelForTokenClassification
model, info = auto.from_pretrained(run, output_loading_info=True)
bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
model.eval()
takes_types = "token_type_ids" in inspect.signature(model.forward).parameters
worst, n = 0.0, 0
for line in open(logits_file):
    o = json.loads(line)
    kw = {"input_ids": torch.tensor([o["ids"]])}
    if takes_types and getattr(model.config, "type_vocab_size", 0) > 1:
        kw["token_type_ids"] = torch.tensor([o["type_ids"]])
    with torch.no_grad():
        out = model(**kw)
    hf = torch.stack([out.start_logits, out.end_logits], -1) if auto is AutoModelForQuestionAnswering else out.logits
    worst = max(worst, (hf.reshape(-1) - torch.tensor(o["logits"])).abs().max().item())
    n += 1
print(f"{type(model).__name__} | loading problems: {bad or 'none'} | {n} inputs | max |logit diff| {worst:.2e}")
sys.exit(0 if not bad and n and worst <= 1e-4 else 1)
