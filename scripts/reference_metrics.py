#!/usr/bin/env python3
"""Reference values for qdiff's evaluation metrics, computed independently with numpy/scipy.

Writes tests/data/metrics_reference.npz: deterministic inputs (fixed-seed numpy Generator) and
the numbers tests/eval/test_metrics_reference.cpp expects for them. Run from the repository
root with Debian's python3 (python3-numpy, python3-scipy, optionally python3-skimage):

    /usr/bin/python3 scripts/reference_metrics.py [--out tests/data/metrics_reference.npz]

Independence from the C++ code:
  - FID uses scipy.linalg.sqrtm(S1 @ S2) (the pytorch-fid formula), not a symmetric
    eigendecomposition.
  - KID is the torch-fidelity formula (vectorised numpy) on index lists drawn here and stored,
    so C++ evaluates exactly the same subsets.
  - precision/recall use scipy.spatial.distance.cdist and a full sort.
  - SSIM uses skimage.metrics.structural_similarity when available, and a direct scipy
    implementation (scipy.ndimage.gaussian_filter + crop) always; the two must agree.
  - Student t quantiles come from scipy.stats.t.ppf.
"""
import argparse
import os

import numpy as np
import scipy.linalg
import scipy.ndimage
import scipy.spatial.distance
import scipy.stats

SEED = 20260601


def fid_reference(x, y):
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    return fid_from_moments(mu1, s1, mu2, s2)


