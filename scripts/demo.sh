#!/usr/bin/env bash
# Sets up qdiff and runs the main job on the bundled data: the hybrid quantum U-Net trained on
# 100 MNIST images (configs/mnist.json, 2000 steps, about 11 minutes on 2 cores), then a
# 64-image sample grid from the EMA weights.
#   scripts/demo.sh                  # the full run, into runs/mnist
#   scripts/demo.sh --steps 200      # a shorter run (extra arguments go to `qdiff train`)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./build/qdiff train --config configs/mnist.json --out runs/mnist "$@"
./build/qdiff sample --ckpt runs/mnist/model.bin --n 64 --out runs/mnist/grid.png --npz runs/mnist/samples.npz
echo "demo: sample grid runs/mnist/grid.png, loss curve runs/mnist/loss.png, checkpoint runs/mnist/model.bin"
