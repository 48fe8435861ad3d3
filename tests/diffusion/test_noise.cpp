// Gaussian noise source: statistics, normality tests (which must also reject non-normal data),
// determinism and exact resume.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/diffusion/noise.hpp"
#include "qdiff/diffusion/noise_stats.hpp"

using namespace qdiff;
using namespace qdiff::diffusion;

TEST(NoiseStats, KnownValuesOnASmallSample) {
  const float x[] = {1, 2, 3, 4, 10};
  const NoiseStats s = noise_statistics(x, 5);
  EXPECT_DOUBLE_EQ(s.mean, 4.0);
  EXPECT_NEAR(s.variance, 12.5, 1e-12);
  EXPECT_NEAR(s.skewness, 1.1384199576606167, 1e-12);
  EXPECT_NEAR(s.excess_kurtosis, -0.212, 1e-12);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 10.0);
  EXPECT_NEAR(s.jarque_bera, 5.0 / 6.0 * (1.1384199576606167 * 1.1384199576606167 + 0.212 * 0.212 / 4), 1e-12);
  EXPECT_THROW(noise_statistics(x, 1), InvalidArgument);
  const float bad[] = {0.0f, NAN};
  EXPECT_THROW(noise_statistics(bad, 2), InvalidArgument);
}

TEST(NoiseStats, DistributionFunctions) {
  EXPECT_NEAR(normal_cdf(0.0), 0.5, 1e-15);
  EXPECT_NEAR(normal_cdf(1.959963984540054), 0.975, 1e-12);
  EXPECT_NEAR(normal_cdf(-1.0), 0.15865525393145707, 1e-12);
  EXPECT_NEAR(kolmogorov_survival(1.36), 0.049485876755377876, 1e-10);
  EXPECT_NEAR(kolmogorov_survival(1.0), 0.26999967167735456, 1e-10);
  EXPECT_NEAR(kolmogorov_survival(0.5), 0.9639452436648751, 1e-10);
  EXPECT_EQ(kolmogorov_survival(0.0), 1.0);
}

TEST(GaussianNoise, StatisticsOfOneHundredThousand) {
  GaussianNoise g(42);
  std::vector<float> x(100000);
  g.fill_normal(x.data(), static_cast<int64_t>(x.size()));
  const NoiseStats s = noise_statistics(x.data(), static_cast<int64_t>(x.size()));
  // Standard errors at n = 1e5: mean 0.0032, variance 0.0045, skewness 0.0077, kurtosis 0.0155.
  EXPECT_NEAR(s.mean, 0.0, 0.013);
  EXPECT_NEAR(s.variance, 1.0, 0.018);
  EXPECT_NEAR(s.skewness, 0.0, 0.031);
  EXPECT_NEAR(s.excess_kurtosis, 0.0, 0.062);
  EXPECT_GT(s.jarque_bera_p, 0.01);
  EXPECT_GT(s.ks_p, 0.01);
  EXPECT_TRUE(s.looks_standard_normal());
  EXPECT_NE(s.report().find("consistent with N(0,1)"), std::string::npos);
}

TEST(GaussianNoise, TestsRejectNonNormalSamples) {
  const int n = 100000;
  Rng rng(1);
  // Uniform with mean 0 and variance 1: right moments, wrong shape (kurtosis -1.2).
  std::vector<float> u(n);
  for (auto& v : u) v = static_cast<float>((2.0 * rng.uniform() - 1.0) * std::sqrt(3.0));
  const NoiseStats su = noise_statistics(u.data(), n);
  EXPECT_NEAR(su.excess_kurtosis, -1.2, 0.05);
  EXPECT_LT(su.jarque_bera_p, 1e-6);
  EXPECT_LT(su.ks_p, 1e-6);
  EXPECT_FALSE(su.looks_standard_normal());
  EXPECT_NE(su.report().find("NOT N(0,1)"), std::string::npos);
  // A normal with the wrong mean: the shape test passes, the KS test against N(0,1) rejects.
  GaussianNoise g(2);
  std::vector<float> x(n);
  g.fill_normal(x.data(), n);
  for (auto& v : x) v += 0.05f;
  const NoiseStats sx = noise_statistics(x.data(), n);
  EXPECT_GT(sx.jarque_bera_p, 0.01);
  EXPECT_LT(sx.ks_p, 1e-6);
  EXPECT_FALSE(sx.looks_standard_normal());
}

TEST(GaussianNoise, DeterministicAndResumable) {
  GaussianNoise a(7), b(7), c(8);
  std::vector<float> xa(1001), xb(1001), xc(1001);
  a.fill_normal(xa.data(), 1001);
  b.fill_normal(xb.data(), 1001);
  c.fill_normal(xc.data(), 1001);
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
  // After an odd count a Box-Muller spare is pending: the state must carry it.
  const std::string saved = a.state().dump();
  GaussianNoise r(999);
  r.set_state(nlohmann::json::parse(saved));
  std::vector<float> ya(513), yr(513);
  a.fill_normal(ya.data(), 513);
  r.fill_normal(yr.data(), 513);
  EXPECT_EQ(ya, yr);
  EXPECT_THROW(r.set_state(nlohmann::json{{"kind", "quantum"}}), InvalidArgument);
  EXPECT_THROW(r.set_state(nlohmann::json{{"kind", "gaussian"}, {"rng", {{"s", {1, 2}}}}}), InvalidArgument);
}
