#!/usr/bin/env bash
# Sets up (packages + build) and runs the whole test suite with ctest.
# Tests run one at a time: each already uses every core (OpenMP), and parallel test processes
# with spinning OpenMP threads slow each other down badly. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
# With the test packages (python3-torch, a large install; QDIFF_TEST_PACKAGES=0 leaves
# them out and the PyTorch check of `qdiff export` is then not registered).
QDIFF_TEST_PACKAGES=${QDIFF_TEST_PACKAGES:-1} scripts/setup.sh
build_dir=${QDIFF_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure "$@"
