// The float simulator (Precision::Float, cplxf kernels): every kernel against the dense
// Kronecker reference on Haar-random states at every qubit position (n = 1..7, so both the
// scalar path and the register path with its in-register shuffles for q < 3 are covered); the
// backward step, blocked layers, compiled programs and the batched evaluator against double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/statevector_backend.hpp"
#include "qdiff/quantum/kernels.hpp"
#include "qdiff/quantum/program.hpp"
#include "reference.hpp"

namespace qdiff::quantum {
namespace {

using ref::max_abs_diff;
using ref::VecX;

// Float amplitudes are rounded once (~6e-8 relative); a few gates add a few roundings each.
constexpr double kAmpTol = 1e-6;

std::vector<cplxf> to_float(const VecX& v) {
  std::vector<cplxf> f(v.size());
  for (Eigen::Index i = 0; i < v.size(); ++i) f[i] = cplxf(v[i]);
  return f;
}
std::vector<cplx> to_double(const VecX& v) { return std::vector<cplx>(v.data(), v.data() + v.size()); }
double max_diff(const std::vector<cplxf>& a, const VecX& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(cplx(a[i]) - b[i]));
  return m;
}
template <class A, class B>
double max_diff(const std::vector<A>& a, const std::vector<B>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(cplx(a[i]) - cplx(b[i])));
  return m;
}
double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double x : a) m = std::max(m, std::abs(x));
  return m;
}

TEST(QuantumFloat, SingleQubitKernelsMatchDenseKronecker) {
  Rng rng(31);
  for (int n = 1; n <= 7; ++n)
    for (int q = 0; q < n; ++q) {
      std::vector<Mat2> mats;
      for (GateKind kind : ref::kSingle) {
        std::vector<double> a(gate_info(kind).n_angles);
        for (double& x : a) x = rng.normal() * 2;
        mats.push_back(matrix_1q(kind, a.data()));
      }
      mats.push_back(ref::to_mat2(ref::haar_unitary(2, rng)));  // general complex
      for (const Mat2& m : mats) {
        const VecX v = ref::haar_state(n, rng);
        std::vector<cplxf> s = to_float(v);
        apply_1q(s.data(), n, q, m);
        EXPECT_LT(max_diff(s, ref::dense_1q(n, q, m) * v), kAmpTol) << "n=" << n << " q=" << q;
        EXPECT_NEAR(norm_squared(s.data(), n), 1.0, 1e-6);
      }
    }
}

TEST(QuantumFloat, TwoQubitKernelsMatchDenseKronecker) {
  Rng rng(32);
  for (int n = 2; n <= 6; ++n)
    for (int c = 0; c < n; ++c)
      for (int t = 0; t < n; ++t) {
        if (c == t) continue;
        const VecX v = ref::haar_state(n, rng);
        const double a = rng.normal() * 2;
        const Mat2 rx = matrix_1q(GateKind::RX, &a);
        const Mat4 u = ref::to_mat4(ref::haar_unitary(4, rng));
        std::vector<cplxf> s = to_float(v);
        apply_controlled_1q(s.data(), n, c, t, rx);
        EXPECT_LT(max_diff(s, ref::dense_controlled(n, c, t, rx) * v), kAmpTol);
        s = to_float(v);
        apply_2q(s.data(), n, c, t, u);
        EXPECT_LT(max_diff(s, ref::dense_2q(n, c, t, u) * v), kAmpTol);
        const double none = 0;
        for (GateKind kind : {GateKind::CNOT, GateKind::CZ, GateKind::SWAP}) {
          s = to_float(v);
          if (kind == GateKind::CNOT) apply_cnot(s.data(), n, c, t);
          if (kind == GateKind::CZ) apply_cz(s.data(), n, c, t);
          if (kind == GateKind::SWAP) apply_swap(s.data(), n, c, t);
          const VecX want = kind == GateKind::SWAP ? VecX(ref::dense_2q(n, c, t, matrix_2q(kind, &none)) * v)
                                                   : VecX(ref::dense_controlled(n, c, t, target_matrix(kind, &none)) * v);
          EXPECT_LT(max_diff(s, want), kAmpTol) << gate_info(kind).name;  // exact moves of rounded amplitudes
        }
      }
}

