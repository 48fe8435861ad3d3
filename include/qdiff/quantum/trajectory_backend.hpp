// The "trajectories" backend: Monte Carlo over the Kraus branches of the noisy circuit
// (trajectories.hpp) on statevectors, for circuits too large for a density matrix. Double only.
//
// Randomness: trajectory t of row r draws from rng.fork(r).fork(t). So results depend only on
// (rng, angles), never on the thread count, and angle_gradients with the same rng differentiates
// exactly the estimate expectations returned: the same trajectories, each with its branch
// operators frozen (the per-trajectory gradient is unbiased for the exact noisy gradient, see
// trajectories.hpp). Both gradient methods are the backend's own, per frozen trajectory: the
// adjoint sweep, or parameter shift on each trajectory (exact for it; the two agree to rounding).
// Parameter shift through Backend would run the shifted circuits on freshly drawn trajectories:
// unbiased as well, but not the derivative of the estimate the forward returned.
// A model without gate noise (readout error at most) needs a single trajectory and uses one.
//
// Merged draws: with Pauli channels only (no amplitude damping) a trajectory's branches follow from
// its rng alone, so a row's T branch vectors are drawn first and each distinct one is simulated
// once (weak noise leaves most trajectories error-free: with two-qubit depolarizing p after the 24
// CNOTs of the 8-qubit, 3-layer ring ansatz, at most about 1 + 64 (1 - (1 - p)^24) distinct draws
// of 64, 2.5 at p = 1e-3 and 14.4 at p = 1e-2). Values and gradients are
// then assembled per trajectory in trajectory order: the same bits as one run per trajectory.
//
// Finite shots: trajectory t of row r measures its state shots / T times (+1 for t < shots % T),
// with readout flips; z = mean over the trajectories that got shots of their mean of 1 - 2 bit,
// unbiased. (With shots < T only the first `shots` trajectories run.)
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/trajectories.hpp"

namespace qdiff::quantum {

class TrajectoryBackend final : public Backend {
 public:
  // trajectories >= 1 per row; adjoint_copy_bytes: per thread, the adjoint's stored states.
  TrajectoryBackend(Circuit circuit, NoiseModel noise, int trajectories = 64,
                    size_t adjoint_copy_bytes = size_t{1} << 28);

  std::string name() const override { return "trajectories"; }
  Precision precision() const override { return Precision::Double; }
  const TrajectorySimulator& simulator() const { return sim_; }
  const NoiseModel& noise() const { return sim_.noisy().noise(); }
  // Trajectories actually run per row (1 without gate noise).
  int trajectories() const;

  // z[r, q] = mean over the row's trajectories of f[q] (unbiased for the noisy <Z_q>).
  void expectations(const double* angles, int64_t rows, const Rng& rng, double* z) const override;
  void sampled_expectations(const double* angles, int64_t rows, int64_t shots, const Rng& rng,
                            double* z) const override;
  // Both methods per frozen trajectory (see the top of this file).
  void angle_gradients(GradMethod method, const double* angles, int64_t rows, const double* dz, const Rng& rng,
                       double* dangles) const override;
  // Per-trajectory values, for error bars: f[(r * T + t) * n + q], T = trajectories().
  void trajectory_values(const double* angles, int64_t rows, const Rng& rng, double* f) const;

  // Merging identical draws (on by default; see the top of this file). Off: one run per trajectory,
  // the reference the merged path is tested against bit for bit.
  void set_merge_draws(bool on) { merge_ = on; }
  bool merges_draws() const;

 private:
  TrajectorySimulator sim_;
  int trajectories_;
  size_t copy_bytes_;
  bool merge_ = true;
};

// The "trajectories" entry of the backend table (options.noise, options.trajectories,
// options.adjoint_copy_bytes; options.precision must be double).
std::unique_ptr<Backend> make_trajectory_backend(Circuit circuit, const BackendOptions& options);

}  // namespace qdiff::quantum
