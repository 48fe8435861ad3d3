#!/usr/bin/env bash
# Sets up qdiff and runs the main job on the bundled data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./build/qdiff data data/mnist.npz
