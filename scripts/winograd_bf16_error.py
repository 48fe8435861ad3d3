#!/usr/bin/python3
"""How much a bfloat16 Winograd convolution would round, measured before building one (issue 13).

A 3x3, stride-1, padding-1 convolution of x [cin, H, W] with w [cout, cin, 3, 3] is computed five
ways and compared with the float64 direct convolution:
  direct-bf16   x and w rounded to bfloat16, products summed exactly (qdiff's bf16 path today);
  F2-float32 / F4-float32   Winograd F(2x2, 3x3) / F(4x4, 3x3) with every step in float32 (qdiff's
                            float32 path runs F(4x4, 3x3));
  F2-bf16 / F4-bf16         the same with the transformed operands U = G g G^T and V = B^T d B
                            rounded to bfloat16 before their elementwise GEMMs (the only way a
                            Winograd convolution can use bf16 multiply-adds), sums exact.
The sums are exact (float64) where the hardware sums in float32, so the bf16 figures are a lower bound
of the error. Inputs: x ~ N(0, 1) (activations after GroupNorm), w ~ N(0, 1 / (9 cin)) (Kaiming).
Prints, per shape, the error's RMS and maximum relative to the output's RMS, medians over --trials.

Usage: scripts/winograd_bf16_error.py [--trials 3] [--seed 0]
"""
import argparse
import statistics

import numpy as np

# Lavin and Gray's matrices (the same as src/nn/conv_winograd.hpp).
F2 = dict(
    m=2,
    BT=np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64),
    G=np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64),
    AT=np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64),
)
F4 = dict(
    m=4,
    BT=np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                 [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], dtype=np.float64),
    G=np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], dtype=np.float64),
    AT=np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
                dtype=np.float64),
)


def to_bf16(a):
    """Round float32 values to the nearest bfloat16 (ties to even), returned as float32."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def direct(x, w):
    """x [cin, H, W], w [cout, cin, 3, 3] -> y [cout, H, W] in float64."""
    cin, H, W = x.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1)))
    y = np.zeros((w.shape[0], H, W))
    for r in range(3):
        for s in range(3):
            y += np.einsum("oc,chw->ohw", w[:, :, r, s].astype(np.float64), xp[:, r:r + H, s:s + W])
    return y


def winograd(x, w, f, dtype, round_operands):
    """The Winograd convolution with matrices f; transforms in `dtype`, U and V optionally rounded to
    bfloat16, the elementwise GEMMs' sums and the output transform in float64."""
    m, BT, G, AT = f["m"], f["BT"].astype(dtype), f["G"].astype(dtype), f["AT"]
    a = m + 2
    cin, H, W = x.shape
    TH, TW = -(-H // m), -(-W // m)
    xp = np.zeros((cin, TH * m + 2, TW * m + 2), dtype=dtype)
    xp[:, 1:H + 1, 1:W + 1] = x
    # d [cin, TH, TW, a, a]: the patches; V = B^T d B
    d = np.stack([np.stack([xp[:, m * ty:m * ty + a, m * tx:m * tx + a] for tx in range(TW)], 1) for ty in range(TH)], 1)
    V = np.einsum("ij,ctujk,lk->ctuil", BT, d, BT).astype(dtype)
    U = np.einsum("ij,ocjk,lk->ocil", G, w.astype(dtype), G).astype(dtype)
    if round_operands:
        U, V = to_bf16(U), to_bf16(V)
    M = np.einsum("ocil,ctuil->otuil", U.astype(np.float64), V.astype(np.float64))
    Y = np.einsum("ri,otuil,sl->oturs", AT, M, AT)  # [cout, TH, TW, m, m]
    return Y.transpose(0, 1, 3, 2, 4).reshape(w.shape[0], TH * m, TW * m)[:, :H, :W]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    shapes = [(32, 32, 28), (64, 64, 14), (128, 128, 7)]  # the paper U-Net's levels (cin, cout, H = W)
    ways = ["direct-bf16", "F2-float32", "F4-float32", "F2-bf16", "F4-bf16"]
    print("| cin | cout | H = W | " + " | ".join(f"{w} RMS / max" for w in ways) + " |")
    print("|---|---|---|" + "---|" * len(ways))
    for cin, cout, hw in shapes:
        stats = {k: ([], []) for k in ways}
        for _ in range(args.trials):
            x = rng.standard_normal((cin, hw, hw)).astype(np.float32)
            w = (rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(9 * cin)).astype(np.float32)
            ref = direct(x, w)
            scale = np.sqrt(np.mean(ref ** 2))
            got = {
                "direct-bf16": direct(to_bf16(x), to_bf16(w)),
                "F2-float32": winograd(x, w, F2, np.float32, False),
                "F4-float32": winograd(x, w, F4, np.float32, False),
                "F2-bf16": winograd(x, w, F2, np.float32, True),
                "F4-bf16": winograd(x, w, F4, np.float32, True),
            }
            for k, y in got.items():
                e = y - ref
                stats[k][0].append(np.sqrt(np.mean(e ** 2)) / scale)
                stats[k][1].append(np.max(np.abs(e)) / scale)
        cells = [f"{statistics.median(stats[k][0]):.1e} / {statistics.median(stats[k][1]):.1e}" for k in ways]
        print(f"| {cin} | {cout} | {hw} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
