#!/usr/bin/env bash
# bert-ft against HuggingFace eager, shape by shape, each pair measured back to back, for a machine that others
# share: ../shared/peer/side_by_side.sh waits for an idle machine before HF's figures (up to 30 min a retry), this
# one takes HF's figures whatever the load and prints the CPU share other processes used meanwhile. With
# BERT_FT_BASE set to another bert-ft launcher (e.g. `java -jar old/bert-ft.jar`), that build is measured in the
# same window too, for before/after ratios under the same load.
# Usage, from the project root after ../shared/peer/setup.sh:  scripts/side-by-side-interleaved.sh [SHAPES] [REPEATS] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")/../../shared/peer" 2>/dev/null && pwd || echo /work/shared/peer)
PEER=${PEER:-${XDG_CACHE_HOME:-$HOME/.cache}/bert-ft-peer}; . "$PEER/env.sh"
shapes=${1:-32x64,16x128,8x384}; reps=${2:-10}; rounds=${3:-1}; threads=${BERT_FT_THREADS:-$(nproc)}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
# the whole machine's busy share while a command ran (the command itself included: ~100% when it is alone)
timed() { local f=$1; shift; local b0 t0; b0=$(busy); t0=$(date +%s.%N); "$@" > "$f"
  awk -v a="$b0" -v b="$(busy)" -v s="$t0" -v e="$(date +%s.%N)" -v n="$(nproc)" \
    'BEGIN{printf "%.0f\n", (b-a)/100/(e-s)/n*100}' > "$f.load"; }
for r in $(seq "$rounds"); do
  for s in ${shapes//,/ }; do
    timed "$out/bf-$r-$s.txt" scripts/bert-ft bench --shapes "$s" --repeats "$reps"
    [ -z "${BERT_FT_BASE:-}" ] || timed "$out/base-$r-$s.txt" $BERT_FT_BASE bench --shapes "$s" --repeats "$reps"
    $PY -W ignore "$here/bench_hf.py" --threads "$threads" --train "$s" --qa-train "" --infer 64x64 --steps "$reps" \
      --max-foreign 1 --retries 0 --json "$out/hf-$r-$s.json" > "$out/hf-$r-$s.txt"
  done
done
python3 - "$out" <<'PY'
import glob, json, os, re, statistics, sys
d = sys.argv[1]
def figures(f):
    t = open(f).read()
    b, s, v = re.search(r'train step\s+(\d+) x\s+(\d+):\s+(\d+) tokens/s', t).groups()
    return ('train %sx%s tok/s' % (b, s), float(v)), ('infer 64x64 sent/s',
            float(re.search(r'inference 64 x 64: ([\d.]+) sentences/s', t).group(1)))
base = bool(glob.glob(d + '/base-*.txt'))
print('%-5s %-18s %9s %9s %9s %6s %6s %7s %7s' % ('round', 'measure', 'bert-ft', 'before' if base else '', 'HF eager',
      'ratio', 'before', 'busy*', 'HF frgn'))
ratios = {}
for f in sorted(glob.glob(d + '/bf-*.txt')):
    r, s = re.match(r'.*/bf-(\d+)-(\S+)\.txt$', f).groups()
    hf = json.load(open('%s/hf-%s-%s.json' % (d, r, s)))['rows']
    hfv = {'train': next(x for x in hf if x['task'] == 'train-seqcls'), 'infer': next(x for x in hf if x['task'] == 'infer-seqcls')}
    old = figures('%s/base-%s-%s.txt' % (d, r, s)) if base else (None, None)
    for (name, a), o in zip(figures(f), old):
        h = hfv[name[:5]]; hv = h['tokens_per_s'] if name.startswith('train') else h['sentences_per_s']
        ratios.setdefault(name, []).append((a / hv, o[1] / hv if o else float('nan')))
        print('%-5s %-18s %9.1f %9s %9.1f %6.2f %6s %6s%% %6.0f%%' % (r, name, a, '%.1f' % o[1] if o else '', hv, a / hv,
              '%.2f' % (o[1] / hv) if o else '', open(f + '.load').read().strip(), 100 * h['foreign_cpu']))
print('\nmedian ratio to HF, bert-ft' + (' (before)' if base else '') + ': ' + ', '.join('%s %.2f%s (%d)' % (k,
      statistics.median(x for x, _ in v), ' (%.2f)' % statistics.median(y for _, y in v) if base else '', len(v))
      for k, v in ratios.items()))
print("* busy: the whole machine while bert-ft ran, its own use included (2 threads alone: ~100%); HF frgn: other"
      " processes' share of the cores during HF's timed steps")
PY
