// Born-rule sampling: chi-square against |amplitude|^2, binomial variance of finite-shot <Z>,
// determinism of seeded shots.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "qdiff/core/error.hpp"

#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/statevector_backend.hpp"
#include "qdiff/quantum/sampling.hpp"
#include "qdiff/quantum/state.hpp"
#include "reference.hpp"

namespace qdiff::quantum {
namespace {

double chi_square(const std::vector<uint64_t>& samples, const std::vector<double>& p) {
  std::vector<double> count(p.size(), 0.0);
  for (uint64_t s : samples) count[s] += 1;
  double chi2 = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    const double e = p[k] * samples.size();
    chi2 += (count[k] - e) * (count[k] - e) / e;
  }
  return chi2;
}

TEST(QuantumSampling, HistogramMatchesBornRuleChiSquare) {
  Rng rng(41);
  const int n = 4;
  const ref::VecX v = ref::haar_state(n, rng);
  std::vector<double> p(v.size());
  for (Eigen::Index b = 0; b < v.size(); ++b) p[b] = std::norm(v[b]);
  Rng shots_rng(42);
  const std::vector<uint64_t> s = sample_bitstrings(v.data(), n, 200000, shots_rng);
  // 15 degrees of freedom: P(chi2 > 37.70) = 0.001
  EXPECT_LT(chi_square(s, p), 37.70);
  // the test has power: a distribution tilted by 5% on its most likely state is rejected
  std::vector<double> q = p;
  *std::max_element(q.begin(), q.end()) *= 1.05;
  double sum = 0;
  for (double x : q) sum += x;
  for (double& x : q) x /= sum;
  EXPECT_GT(chi_square(s, q), 37.70);
}

TEST(QuantumSampling, FiniteShotZHasBinomialVariance) {
  Rng rng(43);
  const int n = 3, shots = 64, reps = 4000;
  const ref::VecX v = ref::haar_state(n, rng);
  std::vector<double> exact(n);
  expectation_z_all(v.data(), n, exact.data());
  std::vector<double> mean(n, 0.0), m2(n, 0.0);
  const Rng base(44);
  for (int r = 0; r < reps; ++r) {
    Rng rr = base.fork(r);
    std::vector<double> z(n);
    estimate_z(v.data(), n, shots, rr, z.data());
    for (int q = 0; q < n; ++q) mean[q] += z[q], m2[q] += z[q] * z[q];
  }
  for (int q = 0; q < n; ++q) {
    mean[q] /= reps;
    const double var = m2[q] / reps - mean[q] * mean[q];
    const double want = (1 - exact[q] * exact[q]) / shots;  // Var of the mean of +-1 outcomes
    EXPECT_NEAR(mean[q], exact[q], 4 * std::sqrt(want / reps)) << q;
    EXPECT_NEAR(var / want, 1.0, 0.1) << q;  // relative sd of a sample variance ~ sqrt(2/reps) = 2.2%
  }
}

TEST(QuantumSampling, BasisStatesAndZeroProbabilities) {
  Rng rng(45);
  StateVector s(5);
  s.set_basis_state(19);
  for (uint64_t b : sample_bitstrings(s, 1000, rng)) EXPECT_EQ(b, 19u);
  StateVector t(3);
  t.apply(GateKind::H, {1});  // only |000> and |010>
  for (uint64_t b : sample_bitstrings(t, 1000, rng)) EXPECT_TRUE(b == 0 || b == 2);
  EXPECT_THROW(sample_bitstrings(t, -1, rng), InvalidArgument);
}

TEST(QuantumSampling, ShotEstimatesDeterministicAndThreadIndependent) {
  Rng rng(46);
  StatevectorBackend<cplx> ev(make_ansatz({6, 2, Ansatz::Default, Entangler::Ring}));
  const int batch = 8;
  std::vector<double> in(batch * 6), w(ev.n_weights()), exact(batch * 6), a(batch * 6), b(batch * 6);
  for (double& x : in) x = rng.uniform() * 3;
  for (double& x : w) x = rng.normal();
  ev.forward(in.data(), batch, w.data(), exact.data());
  const Rng seed(47);
  ev.set_num_threads(1);
  ev.forward_shots(in.data(), batch, w.data(), 4096, seed, a.data());
  ev.set_num_threads(2);
  ev.forward_shots(in.data(), batch, w.data(), 4096, seed, b.data());
  EXPECT_EQ(a, b);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], exact[i], 5.0 / std::sqrt(4096.0));
  EXPECT_THROW(ev.forward_shots(in.data(), batch, w.data(), 0, seed, a.data()), InvalidArgument);
}

}  // namespace
}  // namespace qdiff::quantum