TEST(QuantumFloat, BackwardStepsMatchDouble) {
  Rng rng(33);
  for (int n = 1; n <= 7; ++n)
    for (int q = 0; q < n; ++q) {
      const Mat2 u = ref::to_mat2(ref::haar_unitary(2, rng));
      const VecX p = ref::haar_state(n, rng), l = ref::haar_state(n, rng);
      std::vector<cplxf> pf = to_float(p), lf = to_float(l);
      std::vector<cplx> pd = to_double(p), ld = to_double(l);
      Mat2 rf{}, rd{};
      backward_1q(pf.data(), lf.data(), n, q, u, rf);
      backward_1q(pd.data(), ld.data(), n, q, u, rd);
      EXPECT_LT(max_diff(pf, pd), kAmpTol) << "n=" << n << " q=" << q;
      EXPECT_LT(max_diff(lf, ld), kAmpTol);
      for (int e = 0; e < 4; ++e) EXPECT_LT(std::abs(rf[e] - rd[e]), 1e-6) << "cross n=" << n << " q=" << q;
      if (n >= 2) {
        const int c = (q + 1) % n;
        Mat2 cf{}, cd{};
        backward_controlled_1q(pf.data(), lf.data(), n, c, q, u, cf);
        backward_controlled_1q(pd.data(), ld.data(), n, c, q, u, cd);
        for (int e = 0; e < 4; ++e) EXPECT_LT(std::abs(cf[e] - cd[e]), 1e-6);
        const Mat4 u4 = ref::to_mat4(ref::haar_unitary(4, rng));
        Mat4 r4f{}, r4d{};
        backward_2q(pf.data(), lf.data(), n, q, c, u4, r4f);
        backward_2q(pd.data(), ld.data(), n, q, c, u4, r4d);
        for (int e = 0; e < 16; ++e) EXPECT_LT(std::abs(r4f[e] - r4d[e]), 1e-6);
        EXPECT_LT(max_diff(pf, pd), kAmpTol);
      }
    }
}

TEST(QuantumFloat, BlockedLayersMatchDoubleAboveTheBlockSize) {
  Rng rng(34);
  for (int n : {4, 11, 14}) {
    std::vector<int> qs;
    std::vector<Mat2> ms, inv;
    for (int q = 0; q < n; ++q) {
      qs.push_back(q);
      ms.push_back(ref::to_mat2(ref::haar_unitary(2, rng)));
      inv.push_back(adjoint(ms.back()));
    }
    const VecX v = ref::haar_state(n, rng), l = ref::haar_state(n, rng);
    std::vector<cplxf> af = to_float(v), lf = to_float(l);
    std::vector<cplx> ad = to_double(v), ld = to_double(l);
    apply_1q_layer(af.data(), n, n, qs.data(), ms.data());
    apply_1q_layer(ad.data(), n, n, qs.data(), ms.data());
    EXPECT_LT(max_diff(af, ad), kAmpTol) << n;
    std::vector<Mat2> rf(n, Mat2{}), rd(n, Mat2{});
    backward_1q_layer(af.data(), lf.data(), n, n, qs.data(), inv.data(), rf.data());
    backward_1q_layer(ad.data(), ld.data(), n, n, qs.data(), inv.data(), rd.data());
    EXPECT_LT(max_diff(af, v), kAmpTol) << "undoing the layer restores the state, n=" << n;
    EXPECT_LT(max_diff(lf, ld), kAmpTol);
    for (int g = 0; g < n; ++g)
      for (int e = 0; e < 4; ++e) EXPECT_LT(std::abs(rf[g][e] - rd[g][e]), 1e-6) << n << " gate " << g;
  }
}

