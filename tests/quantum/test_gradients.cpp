// Parameter shift vs central finite differences, adjoint vs parameter shift, for every ansatz
// and for circuits with every gate kind; the paper ansatz's zero weight gradient; batching.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/error.hpp"

#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/statevector_backend.hpp"
#include "reference.hpp"

namespace qdiff::quantum {
namespace {

using ref::max_abs_diff;

struct Problem {
  int batch;
  std::vector<double> inputs, weights, c;  // [B, n_in], [n_w], [B, n]
};

Problem random_problem(const Backend& ev, int batch, Rng& rng) {
  Problem p{batch, std::vector<double>(batch * ev.n_inputs()), std::vector<double>(ev.n_weights()),
            std::vector<double>(batch * ev.n_qubits())};
  for (double& x : p.inputs) x = rng.uniform() * 3.0;
  for (double& x : p.weights) x = rng.normal();
  for (double& x : p.c) x = rng.normal();
  return p;
}

double objective(const Backend& ev, const Problem& p, const std::vector<double>& in, const std::vector<double>& w) {
  std::vector<double> z(p.batch * ev.n_qubits());
  ev.forward(in.data(), p.batch, w.data(), z.data());
  double l = 0;
  for (size_t i = 0; i < z.size(); ++i) l += p.c[i] * z[i];
  return l;
}

struct Grads {
  std::vector<double> dinputs, dweights;
};

Grads gradient(const Backend& ev, const Problem& p, GradMethod m) {
  Grads g{std::vector<double>(p.inputs.size(), 0.0), std::vector<double>(p.weights.size(), 0.0)};
  ev.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), m, g.dinputs.data(), g.dweights.data());
  return g;
}

Grads finite_differences(const Backend& ev, const Problem& p, double h = 1e-5) {
  Grads g{std::vector<double>(p.inputs.size()), std::vector<double>(p.weights.size())};
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    std::vector<double> a = p.inputs, b = p.inputs;
    a[i] += h;
    b[i] -= h;
    g.dinputs[i] = (objective(ev, p, a, p.weights) - objective(ev, p, b, p.weights)) / (2 * h);
  }
  for (size_t i = 0; i < p.weights.size(); ++i) {
    std::vector<double> a = p.weights, b = p.weights;
    a[i] += h;
    b[i] -= h;
    g.dweights[i] = (objective(ev, p, p.inputs, a) - objective(ev, p, p.inputs, b)) / (2 * h);
  }
  return g;
}


void expect_methods_agree(const Backend& ev, const Problem& p, const std::string& what) {
  const Grads ps = gradient(ev, p, GradMethod::ParameterShift);
  const Grads adj = gradient(ev, p, GradMethod::Adjoint);
  const Grads fd = finite_differences(ev, p);
  EXPECT_LT(max_abs_diff(ps.dinputs, fd.dinputs), 1e-6) << what << " inputs: shift vs finite differences";
  EXPECT_LT(max_abs_diff(ps.dweights, fd.dweights), 1e-6) << what << " weights: shift vs finite differences";
  EXPECT_LT(max_abs_diff(adj.dinputs, ps.dinputs), 1e-10) << what << " inputs: adjoint vs shift";
  EXPECT_LT(max_abs_diff(adj.dweights, ps.dweights), 1e-10) << what << " weights: adjoint vs shift";
}

TEST(QuantumGradients, EveryAnsatzShiftMatchesFiniteDifferencesAndAdjointMatchesShift) {
  Rng rng(21);
  for (const char* name : {"default", "paper", "strong"})
    for (const char* ent : {"chain", "ring", "all"}) {
      const StatevectorBackend<cplx> ev(make_ansatz({4, 3, parse_mode<Ansatz>(name), parse_mode<Entangler>(ent)}));
      expect_methods_agree(ev, random_problem(ev, 3, rng), std::string(name) + "/" + ent);
    }
}

TEST(QuantumGradients, EveryGateKindShiftMatchesFiniteDifferencesAndAdjointMatchesShift) {
  Rng rng(22);
  for (int trial = 0; trial < 12; ++trial) {
    const int n = 1 + trial % 5;
    const StatevectorBackend<cplx> ev(ref::random_circuit(n, 25, rng));
    expect_methods_agree(ev, random_problem(ev, 2, rng), "random circuit " + std::to_string(trial));
  }
}

TEST(QuantumGradients, AdjointMatchesShiftAboveTheLayerBlockSize) {
  // n = 12 > kLayerBlockBits: the cache-blocked high-qubit path of the adjoint sweep
  Rng rng(27);
  const StatevectorBackend<cplx> ev(make_ansatz({12, 2, Ansatz::Default, Entangler::Ring}));
  const Problem p = random_problem(ev, 2, rng);
  const Grads ps = gradient(ev, p, GradMethod::ParameterShift);
  const Grads adj = gradient(ev, p, GradMethod::Adjoint);
  EXPECT_LT(max_abs_diff(adj.dinputs, ps.dinputs), 1e-10);
  EXPECT_LT(max_abs_diff(adj.dweights, ps.dweights), 1e-10);
}

