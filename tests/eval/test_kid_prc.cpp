// KID and precision/recall: properties that do not need a reference file.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "eval_test_util.hpp"
#include "qdiff/eval/metrics.hpp"

namespace qdiff::eval {
namespace {

using testing::random_matrix;

// Direct double loop over the definition, for comparison with the matrix form.
double mmd2_by_loops(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y) {
  const int64_t m = x.rows();
  const double d = double(x.cols());
  auto k = [d](const Eigen::VectorXd& a, const Eigen::VectorXd& b) { return std::pow(a.dot(b) / d + 1.0, 3); };
  double sxx = 0, syy = 0, sxy = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < m; ++j) {
      if (i != j) {
        sxx += k(x.row(i), x.row(j));
        syy += k(y.row(i), y.row(j));
      }
      sxy += k(x.row(i), y.row(j));
    }
  return (sxx + syy) / double(m * (m - 1)) - 2.0 * sxy / double(m * m);
}

TEST(Kid, MatrixFormMatchesDefinition) {
  Rng rng(1);
  const Eigen::MatrixXd x = random_matrix(rng, 12, 5), y = 0.5 * random_matrix(rng, 12, 5).array() + 1.0;
  EXPECT_NEAR(polynomial_mmd2_unbiased(x, y), mmd2_by_loops(x, y), 1e-10);
}

TEST(Kid, SameDistributionNearZeroShiftedPositive) {
  Rng rng(2);
  const Eigen::MatrixXd real = random_matrix(rng, 1000, 16), same = random_matrix(rng, 1000, 16);
  const Eigen::MatrixXd shifted = random_matrix(rng, 1000, 16).array() + 0.5;
  Rng r1(7), r2(7);
  const KidResult k0 = kid(real, same, 20, 200, r1), k1 = kid(real, shifted, 20, 200, r2);
  EXPECT_LT(std::abs(k0.mean), 3 * k0.std / std::sqrt(20.0) + 1e-3) << k0.mean << " +- " << k0.std;
  EXPECT_GT(k1.mean, 10 * std::max(k0.std, std::abs(k0.mean)));
  EXPECT_EQ(k0.subset_values.size(), 20u);
}

TEST(Kid, DeterministicUnderSeed) {
  Rng rng(3);
  const Eigen::MatrixXd a = random_matrix(rng, 100, 8), b = random_matrix(rng, 90, 8);
  Rng r1(11), r2(11), r3(12);
  const KidResult k1 = kid(a, b, 10, 50, r1), k2 = kid(a, b, 10, 50, r2), k3 = kid(a, b, 10, 50, r3);
  EXPECT_EQ(k1.subset_values, k2.subset_values);
  EXPECT_NE(k1.subset_values, k3.subset_values);
}

TEST(Kid, SamplingWithoutReplacement) {
  Rng rng(4);
  const std::vector<int64_t> idx = sample_without_replacement(30, 30, rng);
  EXPECT_EQ(std::set<int64_t>(idx.begin(), idx.end()).size(), 30u);
  const std::vector<int64_t> part = sample_without_replacement(1000, 10, rng);
  EXPECT_EQ(std::set<int64_t>(part.begin(), part.end()).size(), 10u);
  for (int64_t i : part) EXPECT_TRUE(i >= 0 && i < 1000);
  EXPECT_EQ(default_kid_subset_size(5000, 2000), 1000);
  EXPECT_EQ(default_kid_subset_size(5000, 64), 64);
}

TEST(PrecisionRecall, IdenticalSetsAreFull) {
  Rng rng(5);
  const Eigen::MatrixXd x = random_matrix(rng, 100, 4);
  const PrecisionRecall r = precision_recall(x, x, 3);
  EXPECT_DOUBLE_EQ(r.precision, 1.0);
  EXPECT_DOUBLE_EQ(r.recall, 1.0);
}

TEST(PrecisionRecall, FarApartSetsAreEmpty) {
  Rng rng(6);
  const Eigen::MatrixXd real = random_matrix(rng, 60, 4), gen = random_matrix(rng, 50, 4).array() + 100.0;
  const PrecisionRecall r = precision_recall(real, gen, 3);
  EXPECT_DOUBLE_EQ(r.precision, 0.0);
  EXPECT_DOUBLE_EQ(r.recall, 0.0);
}

TEST(PrecisionRecall, CollapsedGeneratorHasPrecisionNotRecall) {
  // Generated samples all sit near the centre of the real distribution: high precision, low recall.
  Rng rng(7);
  const Eigen::MatrixXd real = random_matrix(rng, 400, 2), gen = 0.05 * random_matrix(rng, 400, 2);
  const PrecisionRecall r = precision_recall(real, gen, 3);
  EXPECT_GT(r.precision, 0.85);
  EXPECT_GT(r.precision, 4 * r.recall);
  EXPECT_LT(r.recall, 0.2);
}

TEST(PrecisionRecall, RadiiByBruteForceAcrossBlocks) {
  // More rows than one 256-row block, and duplicates (a duplicate is a neighbour at distance 0).
  Rng rng(8);
  Eigen::MatrixXd x = random_matrix(rng, 600, 3);
  x.row(10) = x.row(500);
  const Eigen::VectorXd r = knn_radii(x, 1);
  EXPECT_DOUBLE_EQ(r(10), 0.0);
  EXPECT_DOUBLE_EQ(r(500), 0.0);
  for (int i : {0, 255, 256, 599}) {
    std::vector<double> d;
    for (int j = 0; j < 600; ++j)
      if (j != i) d.push_back((x.row(i) - x.row(j)).norm());
    std::sort(d.begin(), d.end());
    EXPECT_NEAR(knn_radii(x, 3)(i), d[2], 1e-9) << "row " << i;
  }
}

}  // namespace
}  // namespace qdiff::eval
