#!/usr/bin/env bash
# MSRA named entities, bert-ft against HuggingFace's run_ner.py recipe (../shared/peer/ner_hf.py, --cased as
# bge-small-zh's tokenizer is) on the same imported bge-small-zh directory and settings (lr 1e-4, batch 32, max
# length 128, 10% warm-up, seed 42), one after the other in one run, one thread each, on the first N sentences of
# train and dev. Usage, from the project root after ../shared/peer/setup.sh:
#   scripts/chinese-ner-side-by-side.sh [TRAIN_SENTENCES (default 1000)] [DEV_SENTENCES (default 500)] [EPOCHS (default 1)]
set -euo pipefail
n=${1:-1000}; m=${2:-500}; epochs=${3:-1}
PEER=${PEER:-${XDG_CACHE_HOME:-$HOME/.cache}/bert-ft-peer}; . "$PEER/env.sh"
shared=../shared; [ -d "$shared/datasets/chinese" ] || shared=/work/shared
data=$shared/datasets/chinese; work=runs/chinese-ner-side-by-side; mkdir -p "$work/data"
first() { awk -v n="$2" 'BEGIN{RS=""; ORS="\n\n"} NR<=n' "$1"; }
train="$work/data/train-$n.conll"; dev="$work/data/dev-$m.conll"
first "$data/msra_ner_train.conll" "$n" > "$train"; first "$data/msra_ner_dev.conll" "$m" > "$dev"
out="$work/bert-ft-$n-e$epochs-$(date +%s)"; start=$(date +%s)
scripts/bert-ft --threads 1 train tasks/msra-ner.yaml --data-dir . --train "$train" --validation "$dev" \
  --epochs "$epochs" --out "$out" 2>&1 | grep -v '^step ' | tail -n 12
echo "bert-ft wall: $(( $(date +%s) - start )) s"
model="${BERT_FT_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/bert-ft}/models/bge-small-zh"; start=$(date +%s)
$PY -W ignore "$shared/peer/ner_hf.py" "$model" "$train" "$dev" --epochs "$epochs" --threads 1 --cased
echo "HF wall: $(( $(date +%s) - start )) s"
