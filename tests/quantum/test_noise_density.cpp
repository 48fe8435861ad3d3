// The density-matrix simulator: its kernels against dense Kronecker-product references on random
// states, whole noisy circuits against a dense event-by-event reference, physicality (trace,
// Hermiticity, positivity), the zero-noise limit against the statevector evaluator, gradients
// (parameter shift vs finite differences, adjoint vs parameter shift, weak to singular noise),
// batching, and finite shots.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/density_matrix.hpp"
#include "qdiff/quantum/statevector_backend.hpp"
#include "qdiff/quantum/noise_kernels.hpp"
#include "noise_reference.hpp"

namespace qdiff::quantum {
namespace {

using ref::MatX;
using ref::VecX;
using ref::max_abs_diff;

std::vector<cplx> to_std(const VecX& v) { return std::vector<cplx>(v.data(), v.data() + v.size()); }
double max_diff(const std::vector<cplx>& a, const VecX& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}
// The full matrix of a 4x4 on the pair (q, q + n) of the vectorised 2n-qubit space.
MatX dense_pair(int n, int q, const Mat4& m) { return ref::dense_2q(2 * n, q, q + n, m); }

NoiseModel uniform_noise(double s) {
  NoiseModel m;
  m.one_qubit = {s, s, s};
  m.two_qubit = {s, s, s};
  m.readout_error = s / 2;
  return m;
}

NoiseModel random_noise(Rng& rng, double max_strength) {
  auto r = [&] { return rng.uniform() * max_strength; };
  NoiseModel m;
  m.one_qubit = {r(), r(), r()};
  m.two_qubit = {r(), r(), r()};
  m.readout_error = r() / 2;
  return m;
}

// ---- kernels ---------------------------------------------------------------------------------------

TEST(DensityKernels, SuperoperatorOfARandomChannelMatchesDenseKraus) {
  Rng rng(101);
  for (int n = 1; n <= 4; ++n)
    for (int q = 0; q < n; ++q) {
      const std::vector<Mat2> ks = ref::random_channel(rng);
      const MatX rho = ref::random_density(n, 3, rng);
      std::vector<MatX> dense;
      for (const Mat2& k : ks) dense.push_back(ref::dense_1q(n, q, k));
      std::vector<cplx> v = to_std(ref::vectorise(rho));
      apply_superop_1q(v.data(), n, q, superoperator(ks));
      EXPECT_LT(max_diff(v, ref::vectorise(ref::apply_kraus(dense, rho))), 1e-14) << n << " " << q;
      // a unitary's superoperator is U (x) conj(U): U rho U^dagger
      const Mat2 u = ref::to_mat2(ref::haar_unitary(2, rng));
      v = to_std(ref::vectorise(rho));
      apply_superop_1q(v.data(), n, q, kron_conj(u, u));
      const MatX du = ref::dense_1q(n, q, u);
      EXPECT_LT(max_diff(v, ref::vectorise(du * rho * du.adjoint())), 1e-14);
    }
}

TEST(DensityKernels, BackwardSuperoperatorStepMatchesDense) {
  Rng rng(102);
  for (int n = 1; n <= 3; ++n)
    for (int q = 0; q < n; ++q) {
      const VecX r = ref::vectorise(ref::random_density(n, 2, rng)), o = ref::vectorise(ref::random_density(n, 2, rng));
      Mat4 sinv, sdag, d;
      for (int i = 0; i < 16; ++i)
        sinv[i] = cplx{rng.normal(), rng.normal()}, sdag[i] = cplx{rng.normal(), rng.normal()},
        d[i] = cplx{rng.normal(), rng.normal()};
      std::vector<cplx> rv = to_std(r), ov = to_std(o);
      Mat4 x{};
      backward_superop_1q(rv.data(), ov.data(), n, q, &sinv, sdag, x);
      const VecX r_new = dense_pair(n, q, sinv) * r;
      EXPECT_LT(max_diff(rv, r_new), 1e-13);
      EXPECT_LT(max_diff(ov, dense_pair(n, q, sdag) * o), 1e-13);
      cplx via_cross = 0.0;  // <o|D r_new> = sum_{t,s} D[t][s] x[s][t]
      for (int t = 0; t < 4; ++t)
        for (int s = 0; s < 4; ++s) via_cross += d[t * 4 + s] * x[s * 4 + t];
      EXPECT_LT(std::abs(via_cross - o.dot(dense_pair(n, q, d) * r_new)), 1e-12);
      // null sinv: r untouched, the cross matrix of r itself
      rv = to_std(r);
      Mat4 x0{};
      backward_superop_1q(rv.data(), ov.data(), n, q, nullptr, sdag, x0);
      EXPECT_EQ(max_diff(rv, r), 0.0);
      cplx c0 = 0.0;
      for (int t = 0; t < 4; ++t)
        for (int s = 0; s < 4; ++s) c0 += d[t * 4 + s] * x0[s * 4 + t];
      EXPECT_LT(std::abs(c0 - (dense_pair(n, q, sdag) * o).dot(dense_pair(n, q, d) * r)), 1e-12);
    }
}

TEST(DensityKernels, TwoQubitDepolarizingMatchesTheSixteenPaulisInvertsAndFusesWithPermutations) {
  Rng rng(103);
  for (int n = 2; n <= 4; ++n)
    for (int q0 = 0; q0 < n; ++q0)
      for (int q1 = 0; q1 < n; ++q1) {
        if (q0 == q1) continue;
        const double p = rng.uniform();
        const MatX rho = ref::random_density(n, 3, rng);
        std::vector<cplx> v = to_std(ref::vectorise(rho));
        depolarize_2q(v.data(), n, q0, q1, 16 * p / 15);
        const MatX want = ref::apply_kraus(ref::dense_kraus(n, {ChannelKind::Depolarizing, q0, q1, p}), rho);
        EXPECT_LT(max_diff(v, ref::vectorise(want)), 1e-14) << n << " " << q0 << " " << q1;
        const double lambda = 16 * p / 15;
        depolarize_2q(v.data(), n, q0, q1, -lambda / (1 - lambda));  // the inverse map
        EXPECT_LT(max_diff(v, ref::vectorise(rho)), 1e-12);
        // fused with a permutation gate, in both orders: D(G rho G^T) and G D(rho) G^T
        for (GateKind kind : {GateKind::CNOT, GateKind::CZ, GateKind::SWAP}) {
          const int cnot[4] = {0, 3, 2, 1}, swap[4] = {0, 2, 1, 3}, id[4] = {0, 1, 2, 3};
          const int* perm = kind == GateKind::CNOT ? cnot : kind == GateKind::SWAP ? swap : id;
          const double sign[4] = {1, 1, 1, kind == GateKind::CZ ? -1.0 : 1.0};
          const MatX g = ref::dense_2q(n, q0, q1, matrix_2q(kind, nullptr));
          const auto kraus = ref::dense_kraus(n, {ChannelKind::Depolarizing, q0, q1, p});
          for (bool first : {false, true}) {
            v = to_std(ref::vectorise(rho));
            permute_depolarize_2q(v.data(), n, q0, q1, perm, sign, lambda, first);
            const MatX want2 = first ? MatX(g * ref::apply_kraus(kraus, rho) * g.adjoint())
                                     : ref::apply_kraus(kraus, g * rho * g.adjoint());
            EXPECT_LT(max_diff(v, ref::vectorise(want2)), 1e-14) << gate_info(kind).name << " first " << first;
          }
        }
      }
}

TEST(DensityKernels, ProductStateReadoutAndObservableMatchDense) {
  Rng rng(104);
  for (int n = 1; n <= 5; ++n) {
    std::vector<cplx> vbuf(4 * n);
    auto* v = reinterpret_cast<cplx(*)[4]>(vbuf.data());
    std::map<int, MatX> factors;
    for (int q = 0; q < n; ++q) {
      const MatX r = ref::random_density(1, 2, rng);
      factors[q] = r;
      v[q][0] = r(0, 0), v[q][1] = r(1, 0), v[q][2] = r(0, 1), v[q][3] = r(1, 1);
    }
    const MatX rho = ref::kron_ops(n, factors);
    std::vector<cplx> out(size_t{1} << (2 * n), cplx{7.0});  // garbage: every entry must be written
    write_density_product(out.data(), n, v);
    EXPECT_LT(max_diff(out, ref::vectorise(rho)), 1e-15) << n;

    const MatX mixed = ref::random_density(n, 3, rng);
    const std::vector<cplx> mv = to_std(ref::vectorise(mixed));
    std::vector<double> z(n), c(n);
    density_expectation_z(mv.data(), n, z.data());
    MatX obs = MatX::Zero(mixed.rows(), mixed.cols());
    for (int q = 0; q < n; ++q) {
      const MatX zq = ref::dense_1q(n, q, pauli(3));
      EXPECT_NEAR(z[q], (zq * mixed).trace().real(), 1e-14);
      c[q] = rng.normal();
      obs += c[q] * zq;
    }
    EXPECT_NEAR(density_trace(mv.data(), n), 1.0, 1e-14);
    std::vector<cplx> o(mv.size(), cplx{3.0});
    write_z_observable_vec(o.data(), n, c.data());
    EXPECT_LT(max_diff(o, ref::vectorise(obs)), 1e-15);
  }
}

TEST(DensityKernels, GeneralBackwardStepOfTrajectoriesMatchesDense) {
  Rng rng(105);
  for (int n = 1; n <= 4; ++n)
    for (int q = 0; q < n; ++q) {
      const VecX psi = ref::haar_state(n, rng), lam = ref::haar_state(n, rng);
      Mat2 minv, madj, d;
      for (int i = 0; i < 4; ++i)
        minv[i] = cplx{rng.normal(), rng.normal()}, madj[i] = cplx{rng.normal(), rng.normal()},
        d[i] = cplx{rng.normal(), rng.normal()};
      std::vector<cplx> pv = to_std(psi), lv = to_std(lam);
      Mat2 x{};
      backward_1q_general(pv.data(), lv.data(), n, q, &minv, madj, x);
      const VecX p_new = ref::dense_1q(n, q, minv) * psi;
      EXPECT_LT(max_diff(pv, p_new), 1e-14);
      EXPECT_LT(max_diff(lv, ref::dense_1q(n, q, madj) * lam), 1e-14);
      cplx via_cross = 0.0;
      for (int t = 0; t < 2; ++t)
        for (int s = 0; s < 2; ++s) via_cross += d[t * 2 + s] * x[s * 2 + t];
      EXPECT_LT(std::abs(via_cross - lam.dot(ref::dense_1q(n, q, d) * p_new)), 1e-13);
    }
}

// ---- whole circuits ----------------------------------------------------------------------------------

std::vector<double> random_angles(const Circuit& c, Rng& rng) {
  std::vector<double> in(c.n_inputs()), w(c.n_weights()), a(c.n_slots());
  for (double& x : in) x = rng.uniform() * 3;
  for (double& x : w) x = rng.normal();
  c.bind(in.data(), w.data(), a.data());
  return a;
}

TEST(DensityMatrix, RandomNoisyCircuitsMatchTheDenseEventByEventReference) {
  Rng rng(111);
  for (int trial = 0; trial < 16; ++trial) {
    const int n = 1 + trial % 4;
    const Circuit c = ref::random_circuit(n, 20, rng);
    // strengths up to 1 every fourth trial (singular channels included), else up to 0.3
    const NoiseModel m = random_noise(rng, trial % 4 == 3 ? 1.0 : 0.3);
    const DensityMatrixSimulator sim(c, m);
    const std::vector<double> a = random_angles(c, rng);
    DensityWorkspace ws;
    sim.forward(a.data(), ws);
    const MatX want = ref::dense_density(sim.noisy(), a.data());
    EXPECT_LT(max_diff(ws.rho, ref::vectorise(want)), 1e-13) << "trial " << trial << "\n" << sim.noisy().describe();
    std::vector<double> z(n);
    sim.expectation_z(ws, z.data());
    for (int q = 0; q < n; ++q)
      EXPECT_NEAR(z[q], (1 - 2 * m.readout_error) * (ref::dense_1q(n, q, pauli(3)) * want).trace().real(), 1e-13);
  }
}

TEST(DensityMatrix, StaysATracePreservingHermitianPositiveState) {
  Rng rng(112);
  for (int trial = 0; trial < 8; ++trial) {
    const int n = 3 + trial % 3;
    const Circuit c = trial % 2 ? ref::random_circuit(n, 40, rng) : make_ansatz({n, 3, Ansatz::Strong, Entangler::Ring});
    const DensityMatrixSimulator sim(c, random_noise(rng, 0.4));
    DensityWorkspace ws;
    const std::vector<double> a = random_angles(c, rng);
    sim.forward(a.data(), ws);
    const MatX rho = ref::unvectorise(ws.rho, n);
    EXPECT_NEAR(density_trace(ws.rho.data(), n), 1.0, 1e-12);
    EXPECT_LT((rho - rho.adjoint()).cwiseAbs().maxCoeff(), 1e-14);
    const Eigen::SelfAdjointEigenSolver<MatX> eig(0.5 * (rho + rho.adjoint()));
    EXPECT_GE(eig.eigenvalues().minCoeff(), -1e-12) << "trial " << trial;
  }
}

TEST(DensityMatrix, ZeroNoiseEqualsTheStatevectorEvaluator) {
  Rng rng(113);
  for (int trial = 0; trial < 6; ++trial) {
    const int n = 2 + trial % 4;
    const Circuit c = trial < 3 ? make_ansatz({n, 3, Ansatz::Default, Entangler::Ring}) : ref::random_circuit(n, 30, rng);
    const StatevectorBackend<cplx> sv(c);
    const ref::BatchProblem p = ref::random_batch_problem(c, 3, rng);
    std::vector<double> z_sv(p.c.size()), z_dm(p.c.size());
    sv.forward(p.inputs.data(), p.batch, p.weights.data(), z_sv.data());
    for (GradMethod g : {GradMethod::Adjoint, GradMethod::ParameterShift}) {
      const DensityMatrixEvaluator dm(c, NoiseModel{}, {g});
      dm.forward(p.inputs.data(), p.batch, p.weights.data(), z_dm.data());
      EXPECT_LT(max_abs_diff(z_sv, z_dm), 1e-12) << trial;
      std::vector<double> di_sv(p.inputs.size(), 0.0), dw_sv(p.weights.size(), 0.0);
      std::vector<double> di_dm(p.inputs.size(), 0.0), dw_dm(p.weights.size(), 0.0);
      sv.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), GradMethod::Adjoint, di_sv.data(), dw_sv.data());
      dm.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), di_dm.data(), dw_dm.data());
      EXPECT_LT(max_abs_diff(di_sv, di_dm), 1e-11) << trial;
      EXPECT_LT(max_abs_diff(dw_sv, dw_dm), 1e-11) << trial;
    }
  }
}

