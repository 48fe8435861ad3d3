#!/usr/bin/env bash
# The fuzzing campaign: builds the libFuzzer targets of tests/fuzz (clang, -DQDIFF_FUZZ=ON, in
# build-fuzz/) and runs each until it has used the given CPU time, under `nice -n 10`, at most two
# targets at a time, with the limits the campaign is judged by (no crash, leak, hang over 10 s,
# allocation over 1 GiB or RSS over 2 GiB).
#   scripts/fuzz.sh                       # every target, 600 CPU-seconds each
#   QDIFF_FUZZ_SECONDS=60 scripts/fuzz.sh npy idx     # some targets, shorter
# Targets: npy npz idx config checkpoint. Corpora: the committed seeds tests/fuzz/corpus/<target>/
# are read; inputs the fuzzer finds go to build-fuzz/corpus/<target>/ (not committed). A failing
# input lands in build-fuzz/crashes/<target>/: turn it into a regression test (tests/<area>,
# tests/data/fuzz_regressions/) together with the fix. Logs: build-fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${QDIFF_FUZZ_SECONDS:-600}
targets=("$@")
((${#targets[@]})) || targets=(npy npz idx config checkpoint)
build=${QDIFF_FUZZ_BUILD_DIR:-build-fuzz}

need=()
for p in clang libclang-rt-14-dev libomp-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ -DQDIFF_FUZZ=ON \
  -DQDIFF_BUILD_TESTS=OFF -DQDIFF_BUILD_BENCH=OFF -DQDIFF_WITH_MPI=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"

# Sets `used` to the seconds of CPU (user + system) of the finished children of this shell.
# (`times` must not run in a pipe or $(...): a subshell has no children of its own to report.)
update_used() {
  local f="$build/logs/.times.$1"
  times >"$f"
  used=$(tail -1 "$f" | awk '{ s = 0; for (i = 1; i <= 2; ++i) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%d", s }')
  rm -f "$f"
}

# Runs one target in slices until it has had `seconds` of CPU; prints its totals.
fuzz_one() {
  local t=$1 corpus="$build/corpus/$1" crashes="$build/crashes/$1/" log="$build/logs/$1.log"
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  : >"$log"
  local runs=0 used=0
  while ((used < seconds)); do
    local slice=$((seconds - used < 120 ? seconds - used : 120))
    (( slice < 5 )) && slice=5
    if ! nice -n 10 "$build/fuzz_$t" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
        -max_total_time="$slice" -print_final_stats=1 -artifact_prefix="$crashes" \
        "$corpus" "tests/fuzz/corpus/$t" >>"$log" 2>&1; then
      echo "fuzz $t: FAILED, see $log and $crashes"
      return 1
    fi
    runs=$((runs + $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')))
    update_used "$t"
    echo "fuzz.sh: $t so far: $used CPU-seconds, $runs executions" >>"$log"
  done
  echo "fuzz $t: ${used} CPU-seconds, $runs executions, corpus $(ls "$corpus" | wc -l) inputs, no failure"
}

# At most two targets at a time.
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    fuzz_one "$t" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
exit $status