TEST(QuantumFloat, ProductStateContractionAndReadout) {
  Rng rng(35);
  for (int n = 1; n <= 12; n += 1) {
    std::vector<cplx> vb(2 * n);
    for (int q = 0; q < n; ++q) {  // normalised single-qubit states
      const double t = rng.uniform() * 3, ph = rng.uniform() * 6;
      vb[2 * q] = std::cos(t / 2);
      vb[2 * q + 1] = std::polar(std::sin(t / 2), ph);
    }
    auto* v = reinterpret_cast<cplx(*)[2]>(vb.data());
    std::vector<cplxf> af(uint64_t{1} << n);
    std::vector<cplx> ad(af.size());
    write_product_state(af.data(), n, v);
    write_product_state(ad.data(), n, v);
    EXPECT_LT(max_diff(af, ad), kAmpTol);
    const VecX l = ref::haar_state(n, rng);
    const std::vector<cplxf> lf = to_float(l);
    std::vector<cplx> ef(2 * n), ed(2 * n);
    contract_all_but_one(lf.data(), n, v, reinterpret_cast<cplx(*)[2]>(ef.data()));
    contract_all_but_one(l.data(), n, v, reinterpret_cast<cplx(*)[2]>(ed.data()));
    for (int k = 0; k < 2 * n; ++k) EXPECT_LT(std::abs(ef[k] - ed[k]), 1e-6) << n;
    std::vector<double> zf(n), zd(n), c(n);
    expectation_z_all(af.data(), n, zf.data());
    expectation_z_all(ad.data(), n, zd.data());
    EXPECT_LT(max_abs_diff(zf, zd), 1e-6) << n;
    for (double& x : c) x = rng.normal();
    std::vector<cplxf> of(af.size());
    std::vector<cplx> od(ad.size());
    apply_z_observable(af.data(), of.data(), n, c.data());
    apply_z_observable(ad.data(), od.data(), n, c.data());
    EXPECT_LT(max_diff(of, od), 1e-6 * (1 + max_abs(c) * n));
  }
}

// Forward and both gradients of a batch, in one precision.
struct Result {
  std::vector<double> z, dinputs, dweights;
};
Result evaluate(const Backend& circuit_backend, Precision precision, GradMethod method, const std::vector<double>& in,
                const std::vector<double>& w, const std::vector<double>& c, int batch) {
  const auto backend = make_backend("statevector", circuit_backend.circuit(), {precision, circuit_backend.threads()});
  const Backend& ev = *backend;
  Result r{std::vector<double>(batch * ev.n_qubits()), std::vector<double>(in.size(), 0.0),
           std::vector<double>(w.size(), 0.0)};
  ev.forward(in.data(), batch, w.data(), r.z.data());
  ev.backward(in.data(), batch, w.data(), c.data(), method, r.dinputs.data(), r.dweights.data());
  return r;
}

TEST(QuantumFloat, EvaluatorMatchesDoubleForEveryAnsatzAndRandomCircuits) {
  Rng rng(36);
  std::vector<Circuit> circuits;
  for (const char* name : {"default", "paper", "strong"})
    for (int n : {3, 5, 12}) circuits.push_back(make_ansatz({n, 3, parse_mode<Ansatz>(name), parse_mode<Entangler>(n == 5 ? "all" : "ring")}));
  for (int trial = 0; trial < 6; ++trial) circuits.push_back(ref::random_circuit(2 + trial, 30, rng));
  for (Circuit& circuit : circuits) {
    const int n = circuit.n_qubits();
    StatevectorBackend<cplx> ev(std::move(circuit));
    const int batch = 3;
    std::vector<double> in(batch * ev.n_inputs()), w(ev.n_weights()), c(batch * n);
    for (double& x : in) x = rng.uniform() * 3;
    for (double& x : w) x = rng.normal();
    for (double& x : c) x = rng.normal();
    const Result d = evaluate(ev, Precision::Double, GradMethod::Adjoint, in, w, c, batch);
    const Result f = evaluate(ev, Precision::Float, GradMethod::Adjoint, in, w, c, batch);
    const Result fs = evaluate(ev, Precision::Float, GradMethod::ParameterShift, in, w, c, batch);
    const double scale = 1 + max_abs(d.dinputs) + max_abs(d.dweights);
    EXPECT_LT(max_abs_diff(f.z, d.z), 2e-6) << ev.program().describe();
    EXPECT_LT(max_abs_diff(f.dinputs, d.dinputs), 1e-5 * scale) << ev.program().describe();
    EXPECT_LT(max_abs_diff(f.dweights, d.dweights), 1e-5 * scale);
    EXPECT_LT(max_abs_diff(fs.dinputs, d.dinputs), 1e-5 * scale) << "float parameter shift";
    EXPECT_LT(max_abs_diff(fs.dweights, d.dweights), 1e-5 * scale);
    // the float path really is a different computation (not the double one relabelled)
    if (n >= 5) {
      EXPECT_GT(max_abs_diff(f.z, d.z), 1e-12);
    }
  }
}