// ---- gradients --------------------------------------------------------------------------------------

ref::BatchGrads gradient(const DensityMatrixEvaluator& ev, const ref::BatchProblem& p) {
  ref::BatchGrads g{std::vector<double>(p.inputs.size(), 0.0), std::vector<double>(p.weights.size(), 0.0)};
  ev.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), g.dinputs.data(), g.dweights.data());
  return g;
}

// Parameter shift against central differences of the noisy expectation, and the adjoint against
// parameter shift (with the given copy budget).
void expect_gradients_exact(const Circuit& c, const NoiseModel& m, Rng& rng, size_t copy_bytes, const std::string& what) {
  const ref::BatchProblem p = ref::random_batch_problem(c, 2, rng);
  const DensityMatrixEvaluator shift(c, m, {GradMethod::ParameterShift});
  const DensityMatrixEvaluator adj(c, m, {GradMethod::Adjoint, 0, copy_bytes});
  const ref::BatchGrads ps = gradient(shift, p), ad = gradient(adj, p);
  const ref::BatchGrads fd = ref::central_differences(
      [&](const double* in, const double* w, double* z) { shift.forward(in, p.batch, w, z); }, p);
  EXPECT_LT(max_abs_diff(ps.dinputs, fd.dinputs), 1e-7) << what << ": shift vs finite differences (inputs)";
  EXPECT_LT(max_abs_diff(ps.dweights, fd.dweights), 1e-7) << what << ": shift vs finite differences (weights)";
  EXPECT_LT(max_abs_diff(ad.dinputs, ps.dinputs), 1e-10) << what << ": adjoint vs shift (inputs)";
  EXPECT_LT(max_abs_diff(ad.dweights, ps.dweights), 1e-10) << what << ": adjoint vs shift (weights)";
}

