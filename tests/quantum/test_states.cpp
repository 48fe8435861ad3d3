// Known states (Bell, GHZ), analytic single-qubit expectations, Pauli strings vs dense Paulis.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/error.hpp"
#include <numbers>

#include "qdiff/quantum/kernels.hpp"
#include "qdiff/quantum/state.hpp"
#include "reference.hpp"

namespace qdiff::quantum {
namespace {

TEST(QuantumStates, BellState) {
  StateVector s(2);
  s.apply(GateKind::H, {0});
  s.apply(GateKind::CNOT, {0, 1});
  const double r = 1 / std::sqrt(2.0);
  EXPECT_NEAR(std::abs(s.data()[0] - r), 0, 1e-15);
  EXPECT_NEAR(std::abs(s.data()[3] - r), 0, 1e-15);
  EXPECT_EQ(s.data()[1], cplx(0.0));
  EXPECT_EQ(s.data()[2], cplx(0.0));
  const std::vector<double> z = s.expectation_z();
  EXPECT_NEAR(z[0], 0, 1e-15);
  EXPECT_NEAR(z[1], 0, 1e-15);
  EXPECT_NEAR(s.expectation_pauli("ZZ"), 1, 1e-15);
  EXPECT_NEAR(s.expectation_pauli("XX"), 1, 1e-15);
  EXPECT_NEAR(s.expectation_pauli("YY"), -1, 1e-15);
  EXPECT_NEAR(s.expectation_pauli("XI"), 0, 1e-15);
}

TEST(QuantumStates, GhzState) {
  for (int n = 2; n <= 8; ++n) {
    StateVector s(n);
    s.apply(GateKind::H, {0});
    for (int q = 0; q + 1 < n; ++q) s.apply(GateKind::CNOT, {q, q + 1});
    const uint64_t all = s.dim() - 1;
    for (uint64_t b = 0; b < s.dim(); ++b)
      EXPECT_NEAR(std::norm(s.data()[b]), (b == 0 || b == all) ? 0.5 : 0.0, 1e-15) << n;
    for (double z : s.expectation_z()) EXPECT_NEAR(z, 0, 1e-15);
    EXPECT_NEAR(s.expectation_pauli(std::string(n, 'X')), 1, 1e-14);
    EXPECT_NEAR(s.expectation_pauli("ZZ" + std::string(n - 2, 'I')), 1, 1e-14);
    EXPECT_NEAR(s.norm(), 1, 1e-14);
  }
}

TEST(QuantumStates, AnalyticSingleQubitExpectations) {
  for (double t : {-2.5, -0.3, 0.0, 0.7, 1.9, 3.1}) {
    for (int n : {1, 3}) {
      const int q = n - 1;
      const std::string z = std::string(q, 'I') + "Z", x = std::string(q, 'I') + "X", y = std::string(q, 'I') + "Y";
      StateVector a(n);
      a.apply(GateKind::RY, {q}, {t});
      EXPECT_NEAR(a.expectation_z()[q], std::cos(t), 1e-14);
      EXPECT_NEAR(a.expectation_pauli(x), std::sin(t), 1e-14);
      StateVector b(n);
      b.apply(GateKind::RX, {q}, {t});
      EXPECT_NEAR(b.expectation_z()[q], std::cos(t), 1e-14);
      EXPECT_NEAR(b.expectation_pauli(y), -std::sin(t), 1e-14);
      StateVector c(n);
      c.apply(GateKind::H, {q});
      c.apply(GateKind::RZ, {q}, {t});
      EXPECT_NEAR(c.expectation_pauli(x), std::cos(t), 1e-14);
      EXPECT_NEAR(c.expectation_pauli(y), std::sin(t), 1e-14);
      EXPECT_NEAR(c.expectation_pauli(z), 0, 1e-14);
      StateVector d(n);
      d.apply(GateKind::Rot, {q}, {0.4, t, -1.1});
      EXPECT_NEAR(d.expectation_z()[q], std::cos(t), 1e-14);
    }
  }
}

TEST(QuantumStates, ExpectationsMatchDensePaulis) {
  Rng rng(31);
  const ref::MatX pauli[4] = {ref::MatX::Identity(2, 2), ref::to_mat(matrix_1q(GateKind::X, nullptr)),
                              ref::to_mat(matrix_1q(GateKind::Y, nullptr)), ref::to_mat(matrix_1q(GateKind::Z, nullptr))};
  for (int n : {1, 2, 4, 6}) {
    const ref::VecX v = ref::haar_state(n, rng);
    for (int trial = 0; trial < 20; ++trial) {
      std::string s;
      std::map<int, ref::MatX> ops;
      for (int q = 0; q < n; ++q) {
        const int k = rng.below(4);
        s += "IXYZ"[k];
        ops[q] = pauli[k];
      }
      const double want = (v.adjoint() * ref::kron_ops(n, ops) * v)(0, 0).real();
      EXPECT_NEAR(expectation_pauli(v.data(), n, s), want, 1e-13) << s;
    }
  }
  EXPECT_THROW(expectation_pauli(nullptr, 2, "XQ"), InvalidArgument);
  EXPECT_THROW(expectation_pauli(nullptr, 2, "XYZ"), InvalidArgument);
}

TEST(QuantumStates, AllZExpectationsAndObservableMatchDirectSums) {
  Rng rng(32);
  for (int n : {1, 5, 10, 11, 13}) {  // both sides of the 10-bit histogram split
    const ref::VecX v = ref::haar_state(n, rng);
    std::vector<double> z(n), c(n);
    for (double& x : c) x = rng.normal();
    expectation_z_all(v.data(), n, z.data());
    std::vector<cplx> lam(v.size());
    apply_z_observable(v.data(), lam.data(), n, c.data());
    for (int q = 0; q < n; ++q) {
      double want = 0;
      for (Eigen::Index b = 0; b < v.size(); ++b) want += std::norm(v[b]) * (((b >> q) & 1) ? -1 : 1);
      EXPECT_NEAR(z[q], want, 1e-13) << n << " " << q;
    }
    for (Eigen::Index b = 0; b < v.size(); b += 7) {
      double d = 0;
      for (int q = 0; q < n; ++q) d += c[q] * (((b >> q) & 1) ? -1 : 1);
      EXPECT_LT(std::abs(lam[b] - d * v[b]), 1e-13);
    }
  }
}

}  // namespace
}  // namespace qdiff::quantum
