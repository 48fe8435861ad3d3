// Exact simulation of a noisy circuit on its density matrix, and exact gradients of the noisy
// expectations. rho is stored vectorised as a 2n-qubit state (noise_kernels.hpp): gates reuse the
// statevector kernels (U on the row bits, conj(U) on the column bits), a chain of single-qubit
// gates and channels is one 4x4 superoperator pass, and a CNOT, CZ or SWAP with its two-qubit
// depolarizing one pass over the 16 entries of its qubit pair.
// Memory: 16 * 4^n bytes per copy of rho (n = 12: 256 MiB), a few copies per thread; practical up
// to about 12 qubits (kMaxDensityQubits is the hard limit).
//
// Outputs: z_q = (1 - 2 r) Re tr(Z_q rho) with r the readout error (noise.hpp).
//
// Gradients of L = sum_q c[q] z_q with respect to the angle slots:
// - parameter shift (gradients.hpp's rules) is exact for the noisy expectation: every
//   parameterised gate is exp(-i a G) with G = P/2 (P a Pauli; controlled rotations: |1><1| (x) P/2),
//   and no channel depends on an angle, so L(a) = tr(O E2(U(a) E1(rho) U(a)^dagger)) is the same
//   trigonometric polynomial in a as without noise (frequency 1 for Pauli rotations, {1/2, 1} for
//   controlled ones; E1, E2 = everything before/after the gate), for which the shift rules are
//   identities. 2 (or 4) density-matrix runs per angle.
// - adjoint: one forward pass and one backward sweep that carries o = vec of the Heisenberg
//   observable (a channel's adjoint is its Kraus-adjoint map sum_k K_k^dagger O K_k, the conjugate
//   transpose of its superoperator) and each step's input state, so that the step's gradient is
//   Re <o_after | dS/da | rho_before>. Input states are reconstructed by inverting the steps:
//   exact for gates; channels below full strength are invertible too but amplify rounding by the
//   norm of their inverse. Where the product of those amplifications since the last exact state
//   would exceed kMaxInverseGain (noisy_circuit.hpp; always at a singular channel such as full-strength damping), the
//   sweep restores the exact input instead, from a copy the forward pass kept, or, beyond
//   copy_bytes of copies, recomputed forward from the nearest kept one. Weak noise (a device)
//   needs no copies at all. Agrees with parameter shift to rounding (tests: 1e-10).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/gradients.hpp"
#include "qdiff/quantum/noisy_circuit.hpp"

namespace qdiff::quantum {

constexpr int kMaxDensityQubits = 14;

// Scratch buffers for one circuit at a time (one per thread).
struct DensityWorkspace {
  std::vector<cplx> rho, o;                 // [4^n] each: the state, the Heisenberg observable
  std::vector<std::vector<cplx>> copies;   // the adjoint's restored states
};

// One noisy circuit, compiled (see noisy_circuit.hpp for the schedule).
class DensityMatrixSimulator {
 public:
  // Throws InvalidArgument when n_qubits > kMaxDensityQubits or the model is invalid.
  DensityMatrixSimulator(Circuit circuit, NoiseModel noise);

  const NoisyCircuit& noisy() const { return noisy_; }
  const Circuit& circuit() const { return noisy_.circuit(); }
  int n_qubits() const { return noisy_.n_qubits(); }

  // ws.rho <- vec(rho) at the end of the circuit (before readout).   angles: [n_slots]
  void forward(const double* angles, DensityWorkspace& ws) const;
  // z[q] = (1 - 2 r) Re tr(Z_q rho) from ws.rho.   z: [n]
  void expectation_z(const DensityWorkspace& ws, double* z) const;
  // L = sum_q c[q] z_q at these angles.   c: [n]
  double objective(const double* angles, const double* c, DensityWorkspace& ws) const;
  // dangles[s] += dL/dangle_s by the adjoint sweep; copies of rho kept within copy_bytes.
  void adjoint(const double* angles, const double* c, double* dangles, DensityWorkspace& ws,
               size_t copy_bytes) const;
  // dangles[s] += dL/dangle_s by parameter shift.
  void parameter_shift(const double* angles, const double* c, double* dangles, DensityWorkspace& ws) const;

 private:
  using Step = NoisyCircuit::Step;
  // The 4x4 superoperator of each event of a chain step, at these angles (application order).
  std::vector<Mat4> chain_items(const Step& st, const double* angles) const;
  void apply_step(int k, const double* angles, std::vector<cplx>& rho) const;
  // lambda of depolarize_2q for a two-qubit gate step's channel (0 without one).
  double step_lambda(const Step& st) const;
  void write_prefix(int k, const double* angles, std::vector<cplx>& rho) const;
  // The inverse gain of every step (1 for gates), for the checkpoint plan.
  std::vector<double> inverse_gains(const double* angles) const;
  void backward_step(int k, bool restored, const double* angles, DensityWorkspace& ws, double* dangles) const;

  NoisyCircuit noisy_;
  std::vector<Mat4> channel_superops_;  // [n_channels] (two-qubit channels: unused)
};

struct DensityMatrixOptions {
  GradMethod gradient = GradMethod::Adjoint;
  int threads = 0;                          // OpenMP threads for the batch; 0 = OpenMP's default
  size_t copy_bytes = size_t{1} << 30;      // per thread: memory for the adjoint's stored states
};

// Batched evaluation with the layouts and conventions of BatchEvaluator (evaluator.hpp): inputs
// [B, n_inputs], weights [n_weights], z and dz [B, n_qubits], dinputs [B, n_inputs]; samples in
// parallel, per-sample results independent of the thread count.
class DensityMatrixEvaluator {
 public:
  DensityMatrixEvaluator(Circuit circuit, NoiseModel noise, DensityMatrixOptions options = {});

  const DensityMatrixSimulator& simulator() const { return sim_; }
  const Circuit& circuit() const { return sim_.circuit(); }
  const NoiseModel& noise() const { return sim_.noisy().noise(); }
  const DensityMatrixOptions& options() const { return options_; }
  int n_qubits() const { return circuit().n_qubits(); }
  int n_inputs() const { return circuit().n_inputs(); }
  int n_weights() const { return circuit().n_weights(); }
  Precision precision() const { return Precision::Double; }
  void set_num_threads(int threads) { options_.threads = threads; }

  // z[b, q] = (1 - 2 r) Re tr(Z_q rho_b), exact.
  void forward(const double* inputs, int64_t batch, const double* weights, double* z) const;
  // `shots` measurements of every qubit per sample, drawn from diag(rho_b) and then flipped by the
  // readout error, sample b from rng.fork(b); z = mean of (1 - 2 bit). shots must be > 0.
  void forward_shots(const double* inputs, int64_t batch, const double* weights, int64_t shots, const Rng& rng,
                     double* z) const;
  // Gradient of L = sum_b sum_q dz[b, q] z[b, q] (exact expectations) by options().gradient.
  // ACCUMULATES into dinputs [B, n_inputs] and dweights [n_weights]; either may be null.
  void backward(const double* inputs, int64_t batch, const double* weights, const double* dz, double* dinputs,
                double* dweights) const;

 private:
  DensityMatrixSimulator sim_;
  DensityMatrixOptions options_;
};

}  // namespace qdiff::quantum
