#!/usr/bin/env python3
"""Checks that a model saved by bert-ft loads in HuggingFace Transformers and predicts what bert-ft predicted.

Usage (on a machine with transformers + torch):
    python3 scripts/check-hf-interop.py RUN_DIR PREDICTIONS.csv
    python3 scripts/check-hf-interop.py --qa RUN_DIR CONTEXT.txt ANSWERS.jsonl

Any family bert-ft saves: bert, distilbert, roberta, xlm-roberta, camembert, electra, deberta-v2. The run directory
must load as its own HuggingFace class (architectures[0], e.g. RobertaForSequenceClassification) with no missing or
unexpected weights. Only the heads HuggingFace has are comparable: `pooling: pooler` (BERT), or the family's own
head (`pooler` or `cls` for the other families) load as their own class; bert-ft's own heads (`mean`, and `cls` on
BERT) load through the run's modeling_bertft.py (`auto_map`, trust_remote_code=True).

Classification: PREDICTIONS.csv is the output of
    bert-ft classify FILE --model RUN_DIR --out PREDICTIONS.csv
(text column `text`, p_<label> columns). Exits 1 when a probability differs by more than 1e-3 (bert-ft prints 4
decimals).

Any family, bert-ft's own ids: IDS.jsonl is the output of
    java -cp 'target/bert-ft.jar:target/lib/*' scripts/SeqLogits.java RUN_DIR "text" ["text" ...] > IDS.jsonl
    python3 scripts/check-hf-interop.py --ids RUN_DIR IDS.jsonl
The model gets bert-ft's token ids, so runs without a slow tokenizer compare too; where the run has one (vocab.txt)
its ids are checked against bert-ft's. Exits 1 when a probability differs by more than 1e-4.

QA: ANSWERS.jsonl is the output of
    bert-ft qa --model RUN_DIR --context-file CONTEXT.txt --question "..." [--question ...] --json
Each question is asked to transformers' question-answering pipeline with the run's max length and doc stride; exits 1
when the best answer's text differs.

To check every family at once, fine-tune (or take) one model per family, e.g.:
    for m in bert-base-uncased distilbert-base-uncased roberta-base xlm-roberta-base \
             google/electra-small-discriminator microsoft/deberta-v3-small; do
        bert-ft train tasks/sst2.yaml --model $m --out runs/interop-${m##*/} --epochs 0.05
        bert-ft classify data/sst2/dev.csv --model runs/interop-${m##*/} --out /tmp/p-${m##*/}.csv
        python3 scripts/check-hf-interop.py runs/interop-${m##*/} /tmp/p-${m##*/}.csv
    done
"""
import csv
import json
import sys

import torch
import transformers
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

FAMILIES = {"bert", "distilbert", "roberta", "xlm-roberta", "camembert", "electra", "deberta-v2"}


