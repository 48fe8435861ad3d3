// Summaries over repeated runs and samples: mean, std and Student t intervals over seeds, paired
// comparisons of matched runs with Holm's correction, and the grouped jackknife interval of FID.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "qdiff/core/rng.hpp"

namespace qdiff::eval {

struct MeanInterval {
  double mean = 0;
  double std = 0;    // sample std (ddof = 1); NaN when n == 1
  double lo = 0;     // mean -/+ t_{(1+level)/2, n-1} * std / sqrt(n); NaN when n == 1
  double hi = 0;
  double level = 0.95;
  int64_t n = 0;
};
// values: one number per seed (e.g. FID of 5 seeds). Throws for no values, NaN/Inf, or a
// level outside (0, 1).
MeanInterval mean_interval(std::span<const double> values, double level = 0.95);

// Student t distribution with df > 0 degrees of freedom (regularised incomplete beta).
double student_t_cdf(double t, double df);
// Inverse of student_t_cdf for p in (0, 1).
double student_t_quantile(double p, double df);

// ---- the FID interval ---------------------------------------------------------------------
// FID from n samples is biased upwards by roughly a constant / n (the Gaussian fit of a finite
// set adds spread), so an interval around the plain value misses the true distance; resampling
// with replacement (the bootstrap) makes it worse: duplicates shrink the distinct sample count
// and raise FID further. The grouped (delete-a-group) jackknife handles both: the generated set
// is split into G random groups of nearly equal size, FID is recomputed G times with one group
// left out, and
//   corrected = G * fid_n - sum_g (1 - m_g / n) * fid_(-g)          (removes the 1/n bias term)
//   pseudo_g  = h_g * fid_n - (h_g - 1) * fid_(-g),  h_g = n / m_g
//   se^2      = (1 / G) * sum_g (pseudo_g - corrected)^2 / (h_g - 1)
//   interval  = corrected -/+ t_{(1+level)/2, G-1} * se
// (Busing, Meijer and van der Leeden 1999 for unequal groups; with equal groups the usual
// jackknife). Meaning: an interval for the Frechet distance between the Gaussian fit of the
// fixed reference features and the Gaussian of the generator's feature distribution (infinitely
// many samples); it covers the sampling uncertainty of the generated set only, with the reference
// set held fixed. `estimate` (the plain FID of all n samples) lies above it when the bias is
// larger than the sampling error.
struct JackknifeInterval {
  double estimate = 0;   // the statistic on all n rows (plain FID)
  double corrected = 0;  // bias-corrected estimate (centre of the interval)
  double se = 0;         // jackknife standard error of `corrected`
  double lo = 0, hi = 0;
  double level = 0.95;
  int64_t groups = 0;
};

// The grouped jackknife of any statistic of a set of n rows: `statistic(rows)` gets row indices
// (all n, or all but one group). Groups are a seeded random partition into `groups` parts
// (2 <= groups <= n) whose sizes differ by at most one.
JackknifeInterval grouped_jackknife(int64_t n, int64_t groups, Rng& rng,
                                    const std::function<double(const std::vector<int64_t>&)>& statistic,
                                    double level = 0.95);

// The grouped jackknife of FID over the generated set (reference fixed). Needs n_gen - n_gen/groups
// >= 2 (each leave-one-group-out set must allow a Gaussian fit). Costs groups + 1 FIDs.
JackknifeInterval fid_jackknife(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen, int64_t groups, Rng& rng,
                                double level = 0.95);

// ---- paired comparisons over seeds ---------------------------------------------------------
// Differences a_i - b_i of matched runs (same seed, same data subset, same sampling seeds).
struct PairedComparison {
  int64_t n = 0;               // number of pairs
  double mean_diff = 0;        // mean of a_i - b_i
  double sd_diff = 0;          // sample std (ddof = 1) of the differences; NaN when n < 2
  double lo = 0, hi = 0;       // mean_diff -/+ t_{(1+level)/2, n-1} sd_diff / sqrt(n); NaN when n < 2
  double t = 0;                // paired t statistic mean_diff / (sd_diff / sqrt(n))
  double p = 0;                // two-sided p-value of the paired t-test (H0: mean difference 0)
  double d_z = 0;              // Cohen's d_z = mean_diff / sd_diff
  double mean_a = 0, mean_b = 0;
  double sd_a = 0, sd_b = 0;   // std over seeds of each arm (ddof = 1)
  double relative_percent = 0; // 100 * mean_diff / mean_b
  double level = 0.95;
};
// a and b have equal lengths (>= 1) and finite values. All differences equal: t = +-inf and
// p = 0 (or t = 0, p = 1 when they are all 0).
PairedComparison paired_comparison(std::span<const double> a, std::span<const double> b, double level = 0.95);

// Holm's step-down adjustment of p-values (family-wise error control): with the p-values sorted
// ascending p_(1) <= ... <= p_(m), adjusted p_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)),
// returned in the input order. NaN entries are left NaN and do not count towards m.
std::vector<double> holm_adjust(std::span<const double> p);

}  // namespace qdiff::eval
