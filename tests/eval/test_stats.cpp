// Confidence intervals and the FID bootstrap.
#include <gtest/gtest.h>

#include <cmath>

#include "eval_test_util.hpp"
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

TEST(Stats, FidBootstrapIsDeterministicAndBracketsSpread) {
  Rng rng(1);
  const Eigen::MatrixXd a = testing::random_matrix(rng, 300, 4);
  const Eigen::MatrixXd b = testing::random_matrix(rng, 300, 4).array() + 0.5;
  Rng r1(9), r2(9);
  const BootstrapInterval x = fid_bootstrap(a, b, 50, r1), y = fid_bootstrap(a, b, 50, r2);
  EXPECT_DOUBLE_EQ(x.lo, y.lo);
  EXPECT_DOUBLE_EQ(x.hi, y.hi);
  EXPECT_LT(x.lo, x.hi);
  EXPECT_GT(x.std, 0.0);
  EXPECT_GT(x.estimate, x.lo - 1.0);  // estimate ~ 1 (||0.5||^2 * 4); interval is around it
  EXPECT_LT(x.estimate, x.hi + 1.0);
  EXPECT_NEAR(x.estimate, 1.0, 0.5);
  EXPECT_EQ(x.n_boot, 50);
}

}  // namespace
}  // namespace qdiff::eval
