#!/usr/bin/env python3
"""Checks a bert-ft token-classification run against HuggingFace Transformers (../shared/peer, CPU).

Usage: . $PEER/env.sh && $PY scripts/check-hf-tagger.py RUN_DIR LOGITS.jsonl TEXTS.txt TAGS.jsonl
  LOGITS.jsonl: java -cp target/bert-ft.jar scripts/TagLogits.java RUN_DIR dev.conll N
  TEXTS.txt:    one text per line;  TAGS.jsonl: bert-ft tag --model RUN_DIR --aggregation simple --json --text ...
1) the run loads as AutoModelForTokenClassification with no missing or unexpected weights, and its logits for the
   same input ids are within 1e-4 of bert-ft's; 2) pipeline("ner", aggregation_strategy="simple") gives the same
   entity groups and words, scores within 1e-4 (the peer has only slow tokenizers, so HF reports no offsets here:
   bert-ft's start/end are checked against the text instead: text[start:end] must be the entity's span).
Exits 1 on any difference."""
import json, os, sys, types
import torch
import transformers
from transformers import AutoModelForTokenClassification, BertTokenizer

# the peer's transformers has no `tokenizers`, so `transformers.pipelines`' __init__ (which imports every pipeline and
# the fast tokenizers) fails; the token-classification pipeline itself loads when the package is a bare namespace
_pipelines = types.ModuleType("transformers.pipelines")
_pipelines.__path__ = [os.path.join(os.path.dirname(transformers.__file__), "pipelines")]
sys.modules.setdefault("transformers.pipelines", _pipelines)
from transformers.pipelines.token_classification import TokenClassificationPipeline  # noqa: E402

run, logits_file, texts_file, tags_file = sys.argv[1:5]
model, info = AutoModelForTokenClassification.from_pretrained(run, output_loading_info=True)
bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
print(f"{type(model).__name__} loaded; loading info problems: {bad or 'none'}")
model.eval()
worst, windows = 0.0, 0
for line in open(logits_file):
    o = json.loads(line)
    with torch.no_grad():
        hf = model(input_ids=torch.tensor([o["ids"]])).logits[0].reshape(-1)
    worst = max(worst, (hf - torch.tensor(o["logits"])).abs().max().item()); windows += 1
print(f"logits: {windows} windows, max |bert-ft - transformers| = {worst:.2e}")
tok = BertTokenizer.from_pretrained(run)
ner = TokenClassificationPipeline(model=model, tokenizer=tok, aggregation_strategy="simple")
texts = [l.rstrip("\n") for l in open(texts_file, encoding="utf-8")]
ours = [json.loads(l) for l in open(tags_file, encoding="utf-8")]
same, score_diff, offsets_ok, n_ent = 0, 0.0, True, 0
for text, mine in zip(texts, ours):
    theirs = ner(text)
    a = [(e["entity_group"], e["word"]) for e in theirs]
    b = [(e["entity_group"], e["word"]) for e in mine]
    if a == b:
        same += 1
        score_diff = max([score_diff] + [abs(float(x["score"]) - y["score"]) for x, y in zip(theirs, mine)])
    else:
        print(f"DIFFERENT: {text!r}\n  transformers {a}\n  bert-ft      {b}")
    for e in mine:
        n_ent += 1
        span = text[e["start"]:e["end"]].lower()
        ok = span.replace(" ", "") == e["word"].replace(" ", "").replace("##", "").lower()
        if not ok:
            print(f"OFFSETS: {text!r}[{e['start']}:{e['end']}] = {span!r}, word {e['word']!r}")
        offsets_ok &= ok
print(f"pipeline simple: {same}/{len(texts)} texts with the same entity groups and words ({n_ent} entities),"
      f" max score difference {score_diff:.2e}; bert-ft offsets cover the entity words: {offsets_ok}")
sys.exit(0 if not bad and worst <= 1e-4 and same == len(texts) and score_diff <= 1e-4 and offsets_ok else 1)
