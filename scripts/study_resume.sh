#!/usr/bin/env bash
# Continues a study grid on a fresh machine from what is committed: the reverse of study_collect.sh.
#  1. finds the grid's fixed commit (the `version` of the committed plan.json and cells; all must agree),
#  2. makes a git worktree at that commit (or reuses one that is there) and builds it portably
#     (x86-64-v4, as every grid is built, so that it resumes to the same numbers on any machine),
#  3. seeds the worktree's sweep directory with the committed results (per cell result.json,
#     config.json, metrics.csv, samples.png; floors.json), never replacing a cell's own result,
#     and likewise the grids the sweep file reuses (runs/study/<data set>, e.g. the noise studies'),
#  4. prints the command that starts the sweep; it skips every seeded cell.
#
#   scripts/study_resume.sh --dataset mnist [--worktree ../qdiff-grid-<commit>] [--out runs/study/mnist]
#   scripts/study_resume.sh --dataset retinamnist --commit 6d3ee21 --config configs/sweeps/study_retinamnist.json
#       (a grid with nothing committed yet: name its commit and sweep file)
#   scripts/study_resume.sh --dataset mnist --seed-only --out /abs/dir [--worktree /abs/base]
#       (step 3 alone, into any directory; with --worktree also the reused grids under base/runs/study)
#
# --dataset names <root>/<dataset>/ (its sweep.json is the sweep file unless --config);
# --root defaults to data/results/study.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
root=data/results/study dataset="" worktree="" out="" commit="" config="" seed_only=0
while (($#)); do
  case $1 in
    --dataset) dataset=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --worktree) worktree=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --commit) commit=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --seed-only) seed_only=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "study_resume.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
die() { echo "study_resume.sh: $*" >&2; exit 1; }
[[ -n $dataset ]] || { echo "study_resume.sh: needs --dataset (see --help)" >&2; exit 2; }
committed=$root/$dataset
config=${config:-$committed/sweep.json}
[[ -f $config ]] || die "no sweep file $config (nothing committed for '$dataset' yet? name one with --config)"
config=$(realpath "$config")

# 1. The commit every committed result was made with.
# (A reused cell's result is another grid's run and keeps that run's version: it does not count.)
own_results() { for f in "$committed"/cells/*/result.json; do [[ -f $f ]] && ! grep -q '"reused_from"' "$f" && echo "$f"; done; return 0; }
versions=$(cat "$committed"/plan.json $(own_results) 2>/dev/null |
           grep -o '"version": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort -u || true)
if [[ -n $versions ]]; then
  (($(wc -l <<<"$versions") == 1)) || die "$committed holds results of several builds: $(tr '\n' ' ' <<<"$versions")"
  [[ $versions == *+* && $versions != *-dirty ]] || die "$committed was made by build '$versions', not a clean commit"
  found=${versions##*+}
  if [[ -n $commit && $(git rev-parse "$commit^{commit}") != $(git rev-parse "$found^{commit}") ]]; then
    die "--commit $commit disagrees with the committed results' $found"
  fi
  commit=$found
fi

seed() {  # seed SRC DIR: the committed results in SRC into the sweep directory DIR
  local src=$1 dir=$2 n=0 kept=0
  mkdir -p "$dir/cells"
  for f in floors.json plan.json; do  # plan.json: a reuse donor's, whose eval the sweep compares
    [[ -f $src/$f && ! -f $dir/$f ]] && cp "$src/$f" "$dir/"
  done
  for d in "$src"/cells/*/; do
    [[ -f $d/result.json ]] || continue
    local cell=$dir/cells/$(basename "$d")
    if [[ -f $cell/result.json ]]; then kept=$((kept + 1)); continue; fi  # the run's own result wins
    mkdir -p "$cell"
    for f in result.json config.json metrics.csv samples.png; do
      [[ -f $d/$f ]] && cp "$d/$f" "$cell/"
    done
    n=$((n + 1))
  done
  echo "study_resume.sh: seeded $dir with $n committed cells ($kept already there, kept)"
}

# The grids a sweep file reuses ("reuse": ["runs/study/<data set>", ...], relative to the sweep's
# directory BASE) get their committed cells too, so that a fresh clone takes those runs instead of
# training them again.
seed_donors() {  # seed_donors BASE
  local ds
  for ds in $(sed -n '/"reuse"/,/\]/p' "$config" | grep -o '"runs/study/[^"/]*"' | tr -d '"' | sed 's|^runs/study/||'); do
    [[ $ds != "$dataset" && -d $root/$ds/cells ]] && seed "$root/$ds" "$1/runs/study/$ds"
  done
  return 0
}

if ((seed_only)); then
  [[ -n $out ]] || die "--seed-only needs --out"
  seed "$committed" "$out"
  cp "$config" "$out/sweep.json"
  [[ -n $worktree ]] && seed_donors "$worktree"  # with --seed-only, --worktree names where the reuse paths start
  exit 0
fi

[[ -n $commit ]] || die "$committed has no committed results to take the commit from: give --commit"
commit=$(git rev-parse --short "$commit^{commit}")
worktree=${worktree:-../qdiff-grid-$commit}
out=${out:-runs/study/$dataset}
[[ $out != /* ]] || die "--out is inside the worktree: give it relative (default runs/study/$dataset)"

# 2. The worktree at the grid's commit and its portable build.
if [[ -e $worktree ]]; then
  head=$(git -C "$worktree" rev-parse --short HEAD 2>/dev/null) || die "$worktree exists and is not a git checkout"
  [[ $head == "$commit" ]] || die "$worktree is at $head, the grid's commit is $commit (give another --worktree)"
else
  git worktree add --detach "$worktree" "$commit"
fi
worktree=$(realpath "$worktree")
if [[ $("$worktree/build/qdiff" --version 2>/dev/null) != *"+$commit "* ]]; then
  cmake -S "$worktree" -B "$worktree/build" -DCMAKE_BUILD_TYPE=Release -DQDIFF_NATIVE=OFF \
    -DCMAKE_CXX_FLAGS="-march=x86-64-v4 -mtune=generic" >/dev/null
  cmake --build "$worktree/build" -j "$(nproc)" --target qdiff
fi

# 3. The committed results (and those of the grids it reuses), then 4. the command.
seed "$committed" "$worktree/$out"
cp "$config" "$worktree/$out/sweep.json"
seed_donors "$worktree"
cat <<EOF
study_resume.sh: $dataset continues from commit $commit in $worktree; start it with
  cd $worktree && OMP_NUM_THREADS=1 nohup mpirun -np 2 ./build/qdiff sweep --config $out/sweep.json --out $out >> $out.log 2>&1 &
(or one process: OMP_NUM_THREADS=1 nohup ./build/qdiff sweep --config $out/sweep.json --out $out >> $out.log 2>&1 &);
progress: ./build/qdiff sweep --status $out; commit finished cells from $repo with
  scripts/study_collect.sh --config $worktree/$out/sweep.json --from $worktree/$out --dataset $dataset
EOF
