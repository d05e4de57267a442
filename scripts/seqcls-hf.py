#!/usr/bin/env python3
"""HuggingFace Transformers' sequence-classification recipe (run_glue.py's defaults) on CSV files, for a side-by-side
with `bert-ft train` on the same checkpoint directory: BertForSequenceClassification.from_pretrained(DIR) (pooler on
[CLS], initialised randomly when the checkpoint has none, dropout 0.1), the slow BertTokenizer from DIR's vocab.txt
and tokenizer_config.json, max length 128 with batches of 32 padded to their longest, AdamW (decay 0.01 except
biases/LayerNorm), linear schedule with 10% warm-up, clipping 1.0, shuffled each epoch. Prints validation accuracy.

Usage: . $PEER/env.sh && $PY scripts/seqcls-hf.py DIR TRAIN.csv DEV.csv [--epochs 3] [--lr 1e-4] [--seed 42]
           [--threads 1] [--batch 32] [--max-length 128] [--limit N (first N training rows)]
DIR: e.g. bert-ft's imported bge-small-zh ($BERT_FT_HOME/models/bge-small-zh). CSV columns `text`, `label`."""
import argparse, csv, random, time
import torch
from transformers import BertForSequenceClassification, BertTokenizer, get_linear_schedule_with_warmup

ap = argparse.ArgumentParser(); ap.add_argument('state'); ap.add_argument('train'); ap.add_argument('dev')
ap.add_argument('--epochs', type=float, default=3); ap.add_argument('--lr', type=float, default=1e-4)
ap.add_argument('--seed', type=int, default=42); ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--batch', type=int, default=32); ap.add_argument('--max-length', type=int, default=128)
ap.add_argument('--limit', type=int)
a = ap.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(a.seed); random.seed(a.seed)


def rows(path):
    with open(path, encoding='utf-8-sig', newline='') as f:
        return [(r['text'], r['label']) for r in csv.DictReader(f)]


train = rows(a.train)[:a.limit]; dev = rows(a.dev)
labels = sorted({l for _, l in train})
tok = BertTokenizer.from_pretrained(a.state)
model = BertForSequenceClassification.from_pretrained(a.state, num_labels=len(labels))
enc = lambda data: [(tok(t, truncation=True, max_length=a.max_length)['input_ids'], labels.index(l)) for t, l in data]
tr, dv = enc(train), enc(dev)
total = int((len(tr) + a.batch - 1) // a.batch * a.epochs)
no_decay = lambda n: n.endswith('bias') or 'LayerNorm' in n
opt = torch.optim.AdamW([{'params': [p for n, p in model.named_parameters() if not no_decay(n)], 'weight_decay': 0.01},
                         {'params': [p for n, p in model.named_parameters() if no_decay(n)], 'weight_decay': 0.0}], lr=a.lr)
sched = get_linear_schedule_with_warmup(opt, int(0.1 * total), total)


def batch(items):
    L = max(len(x) for x, _ in items)
    ids = torch.zeros(len(items), L, dtype=torch.long); mask = torch.zeros_like(ids)
    for k, (x, _) in enumerate(items):
        ids[k, :len(x)] = torch.tensor(x); mask[k, :len(x)] = 1
    return ids, mask, torch.tensor([y for _, y in items])


model.train(); step = 0; t0 = time.perf_counter()
while step < total:
    order = list(range(len(tr))); random.shuffle(order)
    for i in range(0, len(order), a.batch):
        if step >= total:
            break
        ids, mask, y = batch([tr[j] for j in order[i:i + a.batch]])
        model(input_ids=ids, attention_mask=mask, labels=y).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True); step += 1
wall = time.perf_counter() - t0
model.eval(); right = 0
with torch.no_grad():
    for i in range(0, len(dv), 64):
        ids, mask, y = batch(dv[i:i + 64])
        right += int((model(input_ids=ids, attention_mask=mask).logits.argmax(-1) == y).sum())
print(f"hf seqcls: {len(tr)} training rows, {step} steps, {wall:.1f} s training loop; "
      f"dev accuracy {right / len(dv):.4f} ({right}/{len(dv)})")
