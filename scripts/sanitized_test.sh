#!/usr/bin/env bash
# Runs ctest in a sanitizer build (cmake -DQDIFF_SANITIZE=ON) with the sanitizer options the
# suite is judged by: any AddressSanitizer report, undefined behaviour or leak fails the test
# (child processes, such as the qdiff binary under tests/cli, inherit the options).
#   scripts/sanitized_test.sh [BUILD_DIR (default build-asan)] [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
(($#)) && shift
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer_suppressions.txt:print_suppressions=0"
ctest --test-dir "$build" --output-on-failure "$@"