TEST(DensityMatrixGradients, ExactForEveryAnsatzFromWeakToSingularNoise) {
  Rng rng(121);
  DeviceSpec d;
  d.error_1q = 1e-3;
  d.error_2q = 1e-2;
  d.readout_error = 0.03;
  const NoiseModel device = NoiseModel::device(d);
  NoiseModel singular;  // full-strength channels: not invertible, the sweep must restore states
  singular.one_qubit = {0.75, 0.3, 1.0};
  singular.two_qubit = {15.0 / 16.0, 1.0, 0.2};
  for (Ansatz name : {Ansatz::Default, Ansatz::Strong}) {
    const Circuit c = make_ansatz({3, 2, name, Entangler::Ring});
    expect_gradients_exact(c, device, rng, size_t{1} << 30, mode_name(name) + " device");
    expect_gradients_exact(c, uniform_noise(0.05), rng, size_t{1} << 30, mode_name(name) + " 0.05");
    expect_gradients_exact(c, uniform_noise(0.3), rng, size_t{1} << 30, mode_name(name) + " 0.3");
    expect_gradients_exact(c, singular, rng, size_t{1} << 30, mode_name(name) + " singular");
  }
}

TEST(DensityMatrixGradients, AdjointRestoresStatesWhereInvertingChannelsWouldAmplifyRounding) {
  // Strong but invertible noise on 4 qubits, 3 layers: undoing every channel in the backward sweep
  // would amplify rounding past 1 (measured: gradients off by 1e-7 at 0.6, by O(1) at 0.7); the
  // sweep restores exact states instead, from copies or recomputed when copies do not fit.
  Rng rng(123);
  const Circuit c = make_ansatz({4, 3, Ansatz::Default, Entangler::Ring});
  const size_t one_copy = sizeof(cplx) << 8;  // 4^4 entries
  for (double s : {0.6, 0.7}) {
    const std::string what = "noise " + std::to_string(s);
    expect_gradients_exact(c, uniform_noise(s), rng, size_t{1} << 30, what);
    expect_gradients_exact(c, uniform_noise(s), rng, 0, what + ", no copies (all recomputed)");
    expect_gradients_exact(c, uniform_noise(s), rng, one_copy, what + ", one copy");
  }
}

