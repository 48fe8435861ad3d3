#!/usr/bin/env bash
# The low-data study: training-set size x bottleneck x noise strategy x seed, trained, sampled and
# evaluated, then aggregated into results.csv, results.md and plots.
#   scripts/sweep_lowdata.sh                         # MNIST, configs/sweeps/lowdata.json (hours on 2 cores)
#   scripts/sweep_lowdata.sh --quick --out DIR       # tiny preset, minutes
#   scripts/sweep_lowdata.sh --config configs/sweeps/lowdata_breastmnist.json
# Re-running continues a killed sweep: finished cells are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
config=configs/sweeps/lowdata.json
args=()
while (($#)); do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --out) args+=(--out "$2"); shift 2 ;;
    --quick) args+=(--quick); shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -x build/qdiff ]] || scripts/setup.sh
exec ./build/qdiff sweep --config "$config" "${args[@]}"
