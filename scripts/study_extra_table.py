#!/usr/bin/python3
"""The README's table of the extra MNIST rows at N = 25 (issue 12), from committed results only.

The extra grid (configs/sweeps/study_mnist_extra.json) names its cells by strategy, each strategy
fixing the noise recipe and the bottleneck (`quantum_noise-quantum`, ...), so `qdiff sweep
--aggregate-only` cannot pair its arms by `model.bottleneck`. This script does: it reads the extra
grid's results.csv and the main MNIST grid's (whose N = 25 cells are the Gaussian-noise rows, same
data subset, seeds and evaluation), pairs cells by training seed and prints, in markdown:
  1. per noise recipe: each arm's FID (mean +- std over seeds), quantum - classical paired by seed
     [95% t interval], p of the paired t-test, Holm p across the recipes;
  2. each other recipe against the Gaussian one within each arm, paired likewise (Holm across the
     four comparisons);
  3. the paper's own setting (16 qubits, its ansatz) against the default 8-qubit quantum model and
     the classical twin, both with Gaussian noise, paired likewise (Holm across the two).
Usage: scripts/study_extra_table.py [--extra data/results/study/mnist_extra/results.csv]
                                    [--base data/results/study/mnist/results.csv] [--n 25] [--metric fid]
"""
import argparse
import csv
import math
import statistics
import sys