TEST(DensityMatrixGradients, ExactForEveryGateKind) {
  Rng rng(122);
  for (int trial = 0; trial < 8; ++trial) {
    const int n = 1 + trial % 4;
    expect_gradients_exact(ref::random_circuit(n, 18, rng), random_noise(rng, 0.4), rng, size_t{1} << 30,
                           "random circuit " + std::to_string(trial));
  }
}

TEST(DensityMatrixEvaluator, ResultsIndependentOfThreadCountAndBatching) {
  Rng rng(131);
  const Circuit c = make_ansatz({4, 2, Ansatz::Default, Entangler::Ring});
  DensityMatrixEvaluator ev(c, uniform_noise(0.05));
  const ref::BatchProblem p = ref::random_batch_problem(c, 5, rng);
  const int n = c.n_qubits();
  std::vector<double> z1(p.c.size()), z2(p.c.size());
  ev.set_num_threads(1);
  ev.forward(p.inputs.data(), p.batch, p.weights.data(), z1.data());
  const ref::BatchGrads g1 = gradient(ev, p);
  ev.set_num_threads(2);
  ev.forward(p.inputs.data(), p.batch, p.weights.data(), z2.data());
  const ref::BatchGrads g2 = gradient(ev, p);
  EXPECT_EQ(z1, z2);
  EXPECT_EQ(g1.dinputs, g2.dinputs);
  EXPECT_EQ(g1.dweights, g2.dweights);
  for (int b = 0; b < p.batch; ++b) {
    std::vector<double> z(n);
    ev.forward(p.inputs.data() + b * n, 1, p.weights.data(), z.data());
    for (int q = 0; q < n; ++q) EXPECT_EQ(z[q], z1[b * n + q]);
  }
  // backward accumulates
  ref::BatchGrads twice = g1;
  ev.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), twice.dinputs.data(), twice.dweights.data());
  for (size_t i = 0; i < twice.dweights.size(); ++i) EXPECT_NEAR(twice.dweights[i], 2 * g1.dweights[i], 1e-14);
  for (size_t i = 0; i < twice.dinputs.size(); ++i) EXPECT_NEAR(twice.dinputs[i], 2 * g1.dinputs[i], 1e-14);
  EXPECT_EQ(ev.precision(), Precision::Double);
}

