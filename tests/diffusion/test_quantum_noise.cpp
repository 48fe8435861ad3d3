// Quantum-generated noise: bits are fair, normals pass the normality tests, resume is exact.
#include <gtest/gtest.h>

#include <vector>

#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/diffusion/noise_stats.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"

using namespace qdiff;
using namespace qdiff::diffusion;

TEST(QuantumNoise, NormalsHaveStandardStatistics) {
  QuantumNoise q(12, 7);
  std::vector<float> x(100000);
  q.fill_normal(x.data(), static_cast<int64_t>(x.size()));
  const auto st = noise_statistics(x.data(), static_cast<int64_t>(x.size()));
  EXPECT_NEAR(st.mean, 0.0, 0.015);
  EXPECT_NEAR(st.variance, 1.0, 0.02);
  EXPECT_NEAR(st.skewness, 0.0, 0.03);
  EXPECT_NEAR(st.excess_kurtosis, 0.0, 0.06);
  EXPECT_TRUE(st.looks_standard_normal(0.01)) << st.report();
}

TEST(QuantumNoise, UniformsAreUniform) {
  QuantumNoise q(5, 3);
  const int bins = 20, n = 100000;
  std::vector<int> h(bins);
  for (int i = 0; i < n; ++i) ++h[static_cast<int>(q.next_uniform() * bins)];
  double chi2 = 0;
  for (int c : h) chi2 += (c - n / double(bins)) * (c - n / double(bins)) / (n / double(bins));
  EXPECT_LT(chi2, 43.8);  // chi-square(19) 0.999 quantile
}

TEST(QuantumNoise, SeededAndResumable) {
  QuantumNoise a(8, 1), b(8, 1), c(8, 2);
  std::vector<float> xa(1001), xb(1001), xc(1001);
  a.fill_normal(xa.data(), 1001);
  b.fill_normal(xb.data(), 1001);
  c.fill_normal(xc.data(), 1001);
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
  const auto st = a.state();
  std::vector<float> next(777), resumed(777);
  a.fill_normal(next.data(), 777);
  QuantumNoise r(8, 99);
  r.set_state(st);
  r.fill_normal(resumed.data(), 777);
  EXPECT_EQ(next, resumed);
  QuantumNoise other(6, 1);
  EXPECT_THROW(other.set_state(st), InvalidArgument);
}

TEST(QuantumNoise, FactoryFollowsConfig) {
  Config cfg;
  EXPECT_EQ(make_noise_source(resolve_options(cfg).diffusion, 0)->name(), "gaussian");
  cfg.set("diffusion.noise=quantum");
  EXPECT_EQ(make_noise_source(resolve_options(cfg).diffusion, 0)->name(), "quantum");
}
