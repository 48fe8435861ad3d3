// FID: identities, closed forms for known Gaussians, components, sample-count warning.
#include <gtest/gtest.h>

#include <cmath>

#include "eval_test_util.hpp"
#include "qdiff/eval/metrics.hpp"

namespace qdiff::eval {
namespace {

using testing::gaussian_samples;
using testing::random_matrix;

TEST(Fid, SetWithItselfIsZero) {
  Rng rng(1);
  const Eigen::MatrixXd mix = random_matrix(rng, 64, 64);
  const Eigen::MatrixXd x = random_matrix(rng, 500, 64) * mix;  // correlated, full rank
  const FidResult r = fid(x, x);
  EXPECT_DOUBLE_EQ(r.mean_term, 0.0);
  EXPECT_NEAR(r.fid, 0.0, 1e-6 * r.trace_real) << "trace " << r.trace_real;
  EXPECT_NEAR(r.trace_sqrt, r.trace_real, 1e-9 * r.trace_real);
}

TEST(Fid, ComponentsAddUp) {
  Rng rng(2);
  const Eigen::MatrixXd a = random_matrix(rng, 200, 10), b = 1.5 * random_matrix(rng, 150, 10).array() + 0.3;
  const FidResult r = fid(a, b);
  EXPECT_NEAR(r.fid, r.mean_term + r.trace_real + r.trace_gen - 2 * r.trace_sqrt, 1e-12);
  const GaussianFit ga = fit_gaussian(a), gb = fit_gaussian(b);
  EXPECT_NEAR(r.mean_term, (ga.mean - gb.mean).squaredNorm(), 1e-12);
  EXPECT_NEAR(r.trace_real, ga.cov.trace(), 1e-12);
  EXPECT_NEAR(r.trace_gen, gb.cov.trace(), 1e-12);
}

TEST(Fid, CovarianceUsesNMinusOne) {
  Eigen::MatrixXd x(3, 1);
  x << 1, 2, 6;  // mean 3, squared deviations 4 + 1 + 9 = 14 -> 7 with N-1
  const GaussianFit g = fit_gaussian(x);
  EXPECT_DOUBLE_EQ(g.mean(0), 3.0);
  EXPECT_DOUBLE_EQ(g.cov(0, 0), 7.0);
}

// Commuting (diagonal) covariances: FID = ||mu1-mu2||^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
TEST(Fid, DiagonalGaussiansClosedForm) {
  Eigen::VectorXd mu1(3), mu2(3), a(3), b(3);
  mu1 << 1, 0, -2;
  mu2 << 0, 0.5, -2;
  a << 4, 1, 0.25;
  b << 1, 9, 0.25;
  double expected = (mu1 - mu2).squaredNorm();
  for (int i = 0; i < 3; ++i) expected += std::pow(std::sqrt(a(i)) - std::sqrt(b(i)), 2);
  const FidResult r = frechet_distance(mu1, a.asDiagonal().toDenseMatrix(), mu2, b.asDiagonal().toDenseMatrix());
  EXPECT_NEAR(r.fid, expected, 1e-12);  // 1.25 + 1 + 4 + 0 = 6.25
  EXPECT_NEAR(r.fid, 6.25, 1e-12);
}

// Non-commuting 2x2 case, computed independently: for 2x2 SPD M = S1^1/2 S2 S1^1/2,
// (tr M^1/2)^2 = tr M + 2 sqrt(det M), with tr M = tr(S1 S2) and det M = det S1 det S2.
double fid_2x2_closed_form(const Eigen::Vector2d& mu1, const Eigen::Matrix2d& s1, const Eigen::Vector2d& mu2,
                           const Eigen::Matrix2d& s2) {
  const double tr_sqrt = std::sqrt((s1 * s2).trace() + 2.0 * std::sqrt(s1.determinant() * s2.determinant()));
  return (mu1 - mu2).squaredNorm() + s1.trace() + s2.trace() - 2.0 * tr_sqrt;
}

TEST(Fid, NonCommutingGaussiansClosedForm) {
  Eigen::Vector2d mu1(0.5, -1.0), mu2(-0.25, 0.75);
  Eigen::Matrix2d s1, s2;
  s1 << 2.0, 0.9, 0.9, 1.0;
  s2 << 0.5, -0.3, -0.3, 3.0;
  ASSERT_GT((s1 * s2 - s2 * s1).norm(), 0.5);  // really non-commuting
  const double expected = fid_2x2_closed_form(mu1, s1, mu2, s2);
  const FidResult r = frechet_distance(mu1, s1, mu2, s2);
  EXPECT_NEAR(r.fid, expected, 1e-12 * std::max(1.0, expected));
  // Symmetric in its arguments.
  EXPECT_NEAR(frechet_distance(mu2, s2, mu1, s1).fid, expected, 1e-12 * std::max(1.0, expected));
}

// The sample estimate from many draws converges to the closed form.
TEST(Fid, SampledGaussiansApproachClosedForm) {
  Eigen::Vector2d mu1(0.5, -1.0), mu2(-0.25, 0.75);
  Eigen::Matrix2d s1, s2;
  s1 << 2.0, 0.9, 0.9, 1.0;
  s2 << 0.5, -0.3, -0.3, 3.0;
  const double expected = fid_2x2_closed_form(mu1, s1, mu2, s2);
  Rng rng(3);
  const Eigen::MatrixXd x = gaussian_samples(rng, 200000, mu1, s1.llt().matrixL());
  const Eigen::MatrixXd y = gaussian_samples(rng, 200000, mu2, s2.llt().matrixL());
  EXPECT_NEAR(fid(x, y).fid, expected, 0.01 * expected) << "closed form " << expected;
}

TEST(Fid, SqrtmSquaresBack) {
  Rng rng(4);
  const Eigen::MatrixXd a = random_matrix(rng, 6, 6);
  const Eigen::MatrixXd spd = a * a.transpose() + 0.1 * Eigen::MatrixXd::Identity(6, 6);
  const Eigen::MatrixXd r = sqrtm_psd(spd);
  EXPECT_LT((r * r - spd).norm(), 1e-10 * spd.norm());
  EXPECT_LT((r - r.transpose()).norm(), 1e-12);
}

TEST(Fid, SingularCovarianceStaysReal) {
  // 5 samples in 20 dimensions: rank-deficient covariances; the result must be finite and >= 0.
  Rng rng(5);
  const Eigen::MatrixXd a = random_matrix(rng, 5, 20), b = random_matrix(rng, 5, 20);
  const FidResult r = fid(a, b);
  EXPECT_TRUE(std::isfinite(r.fid));
  EXPECT_GE(r.fid, 0.0);
}

TEST(Fid, SampleWarning) {
  EXPECT_EQ(fid_sample_warning(10000, 1000, 128), "");
  const std::string small = fid_sample_warning(10000, 200, 128);
  EXPECT_NE(small.find("200"), std::string::npos) << small;
  EXPECT_NE(small.find("KID"), std::string::npos) << small;
  const std::string singular = fid_sample_warning(10000, 100, 128);
  EXPECT_NE(singular.find("singular"), std::string::npos) << singular;
  EXPECT_NE(fid_sample_warning(50, 5000, 16).find("real"), std::string::npos);
  EXPECT_EQ(fid_sample_warning(600, 600, 16), "");
}

}  // namespace
}  // namespace qdiff::eval
