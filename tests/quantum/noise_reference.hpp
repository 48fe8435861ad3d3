// Dense references for the noisy-simulator tests: a density-matrix simulator that walks a
// NoisyCircuit's events with explicit 2^n x 2^n matrices (rho -> U rho U^dagger, sum_k K rho K^dagger),
// random density matrices and channels, and a batch problem with its finite-difference gradient.
#pragma once
#include <functional>

#include "qdiff/quantum/noisy_circuit.hpp"
#include "reference.hpp"

namespace qdiff::quantum::ref {

// The full matrix of a gate op of `circuit` at these angles.
inline MatX dense_op(const Circuit& circuit, const Op& op, const double* angles) {
  const int n = circuit.n_qubits();
  if (op.q1 < 0) return dense_1q(n, op.q0, circuit.op_matrix_1q(op, angles));
  if (op.kind == GateKind::Unitary2) return dense_2q(n, op.q0, op.q1, circuit.matrix2(op.matrix));
  if (op.kind == GateKind::SWAP) return dense_2q(n, op.q0, op.q1, matrix_2q(GateKind::SWAP, nullptr));
  return dense_controlled(n, op.q0, op.q1, circuit.op_matrix_1q(op, angles));
}

// sum_k K_k rho K_k^dagger for Kraus operators already expanded to the full space.
inline MatX apply_kraus(const std::vector<MatX>& kraus, const MatX& rho) {
  MatX out = MatX::Zero(rho.rows(), rho.cols());
  for (const MatX& k : kraus) out += k * rho * k.adjoint();
  return out;
}

// The full Kraus operators of a placed channel (two-qubit depolarizing: the 16 Pauli pairs).
inline std::vector<MatX> dense_kraus(int n, const Channel& ch) {
  std::vector<MatX> ks;
  if (ch.q1 < 0) {
    for (const Mat2& k : kraus_1q(ch.kind, ch.strength)) ks.push_back(dense_1q(n, ch.q0, k));
    return ks;
  }
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      const double w = std::sqrt(a == 0 && b == 0 ? 1.0 - ch.strength : ch.strength / 15.0);
      ks.push_back(w * kron_ops(n, {{ch.q0, to_mat(pauli(a))}, {ch.q1, to_mat(pauli(b))}}));
    }
  return ks;
}

// rho after the noisy circuit, event by event, from |0..0><0..0|.   angles: [n_slots]
inline MatX dense_density(const NoisyCircuit& nc, const double* angles) {
  const int n = nc.n_qubits();
  const auto dim = MatX::Index(1) << n;
  MatX rho = MatX::Zero(dim, dim);
  rho(0, 0) = 1.0;
  for (const NoisyCircuit::Event& ev : nc.events()) {
    if (ev.op >= 0) {
      const MatX u = dense_op(nc.circuit(), nc.circuit().ops()[ev.op], angles);
      rho = u * rho * u.adjoint();
    } else {
      rho = apply_kraus(dense_kraus(n, nc.channels()[ev.channel]), rho);
    }
  }
  return rho;
}

// vec(rho)[i + 2^n j] = rho(i, j), the simulators' layout.
inline VecX vectorise(const MatX& rho) {
  VecX v(rho.size());
  for (MatX::Index j = 0; j < rho.cols(); ++j)
    for (MatX::Index i = 0; i < rho.rows(); ++i) v[i + rho.rows() * j] = rho(i, j);
  return v;
}
inline MatX unvectorise(const std::vector<cplx>& v, int n) {
  const auto dim = MatX::Index(1) << n;
  MatX rho(dim, dim);
  for (MatX::Index j = 0; j < dim; ++j)
    for (MatX::Index i = 0; i < dim; ++i) rho(i, j) = v[i + dim * j];
  return rho;
}

// A random mixed state: a random mixture of `rank` Haar-random pure states.
inline MatX random_density(int n, int rank, Rng& rng) {
  const auto dim = MatX::Index(1) << n;
  MatX rho = MatX::Zero(dim, dim);
  double total = 0;
  for (int k = 0; k < rank; ++k) {
    const VecX v = haar_state(n, rng);
    const double w = 0.1 + rng.uniform();
    rho += w * v * v.adjoint();
    total += w;
  }
  return rho / total;
}

// Kraus operators of a random single-qubit channel: K_k = (<k| (x) 1) V (|0> (x) 1) for a Haar
// 4x4 V on (qubit, ancilla) with local index qubit + 2 ancilla; sum_k K_k^dagger K_k = 1.
inline std::vector<Mat2> random_channel(Rng& rng) {
  const MatX v = haar_unitary(4, rng);
  std::vector<Mat2> ks(2);
  for (int k = 0; k < 2; ++k)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) ks[k][a * 2 + b] = v(a + 2 * k, b);
  return ks;
}

// A batch problem for gradient checks: inputs [B, n_in], weights [n_w], output weights c [B, n].
struct BatchProblem {
  int batch;
  std::vector<double> inputs, weights, c;
};
inline BatchProblem random_batch_problem(const Circuit& circuit, int batch, Rng& rng) {
  BatchProblem p{batch, std::vector<double>(batch * circuit.n_inputs()), std::vector<double>(circuit.n_weights()),
                 std::vector<double>(batch * circuit.n_qubits())};
  for (double& x : p.inputs) x = rng.uniform() * 3.0;
  for (double& x : p.weights) x = rng.normal();
  for (double& x : p.c) x = rng.normal();
  return p;
}

// Central differences (step h) of L(inputs, weights) = sum c * z, with z from forward(inputs, weights, z).
struct BatchGrads {
  std::vector<double> dinputs, dweights;
};
using ForwardFn = std::function<void(const double* inputs, const double* weights, double* z)>;
inline BatchGrads central_differences(const ForwardFn& forward, const BatchProblem& p, double h = 1e-5) {
  auto loss = [&](const std::vector<double>& in, const std::vector<double>& w) {
    std::vector<double> z(p.c.size());
    forward(in.data(), w.data(), z.data());
    double l = 0;
    for (size_t i = 0; i < z.size(); ++i) l += p.c[i] * z[i];
    return l;
  };
  auto diff = [&](bool of_inputs) {
    const std::vector<double>& x = of_inputs ? p.inputs : p.weights;
    std::vector<double> g(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      std::vector<double> a = x, b = x;
      a[i] += h;
      b[i] -= h;
      g[i] = of_inputs ? (loss(a, p.weights) - loss(b, p.weights)) / (2 * h)
                       : (loss(p.inputs, a) - loss(p.inputs, b)) / (2 * h);
    }
    return g;
  };
  return {diff(true), diff(false)};
}

}  // namespace qdiff::quantum::ref
