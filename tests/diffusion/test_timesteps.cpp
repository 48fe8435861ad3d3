// Training-time timestep distributions: uniform, curriculum, loss-aware importance sampling.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/diffusion/timesteps.hpp"

using namespace qdiff;
using namespace qdiff::diffusion;

namespace {
std::vector<int64_t> histogram(const TimestepSampler& s, Rng& rng, int64_t step, int64_t total, int n,
                               std::vector<float>* weights = nullptr) {
  std::vector<int> t(static_cast<size_t>(n));
  std::vector<float> w(static_cast<size_t>(n));
  s.sample(rng, step, total, n, t.data(), w.data());
  std::vector<int64_t> h(static_cast<size_t>(s.T()), 0);
  for (int v : t) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, s.T());
    ++h[v];
  }
  if (weights) *weights = w;
  return h;
}
double mean_t(const std::vector<int64_t>& h) {
  double sum = 0, n = 0;
  for (size_t t = 0; t < h.size(); ++t) sum += t * h[t], n += h[t];
  return sum / n;
}
}  // namespace

TEST(Timesteps, UniformHistogramChiSquare) {
  UniformTimesteps s(50);
  Rng rng(1234);
  std::vector<float> w;
  const int n = 100000;
  const auto h = histogram(s, rng, 0, 1, n, &w);
  const double expected = n / 50.0;
  double chi2 = 0;
  for (auto c : h) chi2 += (c - expected) * (c - expected) / expected;
  // chi-square with 49 degrees of freedom: P(chi2 > 85.35) = 0.001.
  EXPECT_LT(chi2, 85.35);
  EXPECT_GT(chi2, 20.0);  // suspiciously perfect counts would mean no randomness
  for (float v : w) ASSERT_EQ(v, 1.0f);
  const auto p = s.probabilities(0, 1);
  EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0), 1.0, 1e-12);
}

TEST(Timesteps, CurriculumCentreMovesAsSpecified) {
  const int T = 1000;
  CurriculumTimesteps s(T, 0.7, 0.3, 0.1, 0.1);
  const int64_t total = 1001;
  EXPECT_DOUBLE_EQ(s.centre(0, total), 0.7 * (T - 1));
  EXPECT_DOUBLE_EQ(s.centre(500, total), 0.5 * (T - 1));
  EXPECT_DOUBLE_EQ(s.centre(1000, total), 0.3 * (T - 1));
  EXPECT_DOUBLE_EQ(s.centre(5000, total), 0.3 * (T - 1));  // clamped after the end

  for (int64_t step : {int64_t{0}, int64_t{500}, int64_t{1000}}) {
    const auto p = s.probabilities(step, total);
    EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0), 1.0, 1e-12);
    const auto arg = std::max_element(p.begin(), p.end()) - p.begin();
    EXPECT_NEAR(static_cast<double>(arg), s.centre(step, total), 1.0) << "step " << step;
    // The uniform floor: every t keeps at least floor/T probability.
    for (double v : p) ASSERT_GE(v, 0.1 / T - 1e-15);
  }
  Rng rng(7);
  std::vector<float> w;
  const auto h0 = histogram(s, rng, 0, total, 50000, &w);
  const auto h1 = histogram(s, rng, 1000, total, 50000);
  // Empirical mean: 0.9 * centre + 0.1 * (T-1)/2 (the Gaussian bump is not truncated much here).
  EXPECT_NEAR(mean_t(h0), 0.9 * 0.7 * 999 + 0.1 * 499.5, 6.0);
  EXPECT_NEAR(mean_t(h1), 0.9 * 0.3 * 999 + 0.1 * 499.5, 6.0);
  for (float v : w) ASSERT_EQ(v, 1.0f);
  // Far from the centre only the floor remains: t = 0 at step 0 is rare but possible.
  EXPECT_LT(h0[0] + h0[1] + h0[2], 50);
}

TEST(Timesteps, ImportanceUniformUntilWarm) {
  ImportanceTimesteps s(10, 3);
  Rng rng(3);
  std::vector<int> t(8);
  std::vector<float> w(8), loss(8, 1.0f);
  for (int t0 = 0; t0 < 10; ++t0) {
    EXPECT_FALSE(s.warmed_up());
    const std::vector<int> tt(3, t0);
    const std::vector<float> l(3, 1.0f + t0);
    if (t0 < 9) s.update(tt.data(), l.data(), 3);
    s.sample(rng, 0, 1, 8, t.data(), w.data());
    if (t0 < 9) {
      for (float v : w) EXPECT_EQ(v, 1.0f);
      for (double p : s.probabilities(0, 1)) EXPECT_DOUBLE_EQ(p, 0.1);
    }
  }
  const std::vector<int> tt(2, 9);
  const std::vector<float> l(2, 10.0f);
  s.update(tt.data(), l.data(), 2);
  EXPECT_FALSE(s.warmed_up());  // 2 of 3 for t = 9
  s.update(tt.data(), l.data(), 1);
  EXPECT_TRUE(s.warmed_up());
}

