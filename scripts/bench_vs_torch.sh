#!/usr/bin/env bash
# Side-by-side timing of the paper U-Net (classical bottleneck) in qdiff and in Debian's PyTorch:
# the two programs alternate for ROUNDS rounds in the same window, and the table gives each
# side's median over rounds (each round itself a median of REPS runs) and the ratio qdiff/PyTorch.
# float32 rows compare float32 with float32; bf16 rows compare qdiff's bf16 mixed precision with
# PyTorch's torch.autocast("cpu", dtype=torch.bfloat16) (both need a CPU with AVX512_BF16; without
# it the bf16 rows are left out), and the last column puts every row against PyTorch float32.
# The machine should be idle: check `uptime` first; the ratio is the meaningful figure on a
# shared machine.
#
# Usage: scripts/bench_vs_torch.sh [--rounds 3] [--reps 5] [--build build]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 reps=5 build=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench_vs_torch.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench_vs_torch.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ "$reps" =~ ^[0-9]+$ && "$reps" -ge 2 ]] || { echo "bench_vs_torch.sh: --reps must be an integer >= 2 (medians)" >&2; exit 2; }
[[ -x "$build/bench_nn" ]] || { echo "bench_vs_torch.sh: $build/bench_nn not found: run scripts/setup.sh first" >&2; exit 1; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "bench_vs_torch.sh: Debian's python3-torch is needed (apt-get install python3-torch)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= rounds; ++r)); do
  # qdiff: "<name>_median <time> ms ..." -> "<kind> <batch> <threads> <ms>"
  # (BM_Forward, BM_TrainStep, BM_ForwardBf16, BM_TrainStepBf16 -> forward, train, forward-bf16, train-bf16)
  "$build/bench_nn" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true 2>/dev/null |
    awk '/_median/ { split($1, p, "/"); kind = (p[1] ~ /^BM_Forward/) ? "forward" : "train";
                     if (p[1] ~ /Bf16$/) kind = kind "-bf16";
                     sub("batch:", "", p[2]); sub("threads:", "", p[3]); print kind, p[2], p[3], $2 }' >> "$tmp/qdiff"
  # PyTorch: "torch[-bf16] threads=T batch=B: forward F ms (...), train step S ms (...)"
  for precision in float32 $(grep -qw avx512_bf16 /proc/cpuinfo && echo bf16); do
    /usr/bin/python3 scripts/bench_torch_unet.py --reps "$reps" --precision "$precision" |
      awk '{ t = $2; b = $3; sub("threads=", "", t); sub("batch=", "", b); sub(":", "", b);
             suffix = ($1 == "torch-bf16") ? "-bf16" : "";
             print "forward" suffix, b, t, $5; print "train" suffix, b, t, $11 }' >> "$tmp/torch"
  done
  echo "round $r/$rounds done (load $(cut -d' ' -f1 /proc/loadavg))"
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cell() { awk -v k="$1" -v b="$2" -v t="$3" '$1 == k && $2 == b && $3 == t { print $4 }' "$4" | median; }
printf '\n| step | precision | batch | threads | qdiff ms | PyTorch ms | qdiff / PyTorch | qdiff / PyTorch float32 |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for kind in forward train forward-bf16 train-bf16; do
  for b in 16 64; do
    for t in 1 2; do
      q=$(cell "$kind" "$b" "$t" "$tmp/qdiff")
      [[ -n "$q" ]] || continue  # bf16 rows on a CPU without AVX512_BF16
      p=$(cell "$kind" "$b" "$t" "$tmp/torch")
      p32=$(cell "${kind%-bf16}" "$b" "$t" "$tmp/torch")
      awk -v k="$kind" -v b="$b" -v t="$t" -v q="$q" -v p="$p" -v p32="$p32" 'BEGIN {
        step = (k ~ /^train/) ? "train step" : "forward"; prec = (k ~ /bf16$/) ? "bf16 (PyTorch: autocast)" : "float32";
        printf "| %s | %s | %d | %d | %.1f | %.1f | %.2f | %.2f |\n", step, prec, b, t, q, p, q / p, q / p32 }'
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
