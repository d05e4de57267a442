#!/usr/bin/env bash
# Trains one small run per family and head (tiny random checkpoints from ../shared/golden/families, the bundled
# minilm, classification under each pooling, multi-label) and checks each in HuggingFace Transformers with
# scripts/check-hf-interop.py --ids (bert-ft's ids and probabilities against the model loaded by Transformers,
# remote code where the head needs it). Usage: scripts/check-hf-interop-all.sh WORK_DIR  (needs the HF peer:
# ../shared/peer/setup.sh, then . ~/.cache/bert-ft-peer/env.sh provides $PY)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:?work dir}"
mkdir -p "$work"
. ~/.cache/bert-ft-peer/env.sh
cp="$root/target/bert-ft.jar:$root/target/lib/*"
python3 - "$work" <<'PY'
import random, sys
w = sys.argv[1]
good, bad = ["great", "good", "excellent", "love"], ["terrible", "bad", "awful", "hate"]
filler = ["the", "phone", "battery", "price", "was", "and", "it", "movie"]
for name, n, seed in [("train.csv", 64, 1), ("dev.csv", 16, 2)]:
    r = random.Random(seed)
    with open(f"{w}/{name}", "w") as f, open(f"{w}/ml-{name}", "w") as g:
        f.write("text,label\n"); g.write("text,label\n")
        for _ in range(n):
            pos = r.random() < 0.5
            t = " ".join(r.choice(filler) for _ in range(3 + r.randrange(6))) + " " + r.choice(good if pos else bad)
            f.write(f'"{t}",{"positive" if pos else "negative"}\n')
            g.write(f'"{t}",{"positive" if pos else "negative"}{"|phone" if "phone" in t else ""}\n')
PY
texts=("the phone was great" "awful battery and it was bad" "love it" "price")
run() { # name model pooling [task]
  local name=$1 model=$2 pooling=$3 task=${4:-classification} data=""
  [[ $task == multilabel ]] && data="ml-"
  cat > "$work/$name.yaml" <<YAML
task: $task
model: $model
data-dir: $work
train: ${data}train.csv
validation: ${data}dev.csv
max-length: 32
batch-size: 16
epochs: 1
learning-rate: 1e-3
pooling: $pooling
YAML
  "$root/scripts/bert-ft" --threads 1 train "$work/$name.yaml" --out "$work/$name" --overwrite > "$work/$name.log" 2>&1 \
    || { echo "$name: train failed (see $work/$name.log)"; return; }
  java -cp "$cp" "$root/scripts/SeqLogits.java" "$work/$name" "${texts[@]}" > "$work/$name.ids.jsonl" 2>>"$work/$name.log"
  echo -n "$name | "
  $PY "$root/scripts/check-hf-interop.py" --ids "$work/$name" "$work/$name.ids.jsonl" 2>>"$work/$name.log" | tail -1
}
g="$root/../shared/golden/families"
for pooling in pooler cls mean sentence; do
  run "minilm-$pooling" minilm $pooling
done
run "minilm-multilabel-mean" minilm mean multilabel
for fam in bert distilbert roberta xlm-roberta electra deberta-v2; do
  for pooling in pooler mean sentence; do
    run "$fam-$pooling" "$g/$fam/base" $pooling
  done
done
run "bert-cls" "$g/bert/base" cls