TEST(Timesteps, ImportanceFavoursHighLossAndStaysUnbiased) {
  const int T = 20, K = 5;
  ImportanceTimesteps s(T, K);
  std::vector<double> L(T, 1.0);
  L[3] = 10.0;
  L[7] = 6.0;
  for (int k = 0; k < K; ++k)
    for (int t = 0; t < T; ++t) {
      const float l = static_cast<float>(L[t]);
      s.update(&t, &l, 1);
    }
  ASSERT_TRUE(s.warmed_up());
  const auto p = s.probabilities(0, 1);
  const double sumL = std::accumulate(L.begin(), L.end(), 0.0);
  // Exact: p_t = 0.999 L_t / sum L + 0.001 / T (constant losses: sqrt(E[L^2]) = L).
  for (int t = 0; t < T; ++t) EXPECT_NEAR(p[t], 0.999 * L[t] / sumL + 0.001 / T, 1e-12);
  // Exact unbiasedness: sum_t p_t * w_t * L_t = mean L.
  double e = 0;
  for (int t = 0; t < T; ++t) e += p[t] * (1.0 / (T * p[t])) * L[t];
  EXPECT_NEAR(e, sumL / T, 1e-12);

  // Empirically, with draws.
  Rng rng(99);
  const int n = 200000;
  std::vector<int> t(n);
  std::vector<float> w(n);
  s.sample(rng, 0, 1, n, t.data(), w.data());
  std::vector<int64_t> h(T, 0);
  double wl = 0, wsum = 0;
  for (int i = 0; i < n; ++i) {
    ++h[t[i]];
    wl += w[i] * L[t[i]];
    wsum += w[i];
    ASSERT_NEAR(w[i], 1.0 / (T * p[t[i]]), 1e-5 * w[i]);
  }
  EXPECT_GT(h[3], 8 * h[0]);
  EXPECT_GT(h[7], 4 * h[0]);
  EXPECT_NEAR(wsum / n, 1.0, 0.03);         // E[w] = 1
  EXPECT_NEAR(wl / n, sumL / T, 0.02 * sumL / T);  // E[w L] = uniform mean loss
}

TEST(Timesteps, ImportanceStateRoundTripContinuesIdentically) {
  const int T = 30, K = 4, B = 16;
  ImportanceTimesteps a(T, K);
  Rng rng(5);
  std::vector<int> t(B);
  std::vector<float> w(B), loss(B);
  auto train_step = [&](ImportanceTimesteps& s, Rng& r, int64_t step) {
    s.sample(r, step, 1000, B, t.data(), w.data());
    for (int b = 0; b < B; ++b) loss[b] = static_cast<float>(0.1 + t[b] * 0.01 + 0.05 * r.uniform());
    s.update(t.data(), loss.data(), B);
    std::vector<float> out(t.begin(), t.end());
    out.insert(out.end(), w.begin(), w.end());
    return out;
  };
  for (int step = 0; step < 40; ++step) train_step(a, rng, step);
  ASSERT_TRUE(a.warmed_up());
  // Checkpoint: sampler state through text, Rng state copied.
  const std::string saved = a.state().dump();
  ImportanceTimesteps b(T, K);
  b.load_state(nlohmann::json::parse(saved));
  Rng rng_b(0);
  rng_b.set_state(rng.state());
  EXPECT_EQ(a.probabilities(0, 1), b.probabilities(0, 1));
  for (int step = 40; step < 80; ++step) {
    const auto ra = train_step(a, rng, step);
    const auto rb = train_step(b, rng_b, step);
    ASSERT_EQ(ra, rb) << "diverged at step " << step;
  }
  // Mismatched states are rejected.
  UniformTimesteps u(T);
  EXPECT_THROW(u.load_state(a.state()), InvalidArgument);
  ImportanceTimesteps other_T(T + 1, K), other_K(T, K + 1);
  EXPECT_THROW(other_T.load_state(a.state()), InvalidArgument);
  EXPECT_THROW(other_K.load_state(a.state()), InvalidArgument);
  EXPECT_NO_THROW(u.load_state(u.state()));
}

TEST(Timesteps, NonFiniteLossesAreIgnored) {
  ImportanceTimesteps s(2, 1);
  const int t[2] = {0, 1};
  const float bad[2] = {NAN, INFINITY};
  s.update(t, bad, 2);
  EXPECT_FALSE(s.warmed_up());
  EXPECT_THROW(s.update(std::vector<int>{5}.data(), bad, 1), InvalidArgument);
}

TEST(Timesteps, FactoryFromConfig) {
  Config c;
  c.set("diffusion.T=100");
  EXPECT_EQ(make_timestep_sampler(resolve_options(c).diffusion)->name(), "uniform");
  c.set("diffusion.timesteps=curriculum");
  auto cur = make_timestep_sampler(resolve_options(c).diffusion);
  EXPECT_EQ(cur->name(), "curriculum");
  EXPECT_EQ(cur->T(), 100);
  EXPECT_DOUBLE_EQ(dynamic_cast<CurriculumTimesteps&>(*cur).centre(0, 10), 0.7 * 99);
  c.set("diffusion.timesteps=importance");
  c.set("diffusion.importance_history=3");
  auto imp = make_timestep_sampler(resolve_options(c).diffusion);
  EXPECT_EQ(imp->name(), "importance");
  EXPECT_EQ(imp->state()["history_len"], 3);
}
