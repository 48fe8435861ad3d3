// Summaries over repeated runs: mean, std and confidence intervals (Student t over seeds,
// percentile bootstrap for FID over samples).
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <span>

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

struct BootstrapInterval {
  double estimate = 0;  // FID of the full sets
  double lo = 0;        // percentile interval of the bootstrap FIDs
  double hi = 0;
  double std = 0;       // std (ddof = 1) of the bootstrap FIDs
  double level = 0.95;
  int64_t n_boot = 0;
};
// Resamples both sets with replacement n_boot times (n_boot >= 2). Costs n_boot FIDs:
// cheap for D ~ 128. Bootstrap FIDs are biased upwards (duplicates shrink the covariance);
// read the interval as the spread due to the finite sample, not as an unbiased estimate.
BootstrapInterval fid_bootstrap(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen,
                                int64_t n_boot, Rng& rng, double level = 0.95);

}  // namespace qdiff::eval
