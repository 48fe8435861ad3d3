#!/usr/bin/env bash
# Regenerates every table and figure of the study from the committed results, with no training:
#   data/results/study/<dataset>/   results.csv/.md, paired.csv, *_vs_n.png/.svg  (qdiff sweep --aggregate-only)
#   data/results/study/protocol/    protocol.md, protocol_<dataset>.png/.svg     (qdiff sweep --protocol)
#   data/results/study/mnist_extra/extra_rows.md  the extra MNIST rows paired by seed (scripts/study_extra_table.py)
# Results get there with scripts/study_collect.sh. QDIFF=path/to/qdiff selects the binary.
#   scripts/study_report.sh [--root data/results/study]
set -euo pipefail
cd "$(dirname "$0")/.."
qdiff=${QDIFF:-build/qdiff}
root=data/results/study
while (($#)); do
  case $1 in
    --root) root=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "study_report.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x $qdiff ]] || scripts/setup.sh
[[ -d $root ]] || { echo "study_report.sh: $root does not exist (collect results with scripts/study_collect.sh)" >&2; exit 1; }
grids=0
for sweep in "$root"/*/sweep.json; do
  [[ -f $sweep ]] || continue
  dir=$(dirname "$sweep")
  echo "== $dir"
  "$qdiff" --log-level warn sweep --config "$sweep" --out "$dir" --aggregate-only
  grids=$((grids + 1))
done
if [[ -d $root/protocol ]]; then
  echo "== $root/protocol"
  "$qdiff" --log-level warn sweep --protocol "$root/protocol" --out "$root/protocol"
fi
if [[ -f $root/mnist_extra/results.csv && -f $root/mnist/results.csv ]]; then
  echo "== $root/mnist_extra/extra_rows.md"
  python3 scripts/study_extra_table.py --extra "$root/mnist_extra/results.csv" --base "$root/mnist/results.csv" \
    > "$root/mnist_extra/extra_rows.md.tmp" && mv "$root/mnist_extra/extra_rows.md.tmp" "$root/mnist_extra/extra_rows.md"
fi
echo "study_report.sh: $grids grid(s)$([[ -d $root/protocol ]] && echo ' and the protocol') regenerated under $root"
