#!/usr/bin/env bash
# Installs the Debian packages qdiff needs (only those missing), then configures and builds.
# Idempotent: a second run installs nothing and rebuilds only what changed.
#   scripts/setup.sh            # Release build in build/, tuned for this machine (-march=native)
#   QDIFF_NATIVE=OFF scripts/setup.sh   # portable binaries
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin libeigen3-dev libcli11-dev libspdlog-dev nlohmann-json3-dev
          libstb-dev libgtest-dev libgmock-dev libzip-dev zlib1g-dev libbenchmark-dev)
# Only for the tests (scripts/test.sh sets QDIFF_TEST_PACKAGES=1): PyTorch checks `qdiff export`.
test_packages=(python3-torch)
if [[ ${QDIFF_TEST_PACKAGES:-0} == 1 ]]; then packages+=("${test_packages[@]}"); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=${QDIFF_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DQDIFF_NATIVE="${QDIFF_NATIVE:-ON}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
echo "setup: built $build_dir/qdiff"
