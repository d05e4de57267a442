#!/usr/bin/env python3
"""Checks that a model saved by bert-ft loads in HuggingFace Transformers and predicts what bert-ft predicted.

Usage (on a machine with transformers + torch):
    python3 scripts/check-hf-interop.py RUN_DIR PREDICTIONS.csv

RUN_DIR is a bert-ft run directory (pooling: pooler, i.e. BertForSequenceClassification) and PREDICTIONS.csv the
output of `bert-ft classify FILE --model RUN_DIR --out PREDICTIONS.csv` (text column `text`, p_<label> columns).
Exits 1 when a probability differs by more than 1e-3 (bert-ft prints 4 decimals), or the model does not load.
"""
import csv
import sys

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def main(run_dir, predictions):
    model = AutoModelForSequenceClassification.from_pretrained(run_dir).eval()
    tok = AutoTokenizer.from_pretrained(run_dir)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    rows = list(csv.DictReader(open(predictions, encoding="utf-8")))
    worst = 0.0
    with torch.no_grad():
        for row in rows:
            enc = tok(row["text"], truncation=True, max_length=128, return_tensors="pt")
            probs = torch.softmax(model(**enc).logits[0], -1).tolist()
            for label, p in zip(labels, probs):
                worst = max(worst, abs(p - float(row["p_" + label])))
    print(f"{len(rows)} rows, labels {labels}, max |p_hf - p_bertft| = {worst:.2e}")
    return 0 if worst <= 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
