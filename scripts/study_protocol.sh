#!/usr/bin/env bash
# The study's protocol measurement (issue: "Protocol first, by measurement"): for each data set,
# train N = 100 (seed 0) with the quantum and the classical bottleneck under each recipe, save a
# checkpoint at every point of the curve (500 to 8000 steps; RetinaMNIST to 4000), and measure FID (and the other metrics) of the EMA weights against
# training steps; then compare samplers (DDIM-50, DDIM-200, DDPM-1000) for the linear recipe.
# One training run serves every point of its curve (the checkpoints), so the curve costs one run.
#
#   scripts/study_protocol.sh [--out DIR] [--jobs 2] [--datasets "mnist breastmnist retinamnist"]
#                             [--recipes "linear tailored"] [--list]
#
# QDIFF=path/to/qdiff selects the binary (run it from a fixed commit's worktree). Resumable: a
# finished evaluation (its JSON exists) is skipped; a training run continues from its latest
# checkpoint. Every job runs on one thread; --jobs processes run side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
qdiff=${QDIFF:-build/qdiff}
out=runs/protocol
jobs=2
datasets="mnist breastmnist retinamnist"
recipes="linear tailored"
list=0
while (($#)); do
  case $1 in
    --out) out=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --datasets) datasets=$2; shift 2 ;;
    --recipes) recipes=$2; shift 2 ;;
    --list) list=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "study_protocol.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# Curves per data set (batch 16; 8k steps see as many images as 2k steps of batch 64). MNIST
# still improves at 8k; BreastMNIST is best at or before 2k and worse after, so RetinaMNIST's curve
# stops at 4k. The sampler comparison uses the checkpoint nearest each data set's best point.
steps_of() { case $1 in retinamnist) echo 4000 ;; *) echo 8000 ;; esac; }
curve_of() { case $1 in retinamnist) echo "500 1000 2000 4000" ;; *) echo "500 1000 2000 4000 6000 8000" ;; esac; }
sampler_step_of() { case $1 in mnist) echo 8000 ;; *) echo 2000 ;; esac; }

ref_args() {  # the grid's reference sets: MNIST 5,000 of its test images, MedMNIST the whole test split
  case $1 in
    mnist) echo "--ref data/mnist.npz --split test --max-ref 5000" ;;
    *) echo "--ref data/$1.npz --split test --max-ref 0" ;;
  esac
}
recipe_sets() {
  case $1 in
    linear) echo "--set diffusion.schedule=linear --set diffusion.timesteps=uniform" ;;
    tailored) echo "--set diffusion.schedule=tailored --set diffusion.timesteps=importance" ;;
  esac
}
ckpt() {  # ckpt DIR STEP LAST: the checkpoint of a step (the last step's is model.bin); empty if absent
  local f
  f=$(printf '%s/ckpt_%08d.bin' "$1" "$2")
  if [[ -f $f ]]; then echo "$f"; elif [[ $2 == "$3" && -f $1/model.bin ]]; then echo "$1/model.bin"; fi
}

# train DATASET RECIPE ARM BATCH STEPS EVERY: trains (or resumes) OUT/<dataset>/<recipe>-<arm>-b<batch>,
# with a checkpoint every EVERY steps
train_run() {
  local ds=$1 recipe=$2 arm=$3 batch=$4 total=$5 every=$6
  local dir=$out/$ds/$recipe-$arm-b$batch
  mkdir -p "$dir"
  [[ -f $dir/model.bin ]] && return 0
  local last resume=()
  last=$(ls "$dir"/ckpt_*.bin 2>/dev/null | sort | tail -1 || true)
  [[ -n $last ]] && resume=(--resume "$last")
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=1 "$qdiff" --log-level warn train --config "configs/$ds.json" --out "$dir" --threads 1 "${resume[@]}" \
    --set data.n=100 --set model.bottleneck="$arm" $(recipe_sets "$recipe") --set train.batch="$batch" \
    --set train.steps="$total" --set train.seed=0 --set train.ckpt_every="$every" --set train.sample_every=0 \
    --set train.log_every=100 >"$dir/train.log" 2>&1
}