def load(run_dir, suffix):
    """The run as the HuggingFace class its config names, refusing missing/unexpected weights."""
    config = AutoConfig.from_pretrained(run_dir)
    if config.model_type not in FAMILIES:
        sys.exit(f"{run_dir}: model_type {config.model_type!r} is not one bert-ft writes")
    arch = (config.architectures or [""])[0]
    if not arch.endswith(suffix):
        sys.exit(f"{run_dir}: architectures[0] is {arch!r}, expected *{suffix}")
    pooling = getattr(config, "bert_ft_pooling", "pooler")
    remote = getattr(config, "auto_map", None)
    if remote:
        # a head HuggingFace has no class for: bert-ft ships it as modeling_bertft.py
        model, info = AutoModelForSequenceClassification.from_pretrained(run_dir, trust_remote_code=True,
                                                                         output_loading_info=True)
        # the pooler's weights are not used by `cls` and `mean` pooling; a base model without them is fine
        info["missing_keys"] = [k for k in info["missing_keys"] if ".pooler." not in k]
    elif pooling == "mean" or (config.model_type == "bert" and pooling != "pooler"):
        sys.exit(f"{run_dir}: bert_ft_pooling {pooling!r} has no HuggingFace class and the run has no auto_map"
                 " (trained before bert-ft shipped modeling_bertft.py); train it again")
    else:
        model, info = getattr(transformers, arch).from_pretrained(run_dir, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        sys.exit(f"{run_dir}: {arch} does not load cleanly: {bad}")
    task = getattr(config, "bert_ft_task", {}) or {}
    try:
        tok = AutoTokenizer.from_pretrained(run_dir, use_fast=False)  # Debian has no fast-tokenizer package
    except Exception:  # no slow tokenizer for this run (tokenizer.json only, and no fast-tokenizer package)
        tok = None
    return model.eval(), tok, task


def classification(run_dir, predictions):
    model, tok, task = load(run_dir, "ForSequenceClassification")
    max_length = task.get("max_length", min(tok.model_max_length, 512))
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    rows = list(csv.DictReader(open(predictions, encoding="utf-8")))
    worst = 0.0
    with torch.no_grad():
        for row in rows:
            enc = tok(row["text"], truncation=True, max_length=max_length, return_tensors="pt")
            logits = model(**enc).logits[0]
            multi = model.config.problem_type == "multi_label_classification"
            probs = (torch.sigmoid(logits) if multi else torch.softmax(logits, -1)).tolist()
            for label, p in zip(labels, probs):
                worst = max(worst, abs(p - float(row["p_" + label])))
    print(f"{model.config.model_type}: {len(rows)} rows, labels {labels}, max |p_hf - p_bertft| = {worst:.2e}")
    return 0 if worst <= 1e-3 else 1


def qa(run_dir, context_file, answers):
    model, tok, task = load(run_dir, "ForQuestionAnswering")
    context = open(context_file, encoding="utf-8").read()
    pipe = transformers.pipeline("question-answering", model=model, tokenizer=tok)
    max_length = task.get("max_length", min(tok.model_max_length, 384))
    stride = task.get("doc_stride", min(128, max_length // 2))
    wrong = 0
    lines = [json.loads(l) for l in open(answers, encoding="utf-8") if l.strip()]
    for line in lines:
        ours = line["answers"][0]["answer"] if line["answers"] else ""
        theirs = pipe(question=line["question"], context=context, max_seq_len=max_length, doc_stride=stride)["answer"]
        if ours.strip() != theirs.strip():
            wrong += 1
            print(f"differs: {line['question']!r}: bert-ft {ours!r}, transformers {theirs!r}")
    print(f"{model.config.model_type}: {len(lines)} questions, {wrong} answers differ")
    return 0 if wrong == 0 else 1


def by_ids(run_dir, lines):
    """bert-ft's ids and logits (scripts/SeqLogits.java) against the model in Transformers on the same ids; where
    the run has a slow tokenizer (vocab.txt), its ids are compared too."""
    model, tok, task = load(run_dir, "ForSequenceClassification")
    multi = model.config.problem_type == "multi_label_classification"
    worst, id_diffs = 0.0, 0
    rows = [json.loads(l) for l in open(lines, encoding="utf-8") if l.strip()]
    with torch.no_grad():
        for row in rows:
            ids = torch.tensor([row["ids"]])
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0]
            ours = torch.tensor(row["logits"])
            p, q = (torch.sigmoid(logits), torch.sigmoid(ours)) if multi else (logits.softmax(-1), ours.softmax(-1))
            worst = max(worst, (p - q).abs().max().item())
            if tok is not None and tok(row["text"])["input_ids"] != row["ids"]:
                id_diffs += 1
    pooling = getattr(model.config, "bert_ft_pooling", "-")
    how = "remote code" if getattr(model.config, "auto_map", None) else type(model).__name__
    ids_note = f", tokenizer ids differ on {id_diffs}" if tok is not None else ", bert-ft's ids (no slow tokenizer)"
    print(f"{model.config.model_type} | {pooling} | {how} | {len(rows)} texts | max |dp| {worst:.2e}{ids_note}")
    return 0 if worst <= 1e-4 and id_diffs == 0 else 1


if __name__ == "__main__":
    if sys.argv[1] == "--ids":
        sys.exit(by_ids(sys.argv[2], sys.argv[3]))
    if sys.argv[1] == "--qa":
        sys.exit(qa(sys.argv[2], sys.argv[3], sys.argv[4]))
    sys.exit(classification(sys.argv[1], sys.argv[2]))