def fid_from_moments(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    if np.iscomplexobj(covmean):
        assert np.max(np.abs(covmean.imag)) < 1e-8, "sqrtm has a large imaginary part"
        covmean = covmean.real
    diff = mu1 - mu2
    tr_sqrt = np.trace(covmean)
    fid = diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_sqrt
    return np.array([fid, diff @ diff, np.trace(s1), np.trace(s2), tr_sqrt])


def mmd2_unbiased_poly3(x, y):
    """torch-fidelity's mmd2 with kernel (x.y / d + 1)^3, unbiased estimator."""
    d = x.shape[1]
    m = x.shape[0]
    kxx = (x @ x.T / d + 1.0) ** 3
    kyy = (y @ y.T / d + 1.0) ** 3
    kxy = (x @ y.T / d + 1.0) ** 3
    kt_xx = kxx.sum() - np.trace(kxx)
    kt_yy = kyy.sum() - np.trace(kyy)
    return (kt_xx + kt_yy) / (m * (m - 1)) - 2.0 * kxy.sum() / (m * m)


def precision_recall_reference(real, gen, k):
    def radii(x):
        d = scipy.spatial.distance.cdist(x, x)
        np.fill_diagonal(d, np.inf)
        return np.sort(d, axis=1)[:, k - 1]

    r_real, r_gen = radii(real), radii(gen)
    d_gr = scipy.spatial.distance.cdist(gen, real)  # [n_gen, n_real]
    precision = np.mean(np.any(d_gr <= r_real[None, :], axis=1))
    recall = np.mean(np.any(d_gr.T <= r_gen[None, :], axis=1))
    return np.array([precision, recall])


def ssim_scipy(x, y, data_range=2.0, sigma=1.5, truncate=3.5, k1=0.01, k2=0.03):
    """SSIM of [C, H, W] float64 images, Wang et al. 2004 as skimage computes it."""
    pad = int(truncate * sigma + 0.5)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    vals = []
    for a, b in zip(x, y):
        f = lambda im: scipy.ndimage.gaussian_filter(im, sigma, truncate=truncate, mode="reflect")
        ux, uy = f(a), f(b)
        vx, vy, vxy = f(a * a) - ux * ux, f(b * b) - uy * uy, f(a * b) - ux * uy
        s = (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
        vals.append(s[pad:-pad, pad:-pad].mean())
    return float(np.mean(vals))


def ssim_matrix(a, b):
    """[len(a), len(b)] SSIM matrix; skimage when installed (cross-checked against scipy)."""
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        structural_similarity = None
    m = np.empty((len(a), len(b)))
    for i in range(len(a)):
        for j in range(len(b)):
            ours = ssim_scipy(a[i], b[j])
            if structural_similarity is not None:
                sk = structural_similarity(a[i], b[j], data_range=2.0, gaussian_weights=True, sigma=1.5,
                                           use_sample_covariance=False, channel_axis=0)
                assert abs(sk - ours) < 1e-12, (i, j, sk, ours)
                m[i, j] = sk
            else:
                m[i, j] = ours
    return m, structural_similarity is not None


def t_quantile(p, df):
    """scipy.stats.t.ppf polished by Newton steps on scipy.stats.t.cdf: scipy 1.10's ppf is only
    good to ~1e-9 relative (e.g. ppf(0.95, 4) = 2.1318467813 vs the exact 2.1318467863), while
    its cdf is accurate to rounding."""
    q = scipy.stats.t.ppf(p, df)
    for _ in range(4):
        q -= (scipy.stats.t.cdf(q, df) - p) / scipy.stats.t.pdf(q, df)
    return q


def smooth_images(rng, n, c, h=28, w=28):
    """Blob-like images in [-1, 1]: smoothed noise through tanh (float32, as qdiff stores them)."""
    z = rng.standard_normal((n, c, h, w))
    z = scipy.ndimage.gaussian_filter(z, sigma=(0, 0, 2.0, 2.0))
    z = np.tanh(4.0 * z / z.std())
    return z.astype(np.float32)


def random_spd(rng, d, scale):
    a = rng.standard_normal((d, d))
    return scale * (a @ a.T / d + 0.1 * np.eye(d))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="tests/data/metrics_reference.npz")
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    out = {}

    # ---- FID on features: correlated real set, shifted/rotated generated set (non-commuting covs)
    d = 8
    a_real = rng.standard_normal((d, d))
    a_gen = rng.standard_normal((d, d))
    real = rng.standard_normal((60, d)) @ a_real + 0.5
    gen = rng.standard_normal((50, d)) @ (0.7 * a_gen) - 0.2
    out["fid_real"] = real
    out["fid_gen"] = gen
    out["fid_expected"] = fid_reference(real, gen)  # [fid, mean_term, tr1, tr2, tr_sqrt]

    # ---- FID from moments directly (non-commuting SPD covariances)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = random_spd(rng, d, 2.0), random_spd(rng, d, 0.5)
    assert np.linalg.norm(s1 @ s2 - s2 @ s1) > 1e-3
    out["gauss_mu1"], out["gauss_s1"], out["gauss_mu2"], out["gauss_s2"] = mu1, s1, mu2, s2
    out["gauss_expected"] = fid_from_moments(mu1, s1, mu2, s2)

    # ---- KID: explicit subsets so C++ evaluates the same ones
    kd = 16
    kid_real = rng.standard_normal((40, kd))
    kid_gen = 1.2 * rng.standard_normal((35, kd)) + 0.3
    n_subsets, m = 7, 20
    real_idx = np.stack([rng.choice(len(kid_real), m, replace=False) for _ in range(n_subsets)]).astype(np.int64)
    gen_idx = np.stack([rng.choice(len(kid_gen), m, replace=False) for _ in range(n_subsets)]).astype(np.int64)
    mmds = np.array([mmd2_unbiased_poly3(kid_real[r], kid_gen[g]) for r, g in zip(real_idx, gen_idx)])
    out["kid_real"], out["kid_gen"] = kid_real, kid_gen
    out["kid_real_idx"], out["kid_gen_idx"] = real_idx, gen_idx
    out["kid_subset_values"] = mmds
    out["kid_expected"] = np.array([mmds.mean(), mmds.std()])  # torch-fidelity: np.std, ddof=0

    # ---- precision / recall, k = 3 (and k = 5)
    pr_real = rng.standard_normal((80, 6))
    pr_gen = 0.8 * rng.standard_normal((70, 6)) + np.array([0.7, 0, 0, 0, 0, 0.3])
    out["pr_real"], out["pr_gen"] = pr_real, pr_gen
    out["pr_expected_k3"] = precision_recall_reference(pr_real, pr_gen, 3)
    out["pr_expected_k5"] = precision_recall_reference(pr_real, pr_gen, 5)
    d_rr = scipy.spatial.distance.cdist(pr_real, pr_real)
    np.fill_diagonal(d_rr, np.inf)
    out["pr_real_radii_k3"] = np.sort(d_rr, axis=1)[:, 2]

    # ---- SSIM, grey [N, 1, 28, 28] and colour [N, 3, 28, 28]; some generated images are noisy
    # copies of reference images so the nearest-neighbour search has a clear answer.
    used_skimage = True
    for name, c, n_ref, n_gen in (("grey", 1, 12, 9), ("colour", 3, 6, 5)):
        ref = smooth_images(rng, n_ref, c)
        gen = smooth_images(rng, n_gen, c)
        copies = rng.choice(n_ref, n_gen // 2, replace=False)
        for i, j in enumerate(copies):
            gen[i] = np.clip(ref[j] + 0.15 * rng.standard_normal(ref[j].shape), -1, 1).astype(np.float32)
        ref64, gen64 = ref.astype(np.float64), gen.astype(np.float64)
        mat, sk = ssim_matrix(gen64, ref64)
        used_skimage &= sk
        pair, _ = ssim_matrix(gen64, gen64)
        iu = np.triu_indices(n_gen, 1)
        out[f"ssim_{name}_ref"], out[f"ssim_{name}_gen"] = ref, gen
        out[f"ssim_{name}_matrix"] = mat
        out[f"ssim_{name}_argmax"] = mat.argmax(axis=1).astype(np.int64)
        out[f"ssim_{name}_max"] = mat.max(axis=1)
        out[f"ssim_{name}_pairwise"] = np.array([pair[iu].mean(), pair[iu].std()])

    # ---- Student t quantiles and a mean interval over "seeds"
    dfs = np.array([1, 2, 3, 4, 5, 9, 29, 100], dtype=np.float64)
    ps = np.array([0.975, 0.95, 0.995, 0.6])
    out["t_df"], out["t_p"] = dfs, ps
    out["t_quantiles"] = np.array([[t_quantile(p, df) for p in ps] for df in dfs])
    seeds = np.array([31.2, 28.7, 35.1, 30.4, 29.9])
    sem = seeds.std(ddof=1) / np.sqrt(len(seeds))
    half = t_quantile(0.975, len(seeds) - 1) * sem
    lo, hi = seeds.mean() - half, seeds.mean() + half
    out["ci_values"] = seeds
    out["ci_expected"] = np.array([seeds.mean(), seeds.std(ddof=1), lo, hi])

    out["meta_used_skimage"] = np.array([1 if used_skimage else 0], dtype=np.int64)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    np.savez(args.out, **out)
    print(f"wrote {args.out}: {len(out)} arrays; skimage used for SSIM: {used_skimage}")
    print("FID", out["fid_expected"][0], "KID", out["kid_expected"], "P/R k=3", out["pr_expected_k3"])
    print("SSIM grey max", np.round(out["ssim_grey_max"], 4), "pairwise", out["ssim_grey_pairwise"])


if __name__ == "__main__":
    main()
