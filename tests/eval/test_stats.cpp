// Intervals over seeds, paired comparisons with Holm's adjustment, and the FID jackknife.
#include <gtest/gtest.h>

#include <cmath>

#include "eval_test_util.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/eval/metrics.hpp"
#include "qdiff/eval/stats.hpp"

namespace qdiff::eval {
namespace {

TEST(Stats, StudentTKnownValues) {
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706204736174707, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.7764451051977987, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 1e7), 1.959963984540054, 1e-5);  // -> normal
  EXPECT_NEAR(student_t_quantile(0.025, 4), -2.7764451051977987, 1e-9);
  EXPECT_DOUBLE_EQ(student_t_quantile(0.5, 3), 0.0);
  EXPECT_NEAR(student_t_cdf(0.0, 7), 0.5, 1e-15);
  EXPECT_NEAR(student_t_cdf(1.0, 1), 0.75, 1e-12);  // Cauchy: 1/2 + atan(1)/pi
}

TEST(Stats, MeanIntervalTwoValues) {
  const double v[] = {1.0, 3.0};  // mean 2, std sqrt(2), half-width t(0.975,1) * sqrt(2)/sqrt(2)
  const MeanInterval r = mean_interval(v);
  EXPECT_DOUBLE_EQ(r.mean, 2.0);
  EXPECT_NEAR(r.std, std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(r.hi - r.mean, 12.706204736174707, 1e-9);
  EXPECT_NEAR(r.mean - r.lo, 12.706204736174707, 1e-9);
}

TEST(Stats, MeanIntervalSingleValueHasNoSpread) {
  const double v[] = {4.5};
  const MeanInterval r = mean_interval(v);
  EXPECT_DOUBLE_EQ(r.mean, 4.5);
  EXPECT_TRUE(std::isnan(r.std));
  EXPECT_TRUE(std::isnan(r.lo));
  EXPECT_TRUE(std::isnan(r.hi));
}

// ---- paired comparisons and Holm ---------------------------------------------------------------

// Student t with 3 degrees of freedom has a closed-form CDF, an independent reference:
// F(t) = 1/2 + (t / (sqrt(3) (1 + t^2/3)) + atan(t / sqrt(3))) / pi.
double t3_cdf(double t) { return 0.5 + (t / (std::sqrt(3.0) * (1 + t * t / 3)) + std::atan(t / std::sqrt(3.0))) / M_PI; }

TEST(Stats, StudentTMatchesTheClosedFormForThreeDegreesOfFreedom) {
  for (double t : {-4.0, -1.3, 0.2, 2.04939015319192, 7.5}) EXPECT_NEAR(student_t_cdf(t, 3), t3_cdf(t), 1e-13) << t;
  EXPECT_NEAR(student_t_quantile(0.975, 3), 3.182446305284263, 1e-9);
  EXPECT_NEAR(t3_cdf(student_t_quantile(0.9, 3)), 0.9, 1e-12);
}

TEST(Stats, PairedComparisonByHand) {
  // differences {2, 1, 0, 4}: mean 1.75, sd sqrt(8.75/3), t = 1.75 / (sd / 2) on 3 d.f.
  const double a[] = {10, 12, 9, 14}, b[] = {8, 11, 9, 10};
  const PairedComparison c = paired_comparison(a, b);
  const double sd = std::sqrt(8.75 / 3.0), t = 1.75 / (sd / 2.0);
  EXPECT_EQ(c.n, 4);
  EXPECT_DOUBLE_EQ(c.mean_diff, 1.75);
  EXPECT_NEAR(c.sd_diff, sd, 1e-14);
  EXPECT_NEAR(c.t, t, 1e-12);
  EXPECT_NEAR(c.p, 2.0 * (1.0 - t3_cdf(t)), 1e-12);
  EXPECT_NEAR(c.p, 0.13284184055977555, 1e-12);
  EXPECT_NEAR(c.lo, 1.75 - 3.182446305284263 * sd / 2.0, 1e-9);
  EXPECT_NEAR(c.hi, 1.75 + 3.182446305284263 * sd / 2.0, 1e-9);
  EXPECT_NEAR(c.d_z, 1.75 / sd, 1e-14);
  EXPECT_NEAR(c.relative_percent, 100.0 * 1.75 / 9.5, 1e-12);
  EXPECT_DOUBLE_EQ(c.mean_a, 11.25);
  EXPECT_NEAR(c.sd_b, std::sqrt(5.0 / 3.0), 1e-14);
  // Degenerate cases: one pair (no test), identical differences (certain sign).
  const double one_a[] = {3}, one_b[] = {1};
  EXPECT_TRUE(std::isnan(paired_comparison(one_a, one_b).p));
  const double same_a[] = {3, 4, 5}, same_b[] = {2, 3, 4};
  EXPECT_EQ(paired_comparison(same_a, same_b).p, 0.0);
  EXPECT_EQ(paired_comparison(same_a, same_a).p, 1.0);
  const double short_b[] = {1, 2};
  EXPECT_THROW(paired_comparison(a, short_b), InvalidArgument);
}

TEST(Stats, HolmAdjustmentByHand) {
  // sorted 0.005, 0.01, 0.03, 0.04 -> 4 * 0.005, 3 * 0.01, max(2 * 0.03, .), max(1 * 0.04, 0.06)
  const double p[] = {0.01, 0.04, 0.03, 0.005};
  const auto adj = holm_adjust(p);
  const double want[] = {0.03, 0.06, 0.06, 0.02};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(adj[i], want[i], 1e-15) << i;
  const double with_nan[] = {0.02, NAN, 0.5};
  const auto b = holm_adjust(with_nan);
  EXPECT_NEAR(b[0], 0.04, 1e-15);
  EXPECT_TRUE(std::isnan(b[1]));
  EXPECT_NEAR(b[2], 0.5, 1e-15);
  const double big[] = {0.6, 0.7};
  EXPECT_EQ(holm_adjust(big)[0], 1.0);  // capped at 1
  const double bad[] = {1.5};
  EXPECT_THROW(holm_adjust(bad), InvalidArgument);
}

// ---- grouped jackknife ----------------------------------------------------------------------

double plug_in_variance(const std::vector<double>& x, const std::vector<int64_t>& rows) {
  double m = 0, ss = 0;
  for (int64_t i : rows) m += x[i];
  m /= double(rows.size());
  for (int64_t i : rows) ss += (x[i] - m) * (x[i] - m);
  return ss / double(rows.size());
}
double mean_of(const std::vector<double>& x, const std::vector<int64_t>& rows) {
  double m = 0;
  for (int64_t i : rows) m += x[i];
  return m / double(rows.size());
}

TEST(Stats, DeleteOneJackknifeClosedForms) {
  // Classical identities: the jackknife of the plug-in variance (ddof 0) is the sample variance
  // (ddof 1), and the jackknife standard error of the mean is s / sqrt(n).
  const std::vector<double> x = {2.0, 3.5, -1.0, 4.0, 0.5, 7.0, 1.5};  // mean 17.5/7 = 2.5
  double ss = 0;
  for (double v : x) ss += (v - 2.5) * (v - 2.5);
  const double s2 = ss / 6.0;
  Rng rng(5);
  const auto var = grouped_jackknife(7, 7, rng, [&](const auto& rows) { return plug_in_variance(x, rows); });
  EXPECT_NEAR(var.estimate, ss / 7.0, 1e-12);
  EXPECT_NEAR(var.corrected, s2, 1e-12);
  const auto mean = grouped_jackknife(7, 7, rng, [&](const auto& rows) { return mean_of(x, rows); });
  EXPECT_NEAR(mean.corrected, 2.5, 1e-12);
  EXPECT_NEAR(mean.se, std::sqrt(s2 / 7.0), 1e-12);
  EXPECT_NEAR(mean.hi - mean.corrected, student_t_quantile(0.975, 6) * mean.se, 1e-12);
  EXPECT_NEAR(mean.corrected - mean.lo, mean.hi - mean.corrected, 1e-12);
}

TEST(Stats, GroupedJackknifeUnequalGroupsLeavesALinearStatisticUnchanged) {
  // 10 rows in 3 groups (4, 3, 3): the weighted formula must not "correct" an unbiased mean, and
  // equal groups remove the bias of the plug-in variance exactly in expectation; checked here in
  // the equal case against the hand formula G v_n - (G - 1) mean(v_(-g)).
  std::vector<double> x(10);
  Rng data(2);
  for (auto& v : x) v = data.normal();
  Rng rng(1);
  const auto m = grouped_jackknife(10, 3, rng, [&](const auto& rows) { return mean_of(x, rows); });
  std::vector<int64_t> all(10);
  for (int64_t i = 0; i < 10; ++i) all[i] = i;
  EXPECT_NEAR(m.corrected, mean_of(x, all), 1e-12);
  EXPECT_EQ(m.groups, 3);
  std::vector<double> left_out;
  Rng r1(4), r2(4);
  const auto v = grouped_jackknife(10, 5, r1, [&](const auto& rows) {
    if (rows.size() == 8) left_out.push_back(plug_in_variance(x, rows));
    return plug_in_variance(x, rows);
  });
  ASSERT_EQ(left_out.size(), 5u);
  double mean_left = 0;
  for (double l : left_out) mean_left += l / 5.0;
  EXPECT_NEAR(v.corrected, 5.0 * v.estimate - 4.0 * mean_left, 1e-12);
  const auto again = grouped_jackknife(10, 5, r2, [&](const auto& rows) { return plug_in_variance(x, rows); });
  EXPECT_DOUBLE_EQ(again.lo, v.lo);  // seeded: the same partition
  Rng bad(0);
  EXPECT_THROW(grouped_jackknife(3, 4, bad, [&](const auto& rows) { return 0.0; }), InvalidArgument);
}

// Gaussian features of known Frechet distance: reference N(0, I) (its sample fit is held fixed, as
// `qdiff eval` holds the reference set fixed), generator N(mu, diag(s^2)). The true value is the
// closed form between the reference fit and the generator's Gaussian.
struct CoverageRun {
  double covered = 0;        // share of intervals containing the true distance
  double plain_covered = 0;  // the same interval moved to the plain (biased) estimate
  double mean_bias = 0;      // mean of plain FID - truth
};
CoverageRun fid_coverage(int reps, int64_t d, int64_t n_ref, int64_t n_gen, int64_t groups) {
  Rng rng(2024);
  const Eigen::MatrixXd real = testing::random_matrix(rng, n_ref, d);
  const GaussianFit ref = fit_gaussian(real);
  Eigen::VectorXd mu(d), s(d);
  for (int64_t j = 0; j < d; ++j) mu(j) = 0.3 * std::sin(double(j)), s(j) = 0.7 + 0.6 * double(j % 3) / 2.0;
  const Eigen::MatrixXd cov = s.cwiseAbs2().asDiagonal();
  const double truth = frechet_distance(ref.mean, ref.cov, mu, cov).fid;
  CoverageRun c;
  for (int r = 0; r < reps; ++r) {
    const Eigen::MatrixXd gen = testing::gaussian_samples(rng, n_gen, mu, Eigen::MatrixXd(s.asDiagonal()));
    const JackknifeInterval ci = fid_jackknife(real, gen, groups, rng);
    EXPECT_LE(ci.lo, ci.corrected);
    EXPECT_GE(ci.hi, ci.corrected);
    c.covered += (ci.lo <= truth && truth <= ci.hi) / double(reps);
    const double half = 0.5 * (ci.hi - ci.lo);
    c.plain_covered += (std::fabs(ci.estimate - truth) <= half) / double(reps);
    c.mean_bias += (ci.estimate - truth) / double(reps);
  }
  return c;
}

TEST(Stats, FidJackknifeIntervalCoversTheTrueDistanceAtItsNominalRate) {
  // 200 replications: the binomial standard error of a 95% coverage is 1.5 points.
  const CoverageRun c = fid_coverage(200, 16, 2000, 300, 20);
  EXPECT_GE(c.covered, 0.91);
  EXPECT_LE(c.covered, 0.99);
  // The plain FID is biased upwards by more than its standard error here, so the same interval
  // around it would miss: the bias correction is what makes the coverage.
  EXPECT_GT(c.mean_bias, 0.0);
  EXPECT_LT(c.plain_covered, 0.8);
}

}  // namespace
}  // namespace qdiff::eval
