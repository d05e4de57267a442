#!/usr/bin/env bash
# Trains one small QA run and one token-classification run per family (tiny random checkpoints from
# ../shared/golden/families, and the bundled minilm) on a slice of SQuAD and WNUT-17, then loads each in HuggingFace
# Transformers as its plain *ForQuestionAnswering / *ForTokenClassification class and compares logits for bert-ft's
# own ids (scripts/HeadLogits.java, scripts/check-hf-heads.py). Usage: scripts/check-hf-interop-heads.sh WORK_DIR
# (needs the HF peer: ../shared/peer/setup.sh, then . ~/.cache/bert-ft-peer/env.sh provides $PY)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:?work dir}"
mkdir -p "$work"
. ~/.cache/bert-ft-peer/env.sh
cp="$root/target/bert-ft.jar:$root/target/lib/*"
d="$root/../shared/datasets"
python3 - "$work" "$d" <<'PY'
import json, sys
w, d = sys.argv[1:3]
def conll(src, dst, n):  # the first n sentences
    out, k = [], 0
    for line in open(src, encoding="utf-8"):
        out.append(line)
        if not line.strip():
            k += 1
            if k == n:
                break
    open(dst, "w", encoding="utf-8").writelines(out)
conll(f"{d}/wnut17/train.conll", f"{w}/train.conll", 300)
conll(f"{d}/wnut17/dev.conll", f"{w}/dev.conll", 60)
def squad(src, dst, n):  # the first n questions, whole paragraphs
    data, k = json.load(open(src, encoding="utf-8")), 0
    arts = []
    for a in data["data"]:
        paras = []
        for p in a["paragraphs"]:
            paras.append(p); k += len(p["qas"])
            if k >= n: break
        arts.append({"title": a["title"], "paragraphs": paras})
        if k >= n: break
    json.dump({"version": data.get("version", "1.1"), "data": arts}, open(dst, "w", encoding="utf-8"))
squad(f"{d}/squad/train.json", f"{w}/train.json", 200)
squad(f"{d}/squad/dev.json", f"{w}/dev.json", 40)
PY
tok=("Apple opened a store in Paris" "@ben said Star Wars was great on twitter" "new york")
qa=($'Who wrote it?\tIt was written by Ada Lovelace in 1843.' $'When?\tThe bridge opened in 1932 after six years of work.')
run() { # name model task
  local name=$1 model=$2 task=$3
  if [[ $task == qa ]]; then
    printf 'task: qa\ntrain: train.json\nvalidation: dev.json\nmax-length: 62\ndoc-stride: 16\nmax-query-length: 16\n' > "$work/$name.yaml"
  else
    printf 'task: token-classification\ntrain: train.conll\nvalidation: dev.conll\nmax-length: 64\n' > "$work/$name.yaml"
  fi
  printf 'model: %s\ndata-dir: %s\nbatch-size: 16\nepochs: 1\nlearning-rate: 1e-3\n' "$model" "$work" >> "$work/$name.yaml"
  "$root/scripts/bert-ft" --threads 1 train "$work/$name.yaml" --out "$work/$name" --overwrite > "$work/$name.log" 2>&1 \
    || { echo "$name: train failed (see $work/$name.log)"; return; }
  if [[ $task == qa ]]; then inputs=("${qa[@]}"); else inputs=("${tok[@]}"); fi
  java -cp "$cp" "$root/scripts/HeadLogits.java" "$work/$name" "${inputs[@]}" > "$work/$name.jsonl" 2>>"$work/$name.log"
  echo -n "$name | "
  $PY "$root/scripts/check-hf-heads.py" "$work/$name" "$work/$name.jsonl" 2>>"$work/$name.log" | tail -1
}
g="$root/../shared/golden/families"
for task in ${TASKS:-qa token}; do
  run "minilm-$task" minilm $task
  for fam in bert distilbert roberta xlm-roberta electra deberta-v2; do
    run "$fam-$task" "$g/$fam/base" $task
  done
done
