// A pure state of n qubits: [2^n] complex<double> amplitudes, qubit q = bit q of the index.
// Convenience methods apply one gate at a time (the reference path); the compiled fast path
// for whole circuits is in program.hpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum {

constexpr int kMaxQubits = 30;

class StateVector {
 public:
  // |0...0> on n qubits; throws InvalidArgument unless 1 <= n <= kMaxQubits.
  explicit StateVector(int n_qubits);

  int n_qubits() const { return n_; }
  uint64_t dim() const { return amps_.size(); }
  cplx* data() { return amps_.data(); }
  const cplx* data() const { return amps_.data(); }
  std::vector<cplx>& amplitudes() { return amps_; }
  const std::vector<cplx>& amplitudes() const { return amps_; }

  void set_zero_state();            // |0...0>
  void set_basis_state(uint64_t b);  // |b>
  double norm() const;              // sqrt(sum |a|^2)

  // Applies a named gate (fixed or rotation) on the given qubits with the given angles.
  // Unitary1/Unitary2 use apply_matrix. Throws on wrong qubit/angle counts.
  void apply(GateKind kind, const std::vector<int>& qubits, const std::vector<double>& angles = {});
  void apply_matrix(int q, const Mat2& m);           // arbitrary 2x2 (checked unitary)
  void apply_matrix(int q0, int q1, const Mat4& m);  // arbitrary 4x4, local index b_q0 + 2 b_q1

  // <Z_q> for every qubit: [n]
  std::vector<double> expectation_z() const;
  // <P> for a Pauli string, character q acting on qubit q ("XZIY": X on qubit 0, ..., Y on 3).
  double expectation_pauli(const std::string& pauli) const;
  // |a_b|^2 for every basis state: [2^n]
  std::vector<double> probabilities() const;

 private:
  int n_;
  std::vector<cplx> amps_;
};

// <psi| P |psi> on raw amplitudes (see StateVector::expectation_pauli).   amps: [2^n]
double expectation_pauli(const cplx* amps, int n, const std::string& pauli);

}  // namespace qdiff::quantum
