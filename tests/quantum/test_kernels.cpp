// Every gate kernel against its dense Kronecker-product matrix on Haar-random states, for every
// target/control position at n = 1..6; the compiled Program against the gate-by-gate path.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/circuit.hpp"
#include "qdiff/quantum/kernels.hpp"
#include "qdiff/quantum/program.hpp"
#include "qdiff/quantum/state.hpp"
#include "reference.hpp"

namespace qdiff::quantum {
namespace {

using ref::MatX;
using ref::VecX;

VecX to_vec(const StateVector& s) {
  VecX v(s.dim());
  for (uint64_t i = 0; i < s.dim(); ++i) v[i] = s.data()[i];
  return v;
}
void load(StateVector& s, const VecX& v) {
  for (uint64_t i = 0; i < s.dim(); ++i) s.data()[i] = v[i];
}
double max_diff(const StateVector& s, const VecX& v) { return (to_vec(s) - v).cwiseAbs().maxCoeff(); }

using ref::kSingle;
using ref::kTwo;
using ref::random_circuit;

std::vector<double> random_angles(int k, Rng& rng) {
  std::vector<double> a(k);
  for (double& x : a) x = (rng.uniform() * 2 - 1) * 4.0;
  return a;
}

TEST(QuantumKernels, SingleQubitGatesMatchDenseKronecker) {
  Rng rng(11);
  for (int n = 1; n <= 6; ++n)
    for (int q = 0; q < n; ++q)
      for (GateKind kind : kSingle) {
        const std::vector<double> a = random_angles(gate_info(kind).n_angles, rng);
        const VecX v = ref::haar_state(n, rng);
        StateVector s(n);
        load(s, v);
        s.apply(kind, {q}, a);
        const VecX want = ref::dense_1q(n, q, matrix_1q(kind, a.data())) * v;
        EXPECT_LT(max_diff(s, want), 1e-13) << gate_info(kind).name << " n=" << n << " q=" << q;
        EXPECT_NEAR(s.norm(), 1.0, 1e-13);
      }
}

TEST(QuantumKernels, ArbitraryUnitariesMatchDenseKronecker) {
  Rng rng(12);
  for (int n = 1; n <= 6; ++n)
    for (int q0 = 0; q0 < n; ++q0) {
      const VecX v = ref::haar_state(n, rng);
      const MatX u = ref::haar_unitary(2, rng);
      StateVector s(n);
      load(s, v);
      s.apply_matrix(q0, ref::to_mat2(u));
      EXPECT_LT(max_diff(s, ref::dense_1q(n, q0, ref::to_mat2(u)) * v), 1e-13);
      for (int q1 = 0; q1 < n; ++q1) {
        if (q1 == q0) continue;
        const MatX u4 = ref::haar_unitary(4, rng);
        load(s, v);
        s.apply_matrix(q0, q1, ref::to_mat4(u4));
        EXPECT_LT(max_diff(s, ref::dense_2q(n, q0, q1, ref::to_mat4(u4)) * v), 1e-13) << n << " " << q0 << " " << q1;
        EXPECT_NEAR(s.norm(), 1.0, 1e-13);
      }
    }
}

TEST(QuantumKernels, TwoQubitGatesMatchDenseKroneckerAtEveryPosition) {
  Rng rng(13);
  for (int n = 2; n <= 6; ++n)
    for (int c = 0; c < n; ++c)
      for (int t = 0; t < n; ++t) {
        if (c == t) continue;
        for (GateKind kind : kTwo) {
          const std::vector<double> a = random_angles(gate_info(kind).n_angles, rng);
          const VecX v = ref::haar_state(n, rng);
          StateVector s(n);
          load(s, v);
          s.apply(kind, {c, t}, a);
          const MatX dense = kind == GateKind::SWAP ? ref::dense_2q(n, c, t, matrix_2q(kind, a.data()))
                                                    : ref::dense_controlled(n, c, t, target_matrix(kind, a.data()));
          EXPECT_LT(max_diff(s, dense * v), 1e-13) << gate_info(kind).name << " n=" << n << " c=" << c << " t=" << t;
          EXPECT_NEAR(s.norm(), 1.0, 1e-13);
          // the 4x4 form of the same gate agrees with the controlled form
          EXPECT_LT((ref::dense_2q(n, c, t, matrix_2q(kind, a.data())) - dense).cwiseAbs().maxCoeff(), 1e-14);
        }
      }
}

TEST(QuantumKernels, DerivativeMatricesMatchFiniteDifferences) {
  Rng rng(14);
  const double h = 1e-6;
  for (GateKind kind : {GateKind::RX, GateKind::RY, GateKind::RZ, GateKind::Rot, GateKind::CRX, GateKind::CRY,
                        GateKind::CRZ}) {
    const bool ctrl = gate_info(kind).controlled;
    std::vector<double> a = random_angles(gate_info(kind).n_angles, rng);
    for (int j = 0; j < static_cast<int>(a.size()); ++j) {
      auto m = [&](double shift) {
        std::vector<double> b = a;
        b[j] += shift;
        return ref::to_mat(ctrl ? target_matrix(kind, b.data()) : matrix_1q(kind, b.data()));
      };
      const MatX fd = (m(h) - m(-h)) / (2 * h);
      const MatX d = ref::to_mat(ctrl ? dtarget_matrix(kind, a.data(), j) : dmatrix_1q(kind, a.data(), j));
      EXPECT_LT((fd - d).cwiseAbs().maxCoeff(), 1e-8) << gate_info(kind).name << " angle " << j;
    }
  }
}

TEST(QuantumKernels, UnsupportedRequestsThrow) {
  StateVector s(3);
  EXPECT_THROW(gate_kind_from_name("toffoli"), InvalidArgument);
  EXPECT_THROW(s.apply(GateKind::RX, {0}), InvalidArgument);         // missing angle
  EXPECT_THROW(s.apply(GateKind::H, {3}), InvalidArgument);          // qubit out of range
  EXPECT_THROW(s.apply(GateKind::CNOT, {1, 1}), InvalidArgument);    // same qubit twice
  EXPECT_THROW(s.apply(GateKind::Unitary1, {0}), InvalidArgument);   // needs a matrix
  EXPECT_THROW(s.apply_matrix(0, Mat2{1.0, 1.0, 0.0, 1.0}), InvalidArgument);  // not unitary
  EXPECT_THROW(StateVector(0), InvalidArgument);
  EXPECT_THROW(dmatrix_1q(GateKind::H, nullptr, 0), InvalidArgument);
  EXPECT_THROW(matrix_1q(GateKind::CNOT, nullptr), InvalidArgument);
  Circuit c(2);
  EXPECT_THROW(c.add(GateKind::RY, {0}, {}), InvalidArgument);
  EXPECT_THROW(c.add(GateKind::CNOT, {0, 2}), InvalidArgument);
  EXPECT_THROW(make_ansatz({4, 2, parse_mode<Ansatz>("fancy"), Entangler::Ring}), InvalidArgument);
  EXPECT_THROW(make_ansatz({4, 2, Ansatz::Default, parse_mode<Entangler>("star")}), InvalidArgument);
  EXPECT_EQ(gate_kind_from_name("cnot"), GateKind::CNOT);
  EXPECT_EQ(gate_kind_from_name("crz"), GateKind::CRZ);
}

TEST(QuantumKernels, LinearPermutationMatchesCnotSequence) {
  Rng rng(15);
  for (int n = 2; n <= 7; ++n) {
    std::vector<std::pair<int, int>> cnots;
    for (int k = 0; k < 3 * n; ++k) {
      const int c = rng.below(n);
      int t = rng.below(n - 1);
      if (t >= c) ++t;
      cnots.push_back({c, t});
    }
    std::vector<uint64_t> cols(n);
    for (int k = 0; k < n; ++k) cols[k] = uint64_t{1} << k;
    for (auto [c, t] : cnots)
      for (uint64_t& col : cols) col ^= ((col >> c) & 1) << t;
    const VecX v = ref::haar_state(n, rng);
    StateVector s(n);
    load(s, v);
    for (auto [c, t] : cnots) s.apply(GateKind::CNOT, {c, t});
    std::vector<cplx> in(v.data(), v.data() + v.size()), out(v.size()), back(v.size());
    apply_permutation(make_linear_permutation(cols, n, false), in.data(), out.data());
    apply_permutation(make_linear_permutation(cols, n, true), out.data(), back.data());
    for (uint64_t i = 0; i < s.dim(); ++i) {
      EXPECT_EQ(out[i], s.data()[i]);
      EXPECT_EQ(back[i], in[i]);
    }
  }
}

TEST(QuantumKernels, ProductStateAndContraction) {
  Rng rng(16);
  for (int n = 1; n <= 7; ++n) {
    std::vector<cplx> vb(2 * n);
    for (cplx& x : vb) x = cplx{rng.normal(), rng.normal()};
    auto* v = reinterpret_cast<cplx(*)[2]>(vb.data());
    std::vector<cplx> amps(uint64_t{1} << n);
    write_product_state(amps.data(), n, v);
    const VecX lam = ref::haar_state(n, rng);
    std::vector<cplx> eb(2 * n);
    auto* env = reinterpret_cast<cplx(*)[2]>(eb.data());
    contract_all_but_one(lam.data(), n, v, env);
    for (uint64_t b = 0; b < amps.size(); ++b) {
      cplx p = 1.0;
      for (int q = 0; q < n; ++q) p *= v[q][(b >> q) & 1];
      EXPECT_LT(std::abs(amps[b] - p), 1e-12);
    }
    for (int q = 0; q < n; ++q)
      for (int s = 0; s < 2; ++s) {
        cplx want = 0.0;
        for (uint64_t b = 0; b < amps.size(); ++b) {
          if (int((b >> q) & 1) != s) continue;
          cplx p = std::conj(lam[b]);
          for (int r = 0; r < n; ++r)
            if (r != q) p *= v[r][(b >> r) & 1];
          want += p;
        }
        EXPECT_LT(std::abs(env[q][s] - want), 1e-12) << "n=" << n << " q=" << q;
      }
  }
}

TEST(QuantumKernels, CompiledProgramMatchesGateByGate) {
  Rng rng(17);
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 1 + trial % 6;
    const Circuit c = random_circuit(n, 30, rng);
    std::vector<double> in(c.n_inputs()), w(c.n_weights()), angles(c.n_slots());
    for (double& x : in) x = rng.normal();
    for (double& x : w) x = rng.normal();
    c.bind(in.data(), w.data(), angles.data());
    StateVector s(n);
    c.apply(s, angles.data());
    Program p(c);
    Workspace ws;
    p.forward(angles.data(), ws);
    for (uint64_t i = 0; i < s.dim(); ++i) ASSERT_LT(std::abs(ws.psi[i] - s.data()[i]), 1e-12) << "trial " << trial;
  }
  // ansatz circuits: also check that the structure was exploited
  for (const char* name : {"default", "paper", "strong"})
    for (const char* ent : {"chain", "ring", "all"}) {
      const Circuit c = make_ansatz({5, 3, parse_mode<Ansatz>(name), parse_mode<Entangler>(ent)});
      std::vector<double> in(c.n_inputs()), w(c.n_weights()), angles(c.n_slots());
      for (double& x : in) x = rng.normal();
      for (double& x : w) x = rng.normal();
      c.bind(in.data(), w.data(), angles.data());
      StateVector s(5);
      c.apply(s, angles.data());
      Program p(c);
      Workspace ws;
      p.forward(angles.data(), ws);
      for (uint64_t i = 0; i < s.dim(); ++i) ASSERT_LT(std::abs(ws.psi[i] - s.data()[i]), 1e-12) << name << " " << ent;
      // product prefix, then perm, layer, perm, layer, perm
      EXPECT_EQ(p.n_steps(), 5) << name << " " << ent << "\n" << p.describe();
    }
}

TEST(QuantumKernels, BlockedLayersMatchGateByGateAboveTheBlockSize) {
  Rng rng(18);
  for (int n : {3, 11, 13, 15}) {
    std::vector<int> qs;
    for (int q = 0; q < n; ++q)
      if (rng.uniform() < 0.8 || q == n - 1) qs.push_back(q);
    std::vector<Mat2> ms;
    for (size_t g = 0; g < qs.size(); ++g) ms.push_back(ref::to_mat2(ref::haar_unitary(2, rng)));
    const ref::VecX v = ref::haar_state(n, rng), l = ref::haar_state(n, rng);
    std::vector<cplx> a(v.data(), v.data() + v.size()), b = a;
    apply_1q_layer(a.data(), n, qs.size(), qs.data(), ms.data());
    for (size_t g = 0; g < qs.size(); ++g) apply_1q(b.data(), n, qs[g], ms[g]);
    for (size_t i = 0; i < a.size(); ++i) ASSERT_LT(std::abs(a[i] - b[i]), 1e-13) << n;
    // backward: same states and, per gate, the same cross matrix as one gate at a time
    std::vector<cplx> pa = a, la(l.data(), l.data() + l.size()), pb = a, lb = la;
    std::vector<Mat2> ra(qs.size(), Mat2{}), rb(qs.size(), Mat2{}), inv;
    for (const Mat2& m : ms) inv.push_back(adjoint(m));
    backward_1q_layer(pa.data(), la.data(), n, qs.size(), qs.data(), inv.data(), ra.data());
    for (size_t g = 0; g < qs.size(); ++g) backward_1q(pb.data(), lb.data(), n, qs[g], inv[g], rb[g]);
    for (size_t i = 0; i < pa.size(); ++i) {
      ASSERT_LT(std::abs(pa[i] - pb[i]), 1e-13);
      ASSERT_LT(std::abs(la[i] - lb[i]), 1e-13);
      ASSERT_LT(std::abs(pa[i] - v[i]), 1e-13);  // undoing the layer restores the state
    }
    for (size_t g = 0; g < qs.size(); ++g)
      for (int e = 0; e < 4; ++e) EXPECT_LT(std::abs(ra[g][e] - rb[g][e]), 1e-12) << n << " gate " << g;
  }
}

TEST(QuantumKernels, CompiledProgramMatchesGateByGateAtThirteenQubits) {
  Rng rng(19);
  const Circuit c = make_ansatz({13, 2, Ansatz::Strong, Entangler::Ring});
  std::vector<double> in(c.n_inputs()), w(c.n_weights()), angles(c.n_slots());
  for (double& x : in) x = rng.normal();
  for (double& x : w) x = rng.normal();
  c.bind(in.data(), w.data(), angles.data());
  StateVector s(13);
  c.apply(s, angles.data());
  Program p(c);
  Workspace ws;
  p.forward(angles.data(), ws);
  for (uint64_t i = 0; i < s.dim(); ++i) ASSERT_LT(std::abs(ws.psi[i] - s.data()[i]), 1e-12);
}

}  // namespace
}  // namespace qdiff::quantum
