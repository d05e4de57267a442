"""Compares the token ids bert-ft feeds the model with HuggingFace's slow BertTokenizer (Transformers 4.31).

Usage (from the project root, after `. ../shared/peer/env.sh` or `. ~/.cache/bert-ft-peer/env.sh`):
  java -cp 'target/bert-ft.jar:target/lib/*' scripts/ChineseTokenIds.java MODEL_DIR /tmp/ids.tsv FILE...
  $PY scripts/check-chinese-tokenizer.py MODEL_DIR /tmp/ids.tsv FILE...
MODEL_DIR is a checkpoint directory with vocab.txt and tokenizer_config.json (bert-ft's imported bge-small-zh:
~/.cache/bert-ft/models/bge-small-zh). Tables are read with Python's csv module (column `text`, a BOM dropped),
CoNLL files as `char<TAB>tag` lines with `is_split_into_words=True`. Prints, per file, how many texts agree and
the first few that differ (text, bert-ft's tokens, HF's tokens); exits 1 when any differ.
"""
import csv
import os
import sys

from transformers import BertTokenizer


def texts(path):
    name = os.path.basename(path)
    if name.endswith(".conll"):
        words, line, start = [], 0, None
        with open(path, encoding="utf-8") as f:
            for line, raw in enumerate(f, 1):
                raw = raw.rstrip("\n")
                if not raw.strip():
                    if words:
                        yield start, words
                    words, start = [], None
                    continue
                if start is None:
                    start = line
                words.append(raw.split("\t")[0] if "\t" in raw else raw.split()[0])
        if words:
            yield start, words
    else:
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                yield None, row["text"]


def main():
    model, ids_file, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    tok = BertTokenizer.from_pretrained(model)
    ours = {}
    with open(ids_file, encoding="utf-8") as f:
        for line in f:
            name, _, ids = line.rstrip("\n").split("\t")
            ours.setdefault(name, []).append([int(i) for i in ids.split()] if ids else [])
    bad = 0
    for path in files:
        name = os.path.basename(path)
        mine = ours.get(name, [])
        n = same = 0
        shown = 0
        for i, (_, text) in enumerate(texts(path)):
            split = isinstance(text, list)
            theirs = tok(text, is_split_into_words=split, truncation=False)["input_ids"]
            got = mine[i] if i < len(mine) else None
            n += 1
            if got == theirs:
                same += 1
            elif shown < 5:
                shown += 1
                t = "".join(text) if split else text
                print(f"  {name} #{i + 1}: {t[:80]!r}")
                print(f"    bert-ft: {tok.convert_ids_to_tokens(got or [])[:40]}")
                print(f"    HF:      {tok.convert_ids_to_tokens(theirs)[:40]}")
        if len(mine) != n:
            print(f"  {name}: bert-ft wrote {len(mine)} texts, Python read {n}")
        print(f"{name}: {same}/{n} texts with identical ids")
        bad += n - same + abs(len(mine) - n)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
