#!/usr/bin/env python3
"""Reference values of qdiff's beta schedules, computed independently of the C++ code in plain
Python doubles (no numpy needed). The literals in tests/diffusion/test_schedule.cpp come from here.

    python3 scripts/reference_schedules.py [T]
"""
import math
import sys


def cumprod_one_minus(betas):
    out, a = [], 1.0
    for b in betas:
        a *= 1.0 - b
        out.append(a)
    return out


def linear(T, b0=1e-4, b1=0.02):
    return [b0 + (b1 - b0) * t / (T - 1) for t in range(T)]


def cosine(T, s=0.008):
    f = lambda t: math.cos(math.pi / 2 * (t / T + s) / (1 + s)) ** 2
    return [min(max(1 - f(t) / f(t - 1), 1e-4), 0.999) for t in range(1, T + 1)]


def sigmoid(T, b0=1e-4, b1=0.02):
    return [1 / (1 + math.exp(-(-6 + 12 * t / (T - 1)))) * (b1 - b0) + b0 for t in range(T)]


def tailored_alpha_bar(T, p=2.0, b0=1e-4):
    L = math.log((1 - b0) / b0)
    out = []
    for t in range(T):
        u = 2 * t / (T - 1) - 1
        lam = -L * math.sinh(p * u) / math.sinh(p)
        out.append(1 / (1 + math.exp(-lam)))
    return out


def main():
    T = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    for name, betas in (("linear", linear(T)), ("cosine", cosine(T)), ("sigmoid", sigmoid(T))):
        ab = cumprod_one_minus(betas)
        for t in sorted({0, 1, 3, 10, T // 2 - 1, T // 2, T - 2, T - 1}):
            print(f"{name:8s} t={t:5d} beta={betas[t]!r} alpha_bar={ab[t]!r}")
    for p in (2.0, 5.0):
        ab = tailored_alpha_bar(T, p)
        for t in sorted({0, 1, T // 4, T // 2, T - 1}):
            print(f"tailored p={p} t={t:5d} alpha_bar={ab[t]!r}")


if __name__ == "__main__":
    main()
