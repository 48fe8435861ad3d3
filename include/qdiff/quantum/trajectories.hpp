// Monte Carlo simulation of a noisy circuit (noisy_circuit.hpp) with pure-state trajectories, for
// circuits too large for a density matrix: each trajectory draws one Kraus branch per channel
// (quantum jumps) and runs the circuit with the branch operators inserted, on a statevector of
// 2^n amplitudes.
//
// Unravelling: at each channel the trajectory takes branch b with probability q_b = |K_b psi|^2 and
// continues with A_b psi, A_b = K_b / sqrt(q_b):
//   depolarizing       I, X, Y, Z with 1 - p, p/3, p/3, p/3 (two qubits: the 16 Pauli pairs, 1 - p
//                      and p/15) — constant probabilities, unitary A_b;
//   phase damping      I, Z with 1 - p_z, p_z, p_z = (1 - sqrt(1 - lambda)) / 2 (the same channel);
//   amplitude damping  jump K1 with q = gamma <1|rho_q|1> (rho_q: the qubit's reduced state at that
//                      point), else K0 — probabilities that depend on the state, hence on the angles.
// Each trajectory draws one uniform per channel (channel order) before it runs, so a draw is a
// fixed function of the rng, and the mean of f = (1 - 2 r) <psi|Z_q|psi> is unbiased for <Z_q>.
//
// Gradients. A recorded trajectory keeps its branch operators A_b (probabilities frozen at the
// angles where it was drawn) and is differentiated as f(a) = <psi~(a)|O|psi~(a)> with psi~(a) the
// circuit at angles a with those fixed A_b, an unnormalised state. For any fixed proposal
// probabilities q_b > 0, sum_b q_b A_b rho A_b^dagger = sum_b K_b rho K_b^dagger for every rho, so
// E[f(a)] = tr(O rho(a)) at every a near the drawn angles (importance sampling; a branch of
// probability zero there has K_b psi = 0 and a vanishing derivative), hence E[df/da] = dL/da: the
// per-trajectory gradient is unbiased even though damping's jump probabilities depend on the angles,
// and at the drawn angles every weight |psi~|^2 is 1 (no extra variance). (Differentiating the
// renormalised state along the same branches instead would be biased: it ignores how the branch
// probabilities move with the angles.) The per-trajectory gradient is computed exactly by the
// adjoint sweep (a non-invertible jump is passed by restoring a state kept by the forward pass, as
// in density_matrix.hpp) or by parameter shift (with the A_b fixed, f is a trigonometric polynomial
// of the same degree in each angle, so the shift rule is exact per trajectory; the two agree to
// rounding).
//
// Readout error: <Z_q> -> (1 - 2 r) <Z_q> as in noise.hpp; finite shots flip sampled bits.
// The batched form, with its rng conventions, is the "trajectories" backend (trajectory_backend.hpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/gradients.hpp"
#include "qdiff/quantum/noisy_circuit.hpp"

namespace qdiff::quantum {

// The branch of every channel of one trajectory: branch[c], and for single-qubit channels the
// operator A_b it applies, op[c].   [n_channels] each
struct Trajectory {
  std::vector<uint8_t> branch;
  std::vector<Mat2> op;
};

struct TrajectoryWorkspace {
  std::vector<cplx> psi, lam;              // [2^n] each: the trajectory state, the adjoint state
  std::vector<std::vector<cplx>> copies;  // the adjoint's restored states
};

// One noisy circuit, compiled.
class TrajectorySimulator {
 public:
  TrajectorySimulator(Circuit circuit, NoiseModel noise);

  const NoisyCircuit& noisy() const { return noisy_; }
  const Circuit& circuit() const { return noisy_.circuit(); }
  int n_qubits() const { return noisy_.n_qubits(); }

  // Draws a trajectory at these angles: one uniform per channel from rng, then the circuit with the
  // branches those uniforms select; ws.psi <- its (normalised) state, traj <- its branches.
  void sample(const double* angles, Rng& rng, TrajectoryWorkspace& ws, Trajectory& traj) const;
  // True when every channel's branch probabilities are constants (Pauli channels: depolarizing and
  // dephasing, no amplitude damping), so that a trajectory's branches follow from its rng alone.
  bool branches_are_state_free() const { return state_free_; }
  // The branches sample() would draw from the same rng, without running the circuit; rng advances
  // as in sample(). Requires branches_are_state_free().
  void draw(Rng& rng, Trajectory& traj) const;
  // ws.psi <- the recorded trajectory at (possibly other) angles: the unnormalised psi~(angles).
  void replay(const double* angles, const Trajectory& traj, TrajectoryWorkspace& ws) const;
  // f[q] = (1 - 2 r) <psi|Z_q|psi> from ws.psi.   f: [n]
  void expectation_z(const TrajectoryWorkspace& ws, double* f) const;
  // sum_q c[q] f[q] of the replayed trajectory.   c: [n]
  double objective(const double* angles, const Trajectory& traj, const double* c, TrajectoryWorkspace& ws) const;
  // dangles[s] += d(sum_q c[q] f[q])/dangle_s of the recorded trajectory (branch operators fixed).
  void adjoint(const double* angles, const Trajectory& traj, const double* c, double* dangles,
               TrajectoryWorkspace& ws, size_t copy_bytes) const;
  void parameter_shift(const double* angles, const Trajectory& traj, const double* c, double* dangles,
                       TrajectoryWorkspace& ws) const;

 private:
  using Step = NoisyCircuit::Step;
  std::vector<Mat2> chain_items(const Step& st, const double* angles, const Trajectory& traj) const;
  bool has_damping(const Step& st) const;
  // Draws the branches of a step's channels from u (rho_q: the chain qubit's reduced state before it).
  void sample_step(const Step& st, const double* angles, const double* u, Mat2 rho_q, Trajectory& traj) const;
  void apply_step(int k, const double* angles, const Trajectory& traj, std::vector<cplx>& psi) const;
  void apply_paulis(const Step& st, const Trajectory& traj, cplx* v) const;
  void write_prefix(int k, const double* angles, const Trajectory& traj, std::vector<cplx>& psi) const;
  void backward_step(int k, bool restored, const double* angles, const Trajectory& traj, TrajectoryWorkspace& ws,
                     double* dangles) const;

  NoisyCircuit noisy_;
  std::vector<std::vector<double>> pauli_cumulative_;  // [n_channels] Pauli channels' branch CDFs
  bool state_free_ = true;
};

}  // namespace qdiff::quantum
