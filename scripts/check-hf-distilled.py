# Loads a bert-ft distilled run with Transformers and prints its probabilities of the first dev sentences.
import csv, sys, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
run, dev = sys.argv[1], sys.argv[2]
tok = AutoTokenizer.from_pretrained(run, use_fast=False)
model = AutoModelForSequenceClassification.from_pretrained(run).eval()
print("layers", model.config.num_hidden_layers, "params", sum(p.numel() for p in model.parameters()))
rows = list(csv.DictReader(open(dev)))[:8]
with torch.no_grad():
    for r in rows:
        p = model(**tok(r["text"], return_tensors="pt", truncation=True, max_length=128)).logits.softmax(-1)[0]
        print("%.5f %.5f" % (p[0].item(), p[1].item()))