// The training-sized and larger circuits: float errors grow slowly with qubits and depth (each
// gate adds a rounding of ~6e-8 to every amplitude; <Z> and gradients average many amplitudes).
// The measured errors are printed; bench/RESULTS.md quotes them.
TEST(QuantumFloat, ErrorsStaySmallUpToTwentyQubitsAndDeepCircuits) {
  Rng rng(38);
  struct Case {
    int n, layers;
    const char* ansatz;
  };
  for (const Case& k : {Case{16, 3, "default"}, Case{16, 12, "strong"}, Case{20, 3, "default"}}) {
    StatevectorBackend<cplx> ev(make_ansatz({k.n, k.layers, parse_mode<Ansatz>(k.ansatz), Entangler::Ring}));
    const int batch = 2;
    std::vector<double> in(batch * ev.n_inputs()), w(ev.n_weights()), c(batch * k.n);
    for (double& x : in) x = rng.uniform() * 3;
    for (double& x : w) x = rng.normal();
    for (double& x : c) x = rng.normal();
    const Result d = evaluate(ev, Precision::Double, GradMethod::Adjoint, in, w, c, batch);
    const Result f = evaluate(ev, Precision::Float, GradMethod::Adjoint, in, w, c, batch);
    const double ez = max_abs_diff(f.z, d.z);
    const double ein = max_abs_diff(f.dinputs, d.dinputs) / max_abs(d.dinputs);
    const double ew = max_abs_diff(f.dweights, d.dweights) / max_abs(d.dweights);
    std::printf("float vs double, n=%d, %d %s layers: max |dz| %.1e, input grads %.1e, weight grads %.1e (relative to the largest)\n",
                k.n, k.layers, k.ansatz, ez, ein, ew);
    EXPECT_LT(ez, 1e-5);
    EXPECT_LT(ein, 1e-5);
    EXPECT_LT(ew, 1e-5);
  }
}

TEST(QuantumFloat, BatchedFloatResultsIndependentOfThreadCountAndShotsWork) {
  Rng rng(37);
  StatevectorBackend<cplxf> ev(make_ansatz({10, 2, Ansatz::Default, Entangler::Ring}));
  const int batch = 7;
  std::vector<double> in(batch * ev.n_inputs()), w(ev.n_weights()), c(batch * 10);
  for (double& x : in) x = rng.uniform() * 3;
  for (double& x : w) x = rng.normal();
  for (double& x : c) x = rng.normal();
  ev.set_num_threads(1);
  const Result one = evaluate(ev, Precision::Float, GradMethod::Adjoint, in, w, c, batch);
  ev.set_num_threads(2);
  const Result two = evaluate(ev, Precision::Float, GradMethod::Adjoint, in, w, c, batch);
  EXPECT_EQ(one.z, two.z);
  EXPECT_EQ(one.dinputs, two.dinputs);
  EXPECT_EQ(one.dweights, two.dweights);
  // finite shots from a float state: unbiased estimate of the exact <Z> (4096 shots: sd <= 1/64)
  std::vector<double> zs(batch * 10);
  ev.forward_shots(in.data(), batch, w.data(), 4096, Rng(5), zs.data());
  for (size_t i = 0; i < zs.size(); ++i) EXPECT_NEAR(zs[i], one.z[i], 5.0 / 64);
}

TEST(QuantumFloat, PrecisionNames) {
  EXPECT_EQ(parse_mode<Precision>("double"), Precision::Double);
  EXPECT_EQ(parse_mode<Precision>("float"), Precision::Float);
  EXPECT_STREQ(mode_name(Precision::Float).c_str(), "float");
  EXPECT_THROW(parse_mode<Precision>("half"), InvalidArgument);
}

}  // namespace
}  // namespace qdiff::quantum
