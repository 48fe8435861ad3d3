#!/usr/bin/env bash
# Copies what the study commits from a sweep's output directory into data/results/study/<dataset>/:
# the sweep file (as sweep.json, the plan that ran), plan.json, results.csv/.md, paired.csv,
# floors.json, the figures, and per cell result.json, config.json and metrics.csv, plus the
# sample grids (samples.png) of the cells matching --grids. Never checkpoints or .npz samples.
# Then rebuilds the tables from the copy alone (qdiff sweep --aggregate-only) and checks that
# every cell that finished in the source is counted in the copy.
#
#   scripts/study_collect.sh --config configs/sweeps/study_mnist.json --from runs/study/mnist --dataset mnist
#       [--to data/results/study/mnist] [--grids '*seed=0']
#   scripts/study_collect.sh --protocol runs/protocol [--to data/results/study/protocol]
#       (the protocol measurement: every eval_*.json and each run's config.json)
#
# Safe to repeat while a sweep runs: it copies what has finished so far. QDIFF=path/to/qdiff.
set -euo pipefail
cd "$(dirname "$0")/.."
qdiff=${QDIFF:-build/qdiff}
config="" from="" dataset="" to="" protocol="" grids='*seed=0'
while (($#)); do
  case $1 in
    --config) config=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --dataset) dataset=$2; shift 2 ;;
    --to) to=$2; shift 2 ;;
    --grids) grids=$2; shift 2 ;;
    --protocol) protocol=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "study_collect.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [[ -n $protocol ]]; then
  [[ -d $protocol ]] || { echo "study_collect.sh: --protocol $protocol is not a directory" >&2; exit 2; }
  to=${to:-data/results/study/protocol}
  n=0
  while IFS= read -r -d '' f; do
    rel=${f#"$protocol"/}
    mkdir -p "$to/$(dirname "$rel")"
    cp "$f" "$to/$rel"
    n=$((n + 1))
  done < <(find "$protocol" -mindepth 3 -maxdepth 3 \( -name 'eval_*.json' -o -name config.json \) -print0)
  ((n > 0)) || { echo "study_collect.sh: no eval_*.json under $protocol/<dataset>/<run>/" >&2; exit 1; }
  # The record of starts: lines not yet in the committed list are appended (a run directory written
  # by an older script holds one start, as protocol_run.json).
  starts=$(mktemp)
  [[ -f $protocol/protocol_runs.jsonl ]] && cat "$protocol/protocol_runs.jsonl" >>"$starts"
  [[ -f $protocol/protocol_run.json ]] && { tr -d '\n' <"$protocol/protocol_run.json" | sed 's/,  */, /g'; echo; } >>"$starts"
  while IFS= read -r line; do
    [[ -n $line ]] || continue
    grep -qxF -- "$line" "$to/protocol_runs.jsonl" 2>/dev/null || echo "$line" >>"$to/protocol_runs.jsonl"
  done <"$starts"
  rm -f "$starts"
  echo "study_collect.sh: copied $n files into $to"
  exit 0
fi

[[ -n $config && -n $from && -n $dataset ]] || { echo "study_collect.sh: needs --config, --from and --dataset (see --help)" >&2; exit 2; }
[[ -f $config ]] || { echo "study_collect.sh: --config $config: no such file" >&2; exit 2; }
[[ -d $from/cells ]] || { echo "study_collect.sh: --from $from has no cells/ directory (not a sweep output)" >&2; exit 2; }
to=${to:-data/results/study/$dataset}
mkdir -p "$to/cells"
cp "$config" "$to/sweep.json"
for f in plan.json results.csv results.md paired.csv floors.json; do
  [[ -f $from/$f ]] && cp "$from/$f" "$to/"
done
for f in "$from"/*_vs_n.png "$from"/*_vs_n.svg; do
  [[ -f $f ]] && cp "$f" "$to/"
done
cells=0
for d in "$from"/cells/*/; do
  id=$(basename "$d")
  [[ -f $d/result.json ]] || continue  # not finished yet
  mkdir -p "$to/cells/$id"
  for f in result.json config.json metrics.csv; do
    [[ -f $d/$f ]] && cp "$d/$f" "$to/cells/$id/"
  done
  # shellcheck disable=SC2053
  [[ $id == $grids && -f $d/samples.png ]] && cp "$d/samples.png" "$to/cells/$id/"
  cells=$((cells + 1))
done
echo "study_collect.sh: copied $cells finished cells into $to"

# The copy must aggregate on its own: every cell ok in the source is ok in the copy's table.
"$qdiff" --log-level warn sweep --config "$to/sweep.json" --out "$to" --aggregate-only
ok_cells() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") c = i; next } $c == "ok" { print $1 }' "$1" | sort; }
"$qdiff" --log-level warn sweep --config "$config" --out "$from" --aggregate-only
missing=$(comm -23 <(ok_cells "$from/results.csv") <(ok_cells "$to/results.csv"))
if [[ -n $missing ]]; then
  echo "study_collect.sh: cells ok in $from but not in the copy:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "study_collect.sh: $to aggregates on its own ($(ok_cells "$to/results.csv" | wc -l) cells ok)"
