#!/usr/bin/env bash
# Sets up (packages + build) and runs the whole test suite with ctest.
# Tests run one at a time: each already uses every core (OpenMP), and parallel test processes
# with spinning OpenMP threads slow each other down badly. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build_dir=${QDIFF_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure "$@"
