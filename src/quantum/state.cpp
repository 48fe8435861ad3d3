#include "qdiff/quantum/state.hpp"

#include <bit>
#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/kernels.hpp"

namespace qdiff::quantum {

StateVector::StateVector(int n_qubits) : n_(n_qubits) {
  if (n_qubits < 1 || n_qubits > kMaxQubits)
    throw InvalidArgument("StateVector: n_qubits must be in [1, " + std::to_string(kMaxQubits) + "], got " +
                          std::to_string(n_qubits));
  amps_.assign(uint64_t{1} << n_qubits, 0.0);
  amps_[0] = 1.0;
}

void StateVector::set_zero_state() { set_basis_state(0); }

void StateVector::set_basis_state(uint64_t b) {
  if (b >= dim()) throw InvalidArgument("set_basis_state: index out of range");
  std::fill(amps_.begin(), amps_.end(), cplx{0.0});
  amps_[b] = 1.0;
}

double StateVector::norm() const { return std::sqrt(norm_squared(amps_.data(), n_)); }

void StateVector::apply(GateKind kind, const std::vector<int>& qubits, const std::vector<double>& angles) {
  const GateInfo& info = gate_info(kind);
  if (static_cast<int>(qubits.size()) != info.n_qubits || static_cast<int>(angles.size()) != info.n_angles)
    throw InvalidArgument(std::string("apply '") + info.name + "': expected " + std::to_string(info.n_qubits) +
                          " qubits and " + std::to_string(info.n_angles) + " angles");
  for (int q : qubits)
    if (q < 0 || q >= n_) throw InvalidArgument(std::string("apply '") + info.name + "': qubit out of range");
  const double* a = angles.data();
  switch (kind) {
    case GateKind::Unitary1:
    case GateKind::Unitary2:
      throw InvalidArgument("apply: use apply_matrix for arbitrary unitaries");
    case GateKind::CNOT: apply_cnot(data(), n_, qubits[0], qubits[1]); return;
    case GateKind::CZ: apply_cz(data(), n_, qubits[0], qubits[1]); return;
    case GateKind::SWAP: apply_swap(data(), n_, qubits[0], qubits[1]); return;
    case GateKind::CRX:
    case GateKind::CRY:
    case GateKind::CRZ: apply_controlled_1q(data(), n_, qubits[0], qubits[1], target_matrix(kind, a)); return;
    default: apply_1q(data(), n_, qubits[0], matrix_1q(kind, a)); return;
  }
}

void StateVector::apply_matrix(int q, const Mat2& m) {
  if (q < 0 || q >= n_) throw InvalidArgument("apply_matrix: qubit out of range");
  check_unitary(m.data(), 2);
  apply_1q(data(), n_, q, m);
}

void StateVector::apply_matrix(int q0, int q1, const Mat4& m) {
  check_unitary(m.data(), 4);
  apply_2q(data(), n_, q0, q1, m);
}

std::vector<double> StateVector::expectation_z() const {
  std::vector<double> z(n_);
  expectation_z_all(data(), n_, z.data());
  return z;
}

double StateVector::expectation_pauli(const std::string& pauli) const {
  return quantum::expectation_pauli(data(), n_, pauli);
}

std::vector<double> StateVector::probabilities() const {
  std::vector<double> p(dim());
  for (uint64_t b = 0; b < dim(); ++b) p[b] = std::norm(amps_[b]);
  return p;
}

double expectation_pauli(const cplx* amps, int n, const std::string& pauli) {
  if (static_cast<int>(pauli.size()) != n)
    throw InvalidArgument("expectation_pauli: string '" + pauli + "' must have one letter per qubit (" +
                          std::to_string(n) + ")");
  // P|b> = i^{nY} (-1)^{popcount(b & (Z|Y))} |b ^ (X|Y)>
  uint64_t flip = 0, sign = 0;
  int n_y = 0;
  for (int q = 0; q < n; ++q) {
    const uint64_t bit = uint64_t{1} << q;
    switch (pauli[q]) {
      case 'I': case 'i': break;
      case 'X': case 'x': flip |= bit; break;
      case 'Y': case 'y': flip |= bit; sign |= bit; ++n_y; break;
      case 'Z': case 'z': sign |= bit; break;
      default: throw InvalidArgument("expectation_pauli: bad letter in '" + pauli + "' (use I, X, Y, Z)");
    }
  }
  // <psi|P|psi> = sum_b conj(psi[b ^ flip]) i^{nY} (-1)^{popcount(b & sign)} psi[b]
  const uint64_t dim = uint64_t{1} << n;
  cplx s = 0.0;
  for (uint64_t b = 0; b < dim; ++b) {
    const cplx t = std::conj(amps[b ^ flip]) * amps[b];
    s += (std::popcount(b & sign) & 1) ? -t : t;
  }
  static const cplx kIPow[4] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
  return (kIPow[n_y % 4] * s).real();
}

}  // namespace qdiff::quantum
