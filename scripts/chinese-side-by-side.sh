#!/usr/bin/env bash
# ChnSentiCorp dev accuracy, bert-ft against HuggingFace's recipe (scripts/seqcls-hf.py) on the same imported
# bge-small-zh directory and settings (pooler head, max length 128, batch 32, lr 1e-4, 10% warm-up, seed 42), one
# after the other in one run, one thread each. Usage, from the project root after ../shared/peer/setup.sh:
#   scripts/chinese-side-by-side.sh [TRAIN_ROWS (default all)] [EPOCHS (default 3)]
set -euo pipefail
rows=${1:-}; epochs=${2:-3}
PEER=${PEER:-${XDG_CACHE_HOME:-$HOME/.cache}/bert-ft-peer}; . "$PEER/env.sh"
data=../shared/datasets/chinese; [ -d "$data" ] || data=/work/shared/datasets/chinese
work=runs/chinese-side-by-side; mkdir -p "$work/data"
train="$data/chnsenticorp_train.csv"
if [ -n "$rows" ]; then train="$work/data/train-$rows.csv"; head -n $((rows + 1)) "$data/chnsenticorp_train.csv" > "$train"
  python3 -c "import csv,sys; n=sum(1 for _ in csv.DictReader(open(sys.argv[1],encoding='utf-8'))); assert n==int(sys.argv[2]), n" "$train" "$rows"; fi
model=$(scripts/bert-ft models >/dev/null; echo "${BERT_FT_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/bert-ft}/models/bge-small-zh")
out="$work/bert-ft-${rows:-all}-e$epochs-$(date +%s)"
start=$(date +%s)
scripts/bert-ft --threads 1 train tasks/chnsenticorp.yaml --data-dir . --train "$train" --validation "$data/chnsenticorp_dev.csv" \
  --epochs "$epochs" --out "$out" 2>&1 | tail -n 25
echo "bert-ft wall: $(( $(date +%s) - start )) s"
[ -d "$model" ] || { echo "no imported bge-small-zh at $model"; exit 1; }
start=$(date +%s)
$PY -W ignore scripts/seqcls-hf.py "$model" "$train" "$data/chnsenticorp_dev.csv" --epochs "$epochs" --threads 1
echo "HF wall: $(( $(date +%s) - start )) s"