# evaluate DATASET DIR STEP SAMPLER SAMPLING_STEPS N LAST: metrics of the EMA weights at a checkpoint
# (LAST: the run's final step). A run trained before a point was added lacks its checkpoint: skipped.
evaluate() {
  local ds=$1 dir=$2 step=$3 sampler=$4 ssteps=$5 n=$6 last=$7
  local name=eval_$(printf '%05d' "$step")_${sampler}${ssteps}_n$n
  [[ -f $dir/$name.json ]] && return 0
  local ck
  ck=$(ckpt "$dir" "$step" "$last")
  if [[ -z $ck ]]; then echo "study_protocol.sh: $dir has no checkpoint at step $step: point skipped" >&2; return 0; fi
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=1 "$qdiff" --log-level warn eval --ckpt "$ck" --n "$n" --sampler "$sampler" \
    --steps "$ssteps" --seed 0 $(ref_args "$ds") --json "$dir/$name.json" >"$dir/$name.txt" 2>&1
}

# One job: train a recipe/arm and evaluate its curve (DDIM-50, 1000 samples) at the steps that follow.
curve_job() {
  local ds=$1 recipe=$2 arm=$3 batch=$4 total=$5
  shift 5
  local points="$*"
  train_run "$ds" "$recipe" "$arm" "$batch" "$total" "${points%% *}"
  for s in $points; do evaluate "$ds" "$out/$ds/$recipe-$arm-b$batch" "$s" ddim 50 1000 "$total"; done
}
# One job: the sampler comparison on one checkpoint (500 samples each).
sampler_job() {
  local ds=$1 recipe=$2 arm=$3
  local dir=$out/$ds/$recipe-$arm-b16 at last
  at=$(sampler_step_of "$ds")
  last=$(steps_of "$ds")
  evaluate "$ds" "$dir" "$at" ddim 50 500 "$last"
  evaluate "$ds" "$dir" "$at" ddim 200 500 "$last"
  evaluate "$ds" "$dir" "$at" ddpm 1000 500 "$last"
}

job_list() {
  for ds in $datasets; do
    for recipe in $recipes; do
      for arm in quantum classical; do echo "curve_job $ds $recipe $arm 16 $(steps_of "$ds") $(curve_of "$ds")"; done
    done
    # Batch size at equal compute: batch 64 for 2k steps sees the images of 8k steps of batch 16.
    [[ $ds == mnist && " $recipes " == *" linear "* ]] && echo "curve_job $ds linear quantum 64 2000 500 1000 2000"
  done
  # The sampler comparison for the linear recipe (the one the grids use on MNIST; DDPM-1000 costs
  # 20x DDIM-50's sampling time, so it measures what the affordable sampler gives up).
  [[ " $recipes " == *" linear "* ]] && for ds in $datasets; do echo "sampler_job $ds linear quantum"; done
}

if ((list)); then job_list; exit 0; fi
mkdir -p "$out"
# One line per start, appended: a protocol measured across interruptions keeps every start's binary,
# commit, time and job count (a restart may use another job count or data set list).
printf '{"binary": "%s", "commit": "%s", "started": "%s", "jobs": %d, "threads_per_job": 1, "datasets": "%s", "recipes": "%s"}\n' \
  "$("$qdiff" --version)" "$(git -C "$(dirname "$qdiff")/.." rev-parse HEAD 2>/dev/null || echo unknown)" \
  "$(date -u +%FT%TZ)" "$jobs" "$datasets" "$recipes" >>"$out/protocol_runs.jsonl"
export -f train_run evaluate curve_job sampler_job ref_args recipe_sets ckpt steps_of curve_of sampler_step_of
export qdiff out
job_list | xargs -P "$jobs" -I{} bash -c '{} || echo "job failed: {}" >&2'
echo "study_protocol.sh: all jobs finished; results in $out"
