// Dense reference simulator for the quantum tests: full 2^n x 2^n gate matrices built by
// Kronecker products (Eigen), Haar-random states and unitaries.
#pragma once
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/circuit.hpp"
#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum::ref {

using MatX = Eigen::MatrixXcd;
using VecX = Eigen::VectorXcd;

inline MatX kron(const MatX& a, const MatX& b) {
  MatX c(a.rows() * b.rows(), a.cols() * b.cols());
  for (int i = 0; i < a.rows(); ++i)
    for (int j = 0; j < a.cols(); ++j) c.block(i * b.rows(), j * b.cols(), b.rows(), b.cols()) = a(i, j) * b;
  return c;
}

inline MatX to_mat(const Mat2& m) {
  MatX r(2, 2);
  r << m[0], m[1], m[2], m[3];
  return r;
}

// (x)_{q = n-1 .. 0} (ops[q] or identity): qubit q is bit q, so qubit 0 is the rightmost factor.
inline MatX kron_ops(int n, const std::map<int, MatX>& ops) {
  MatX r = MatX::Identity(1, 1);
  for (int q = n - 1; q >= 0; --q) {
    auto it = ops.find(q);
    r = kron(r, it == ops.end() ? MatX::Identity(2, 2) : it->second);
  }
  return r;
}

inline MatX dense_1q(int n, int q, const Mat2& m) { return kron_ops(n, {{q, to_mat(m)}}); }

// |0><0|_c (x) 1 + |1><1|_c (x) m_t
inline MatX dense_controlled(int n, int c, int t, const Mat2& m) {
  MatX p0 = MatX::Zero(2, 2), p1 = MatX::Zero(2, 2);
  p0(0, 0) = 1.0;
  p1(1, 1) = 1.0;
  return kron_ops(n, {{c, p0}}) + kron_ops(n, {{c, p1}, {t, to_mat(m)}});
}

// 4x4 on (q0, q1), local index b0 + 2 b1:  sum_{a1,b1} |a1><b1|_{q1} (x) M_{a1 b1} on q0.
inline MatX dense_2q(int n, int q0, int q1, const Mat4& u) {
  MatX r = MatX::Zero(MatX::Index(1) << n, MatX::Index(1) << n);
  for (int a1 = 0; a1 < 2; ++a1)
    for (int b1 = 0; b1 < 2; ++b1) {
      MatX e = MatX::Zero(2, 2), m(2, 2);
      e(a1, b1) = 1.0;
      for (int a0 = 0; a0 < 2; ++a0)
        for (int b0 = 0; b0 < 2; ++b0) m(a0, b0) = u[(a0 + 2 * a1) * 4 + (b0 + 2 * b1)];
      r += kron_ops(n, {{q1, e}, {q0, m}});
    }
  return r;
}

inline VecX haar_state(int n, Rng& rng) {
  VecX v(Eigen::Index(1) << n);
  for (auto& x : v) x = cplx{rng.normal(), rng.normal()};
  return v / v.norm();
}

inline MatX haar_unitary(int d, Rng& rng) {
  MatX g(d, d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) g(i, j) = cplx{rng.normal(), rng.normal()};
  Eigen::HouseholderQR<MatX> qr(g);
  MatX q = qr.householderQ();
  MatX r = qr.matrixQR();
  for (int j = 0; j < d; ++j) q.col(j) *= r(j, j) / std::abs(r(j, j));
  return q;
}

// max_i |a[i] - b[i]|
inline double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

inline Mat2 to_mat2(const MatX& m) { return {m(0, 0), m(0, 1), m(1, 0), m(1, 1)}; }
inline Mat4 to_mat4(const MatX& m) {
  Mat4 r;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) r[i * 4 + j] = m(i, j);
  return r;
}

inline const GateKind kSingle[] = {GateKind::H, GateKind::X, GateKind::Y, GateKind::Z, GateKind::S,
                                   GateKind::T, GateKind::RX, GateKind::RY, GateKind::RZ, GateKind::Rot};
inline const GateKind kTwo[] = {GateKind::CNOT, GateKind::CZ, GateKind::SWAP, GateKind::CRX, GateKind::CRY, GateKind::CRZ};

// A random circuit with every gate kind, angles from inputs and weights.
inline Circuit random_circuit(int n, int n_ops, Rng& rng) {
  Circuit c(n);
  int slot = 0;
  auto angle = [&]() { return (slot++ % 2) ? Angle::weight(rng.below(5), 0.7, 0.1) : Angle::input(rng.below(n)); };
  for (int k = 0; k < n_ops; ++k) {
    const int pick = rng.below(n > 1 ? 18 : 11);
    if (pick < 10) {
      const GateKind kind = kSingle[pick];
      std::vector<Angle> a;
      for (int j = 0; j < gate_info(kind).n_angles; ++j) a.push_back(angle());
      c.add(kind, {static_cast<int>(rng.below(n))}, a);
    } else if (pick == 10) {
      c.add_unitary(rng.below(n), ref::to_mat2(ref::haar_unitary(2, rng)));
    } else {
      const int q0 = rng.below(n);
      int q1 = rng.below(n - 1);
      if (q1 >= q0) ++q1;
      if (pick == 17) {
        c.add_unitary(q0, q1, ref::to_mat4(ref::haar_unitary(4, rng)));
      } else {
        const GateKind kind = kTwo[pick - 11];
        std::vector<Angle> a;
        for (int j = 0; j < gate_info(kind).n_angles; ++j) a.push_back(angle());
        c.add(kind, {q0, q1}, a);
      }
    }
  }
  c.reserve_weights(5);
  return c;
}

}  // namespace qdiff::quantum::ref
