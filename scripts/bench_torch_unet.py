#!/usr/bin/python3
"""PyTorch (Debian python3-torch) timings of the same paper U-Net (C=1, classical bottleneck),
for comparison with bench/bench_nn.cpp: no-grad forward and train step (zero_grad + forward +
MSE + backward + clip_grad_norm + Adam + EMA update) at batch 16 and 64, with 1 and 2 threads,
in float32 or (--precision bf16) under torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's own
CPU mixed precision (float32 weights, optimizer and EMA; the backward outside the autocast region
as PyTorch documents). Prints medians of --reps timed runs after a warm-up.

Usage: scripts/bench_torch_unet.py [--reps 5] [--threads 1 2] [--batches 16 64] [--precision float32|bf16]
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference_unet import UNet  # noqa: E402


def median_time(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batches", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--precision", choices=["float32", "bf16"], default="float32")
    args = ap.parse_args()
    bf16 = args.precision == "bf16"

    def autocast():
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    torch.manual_seed(0)
    net = UNet(1, 4).float()
    ema = [p.detach().clone() for p in net.parameters()]
    opt = torch.optim.Adam(net.parameters(), lr=3e-4)
    mflop = 230.2
    for threads in args.threads:
        torch.set_num_threads(threads)
        for B in args.batches:
            x = torch.randn(B, 1, 28, 28)
            t = torch.randint(0, 1000, (B,))
            target = torch.randn(B, 1, 28, 28)

            def fwd():
                with torch.no_grad(), autocast():
                    net(x, t)

            def step():
                opt.zero_grad(set_to_none=True)
                with autocast():
                    loss = torch.nn.functional.mse_loss(net(x, t).float(), target)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                with torch.no_grad():
                    torch._foreach_mul_(ema, 0.999)
                    torch._foreach_add_(ema, [p.detach() for p in net.parameters()], alpha=0.001)

            tf = median_time(fwd, args.reps)
            ts = median_time(step, args.reps)
            print(f"torch{'-bf16' if bf16 else ''} threads={threads} batch={B}: forward {tf * 1e3:.1f} ms ({mflop * B / tf / 1e3:.1f} GFLOP/s), "
                  f"train step {ts * 1e3:.1f} ms ({3 * mflop * B / ts / 1e3:.1f} GFLOP/s)", flush=True)


if __name__ == "__main__":
    main()