TEST(DensityMatrixEvaluator, ShotsEstimateTheNoisyExpectationWithReadoutFlips) {
  Rng rng(132);
  const Circuit c = make_ansatz({3, 2, Ansatz::Default, Entangler::Ring});
  NoiseModel m = uniform_noise(0.05);
  m.readout_error = 0.1;
  const DensityMatrixEvaluator ev(c, m);
  const ref::BatchProblem p = ref::random_batch_problem(c, 4, rng);
  const int64_t shots = 20000;
  std::vector<double> exact(p.c.size()), est(p.c.size()), again(p.c.size());
  ev.forward(p.inputs.data(), p.batch, p.weights.data(), exact.data());
  ev.forward_shots(p.inputs.data(), p.batch, p.weights.data(), shots, Rng(5), est.data());
  ev.forward_shots(p.inputs.data(), p.batch, p.weights.data(), shots, Rng(5), again.data());
  EXPECT_EQ(est, again);
  for (size_t i = 0; i < exact.size(); ++i) {
    const double se = std::sqrt((1 - exact[i] * exact[i]) / shots);
    EXPECT_LT(std::abs(est[i] - exact[i]), 5 * se + 1e-12) << i;
  }
  EXPECT_THROW(ev.forward_shots(p.inputs.data(), p.batch, p.weights.data(), 0, Rng(5), est.data()), InvalidArgument);
}

TEST(DensityMatrixEvaluator, RefusesTooManyQubits) {
  EXPECT_THROW(DensityMatrixSimulator(make_ansatz({kMaxDensityQubits + 1, 1, Ansatz::Default, Entangler::Ring}), NoiseModel{}),
               InvalidArgument);
}

}  // namespace
}  // namespace qdiff::quantum