TEST(QuantumGradients, PaperAnsatzWeightsHaveZeroGradient) {
  // RZ is diagonal and CNOT a permutation, so <Z_q> cannot depend on the weights: the reference
  // code's "trainable" quantum weights never train. Zero up to rounding, by both methods, while
  // the input gradients are not zero.
  Rng rng(23);
  for (const char* ent : {"chain", "ring", "all"}) {
    const StatevectorBackend<cplx> ev(make_ansatz({6, 3, Ansatz::Paper, parse_mode<Entangler>(ent)}));
    const Problem p = random_problem(ev, 4, rng);
    for (GradMethod m : {GradMethod::Adjoint, GradMethod::ParameterShift}) {
      const Grads g = gradient(ev, p, m);
      for (double d : g.dweights) EXPECT_LT(std::abs(d), 1e-13) << ent;
      double din = 0;
      for (double d : g.dinputs) din = std::max(din, std::abs(d));
      EXPECT_GT(din, 1e-3) << ent;
    }
    EXPECT_FALSE(ansatz_weights_can_train(Ansatz::Paper));
  }
}

TEST(QuantumGradients, DefaultAnsatzEveryWeightHasNonzeroGradient) {
  Rng rng(24);
  for (const char* ent : {"chain", "ring", "all"}) {
    const StatevectorBackend<cplx> ev(make_ansatz({6, 3, Ansatz::Default, parse_mode<Entangler>(ent)}));
    const Grads g = gradient(ev, random_problem(ev, 4, rng), GradMethod::Adjoint);
    ASSERT_EQ(g.dweights.size(), 6u * 3u * 2u);
    for (size_t k = 0; k < g.dweights.size(); ++k) EXPECT_GT(std::abs(g.dweights[k]), 1e-6) << ent << " weight " << k;
    EXPECT_TRUE(ansatz_weights_can_train(Ansatz::Default));
  }
}

TEST(QuantumGradients, BatchedResultsIndependentOfThreadCountAndMatchSingleSamples) {
  Rng rng(25);
  StatevectorBackend<cplx> ev(make_ansatz({7, 2, Ansatz::Default, Entangler::Ring}));
  const Problem p = random_problem(ev, 9, rng);
  const int n = ev.n_qubits();
  std::vector<double> z1(p.batch * n), z2(p.batch * n);
  ev.set_num_threads(1);
  ev.forward(p.inputs.data(), p.batch, p.weights.data(), z1.data());
  const Grads g1 = gradient(ev, p, GradMethod::Adjoint);
  ev.set_num_threads(2);
  ev.forward(p.inputs.data(), p.batch, p.weights.data(), z2.data());
  const Grads g2 = gradient(ev, p, GradMethod::Adjoint);
  EXPECT_EQ(z1, z2);
  EXPECT_EQ(g1.dinputs, g2.dinputs);
  EXPECT_EQ(g1.dweights, g2.dweights);
  // sample b of the batch == a batch of one
  std::vector<double> dw_sum(p.weights.size(), 0.0);
  for (int b = 0; b < p.batch; ++b) {
    Problem one{1, std::vector<double>(p.inputs.begin() + b * n, p.inputs.begin() + (b + 1) * n), p.weights,
                std::vector<double>(p.c.begin() + b * n, p.c.begin() + (b + 1) * n)};
    std::vector<double> z(n);
    ev.forward(one.inputs.data(), 1, one.weights.data(), z.data());
    for (int q = 0; q < n; ++q) EXPECT_EQ(z[q], z1[b * n + q]);
    const Grads g = gradient(ev, one, GradMethod::Adjoint);
    for (int i = 0; i < n; ++i) EXPECT_EQ(g.dinputs[i], g1.dinputs[b * n + i]);
    for (size_t k = 0; k < dw_sum.size(); ++k) dw_sum[k] += g.dweights[k];
  }
  EXPECT_LT(max_abs_diff(dw_sum, g1.dweights), 1e-12);
}

TEST(QuantumGradients, BackwardAccumulatesAndFloatEdgesAgree) {
  Rng rng(26);
  const StatevectorBackend<cplx> ev(make_ansatz({5, 2, Ansatz::Strong, Entangler::Ring}));
  const Problem p = random_problem(ev, 3, rng);
  const Grads once = gradient(ev, p, GradMethod::Adjoint);
  Grads twice = once;
  ev.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), GradMethod::Adjoint, twice.dinputs.data(),
              twice.dweights.data());
  // (summation order differs from 2*x, so equal to rounding, not bitwise)
  for (size_t i = 0; i < once.dweights.size(); ++i) EXPECT_NEAR(twice.dweights[i], 2 * once.dweights[i], 1e-14);
  for (size_t i = 0; i < once.dinputs.size(); ++i) EXPECT_NEAR(twice.dinputs[i], 2 * once.dinputs[i], 1e-14);

  std::vector<float> in(p.inputs.begin(), p.inputs.end()), w(p.weights.begin(), p.weights.end()),
      c(p.c.begin(), p.c.end()), z(p.c.size()), din(in.size(), 0.f), dw(w.size(), 0.f);
  std::vector<double> zd(p.c.size());
  ev.forward(in.data(), p.batch, w.data(), z.data());
  ev.forward(p.inputs.data(), p.batch, p.weights.data(), zd.data());
  ev.backward(in.data(), p.batch, w.data(), c.data(), GradMethod::Adjoint, din.data(), dw.data());
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(z[i], zd[i], 1e-5);
  for (size_t i = 0; i < dw.size(); ++i) EXPECT_NEAR(dw[i], once.dweights[i], 1e-4);
  for (size_t i = 0; i < din.size(); ++i) EXPECT_NEAR(din[i], once.dinputs[i], 1e-4);
}

TEST(QuantumGradients, MethodNames) {
  EXPECT_EQ(parse_mode<GradMethod>("adjoint"), GradMethod::Adjoint);
  EXPECT_EQ(parse_mode<GradMethod>("parameter_shift"), GradMethod::ParameterShift);
  EXPECT_THROW(parse_mode<GradMethod>("backprop"), InvalidArgument);
}

}  // namespace
}  // namespace qdiff::quantum