def t_cdf(t, df):
    """P(T <= t) for Student's t with an integer number df >= 1 of degrees of freedom, in closed form
    (Abramowitz and Stegun 26.7.3-4: P(|T| <= t) as a finite series in theta = atan(t / sqrt(df)))."""
    theta = math.atan(abs(t) / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2:  # odd: 2/pi [theta + sin cos (1 + 2/3 cos^2 + 2 4/(3 5) cos^4 + ...)]
        term, series = 1.0, 0.0
        for k in range(1, (df - 1) // 2 + 1):
            series += term
            term *= c2 * (2 * k) / (2 * k + 1)
        inside = 2 / math.pi * (theta + (math.sin(theta) * math.cos(theta) * series if df > 1 else 0.0))
    else:  # even: sin (1 + 1/2 cos^2 + 1 3/(2 4) cos^4 + ...)
        term, series = 1.0, 0.0
        for k in range(1, df // 2 + 1):
            series += term
            term *= c2 * (2 * k - 1) / (2 * k)
        inside = math.sin(theta) * series
    return 0.5 + math.copysign(inside / 2, t)


def t_quantile(q, df):
    lo, hi = -1e3, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def paired(a, b):
    """Paired comparison of a - b (lists in seed order): mean, 95% t interval, two-sided p."""
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    if n == 0:
        return (float("nan"),) * 4
    m = statistics.mean(d)
    if n < 2:
        return m, float("nan"), float("nan"), float("nan")
    sd = statistics.stdev(d)
    if sd == 0:
        return m, m, m, 0.0 if m != 0 else 1.0
    se = sd / math.sqrt(n)
    t = m / se
    half = t_quantile(0.975, n - 1) * se
    return m, m - half, m + half, 2 * (1 - t_cdf(abs(t), n - 1))


def holm(ps):
    """Holm's step-down adjustment, in the input order."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    out, running = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        out[i] = running
    return out


def fmt(x, digits=4):
    if isinstance(x, float) and math.isnan(x):
        return "-"
    return f"{x:.{digits}g}"


def mean_std(v):
    if not v:
        return "-"
    return f"{fmt(statistics.mean(v))} +- {fmt(statistics.stdev(v), 2)}" if len(v) > 1 else fmt(v[0])


def read(path, metric, key):
    """{(arm label): {seed: value}} of the ok cells of a results.csv, labelled by key(row)."""
    out = {}
    try:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                label = key(row)
                if label is None or row["status"] != "ok" or not row.get(metric):
                    continue
                out.setdefault(label, {})[int(row["train.seed"])] = float(row[metric])
    except OSError as e:
        sys.exit(f"study_extra_table.py: cannot read {path}: {e.strerror}")
    except KeyError as e:
        sys.exit(f"study_extra_table.py: {path}: no column {e} (is it a qdiff sweep results.csv?)")
    return out


def compare(x, y):
    seeds = sorted(set(x) & set(y))
    return seeds, paired([x[s] for s in seeds], [y[s] for s in seeds])


def holm_where_paired(results):
    """{row index: Holm p} over the rows of `results` ((seeds, paired(...)) each) that have a p."""
    valid = [i for i, (seeds, r) in enumerate(results) if seeds and not math.isnan(r[3])]
    return dict(zip(valid, holm([results[i][1][3] for i in valid])))


def difference_cells(seeds, stats, holm_p):
    """The table cells 'pairs | difference [95% CI] | p | Holm p' of one comparison."""
    if not seeds:
        return "0 | - | - | -"
    m, lo, hi, p = stats
    return f"{len(seeds)} | {m:+.3g} [{fmt(lo, 3)}, {fmt(hi, 3)}] | {fmt(p, 2)} | {fmt(holm_p, 2)}"


def table(cells, comparisons):
    """Rows (label, arm, a, b): a - b paired by seed, Holm across the rows that have pairs."""
    res = [compare(cells.get(a, {}), cells.get(b, {})) for _, _, a, b in comparisons]
    holm_of = holm_where_paired(res)
    for i, ((label, arm, _, _), (seeds, stats)) in enumerate(zip(comparisons, res)):
        print(f"| {label} | {arm} | {difference_cells(seeds, stats, holm_of.get(i, float('nan')))} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extra", default="data/results/study/mnist_extra/results.csv")
    ap.add_argument("--base", default="data/results/study/mnist/results.csv")
    ap.add_argument("--n", default="25", help="the N of the extra rows (the base grid's cells at this N are used)")
    ap.add_argument("--metric", default="fid")
    args = ap.parse_args()

    cells = read(args.extra, args.metric, lambda r: r["strategy"])
    base = read(args.base, args.metric, lambda r: r["model.bottleneck"] if r["data.n"] == args.n else None)
    cells.update({f"gaussian-{arm}": v for arm, v in base.items()})

    recipes = [("gaussian", "Gaussian noise, linear schedule, uniform timesteps (the main grid)"),
               ("quantum_noise", "quantum-sampled noise"),
               ("tailored", "tailored schedule, importance-sampled timesteps")]
    arms = [(cells.get(f"{key}-quantum", {}), cells.get(f"{key}-classical", {})) for key, _ in recipes]
    res = [compare(q, c) for q, c in arms]
    holm_of = holm_where_paired(res)
    print(f"N = {args.n}, {args.metric} (lower is better); mean +- std over seeds; quantum - classical paired by "
          f"training seed, 95% t interval, p of the paired t-test, Holm p across the {len(holm_of)} recipes.\n")
    print("| noise recipe | quantum | classical | pairs | quantum - classical [95% CI] | p | Holm p |")
    print("|---|---|---|---|---|---|---|")
    for i, ((_, label), (q, c), (seeds, stats)) in enumerate(zip(recipes, arms, res)):
        print(f"| {label} | {mean_std(list(q.values()))} | {mean_std(list(c.values()))} | "
              f"{difference_cells(seeds, stats, holm_of.get(i, float('nan')))} |")

    print("\nEach other recipe against the Gaussian one, within each arm, paired by seed (Holm across the "
          "comparisons that have pairs).\n")
    print("| comparison | arm | pairs | difference [95% CI] | p | Holm p |")
    print("|---|---|---|---|---|---|")
    table(cells, [(f"{key} - gaussian", arm, f"{key}-{arm}", f"gaussian-{arm}")
                  for key, _ in recipes[1:] for arm in ("quantum", "classical")])

    p16 = cells.get("paper16-quantum", {})
    print(f"\nThe paper's setting (16 qubits, its ansatz, Gaussian noise): {mean_std(list(p16.values()))}, against "
          f"the main grid's Gaussian-noise arms at N = {args.n}, paired by seed (Holm across the two).\n")
    print("| comparison | arm | pairs | difference [95% CI] | p | Holm p |")
    print("|---|---|---|---|---|---|")
    table(cells, [("paper16 - default quantum (8 qubits)", "quantum", "paper16-quantum", "gaussian-quantum"),
                  ("paper16 - classical", "-", "paper16-quantum", "gaussian-classical")])


if __name__ == "__main__":
    main()
