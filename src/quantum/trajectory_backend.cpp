#include "qdiff/quantum/trajectory_backend.hpp"

#include <algorithm>
#include <vector>

#include "noisy_steps.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/quantum/sampling.hpp"
#include "row_loop.hpp"

namespace qdiff::quantum {
namespace {
// Per-thread scratch: the simulator's workspace and one trajectory.
struct Scratch {
  TrajectoryWorkspace ws;
  Trajectory traj;
};
}  // namespace

TrajectoryBackend::TrajectoryBackend(Circuit circuit, NoiseModel noise, int trajectories, size_t adjoint_copy_bytes)
    : Backend(circuit), sim_(std::move(circuit), std::move(noise)), trajectories_(trajectories),
      copy_bytes_(adjoint_copy_bytes) {
  if (trajectories_ < 1)
    throw InvalidArgument("trajectories backend: the number of trajectories must be >= 1, got " +
                          std::to_string(trajectories_));
}

int TrajectoryBackend::trajectories() const { return sim_.noisy().channels().empty() ? 1 : trajectories_; }

void TrajectoryBackend::trajectory_values(const double* angles, int64_t rows, const Rng& rng, double* f) const {
  const int n = n_qubits(), ns = circuit().n_slots(), t_count = trajectories();
  for_each_row<Scratch>(rows, threads(), [&](int64_t r, Scratch& s) {
    const Rng row_rng = rng.fork(static_cast<uint64_t>(r));
    for (int t = 0; t < t_count; ++t) {
      Rng tr = row_rng.fork(static_cast<uint64_t>(t));
      sim_.sample(angles + r * ns, tr, s.ws, s.traj);
      sim_.expectation_z(s.ws, f + (r * t_count + t) * n);
    }
  });
}

void TrajectoryBackend::expectations(const double* angles, int64_t rows, const Rng& rng, double* z) const {
  const int n = n_qubits(), t_count = trajectories();
  std::vector<double> f(static_cast<size_t>(rows * t_count * n));  // [rows, T, n]
  trajectory_values(angles, rows, rng, f.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int q = 0; q < n; ++q) {
      double s = 0;
      for (int t = 0; t < t_count; ++t) s += f[(r * t_count + t) * n + q];
      z[r * n + q] = s / t_count;
    }
}

void TrajectoryBackend::sampled_expectations(const double* angles, int64_t rows, int64_t shots, const Rng& rng,
                                             double* z) const {
  const int n = n_qubits(), ns = circuit().n_slots(), t_count = trajectories();
  const int used = static_cast<int>(std::min<int64_t>(t_count, shots));
  for_each_row<Scratch>(rows, threads(), [&](int64_t r, Scratch& s) {
    const Rng row_rng = rng.fork(static_cast<uint64_t>(r));
    std::vector<double> acc(n, 0.0), zt(n);
    for (int t = 0; t < used; ++t) {
      Rng tr = row_rng.fork(static_cast<uint64_t>(t));
      sim_.sample(angles + r * ns, tr, s.ws, s.traj);
      const int64_t count = shots / t_count + (t < shots % t_count ? 1 : 0);
      std::vector<uint64_t> bits = sample_bitstrings(s.ws.psi.data(), n, count, tr);
      noisy::apply_readout_error(bits, n, noise().readout_error, tr);
      z_from_samples(bits.data(), count, n, zt.data());
      for (int q = 0; q < n; ++q) acc[q] += zt[q];
    }
    for (int q = 0; q < n; ++q) z[r * n + q] = acc[q] / used;
  });
}

void TrajectoryBackend::angle_gradients(GradMethod method, const double* angles, int64_t rows, const double* dz,
                                        const Rng& rng, double* dangles) const {
  const int n = n_qubits(), ns = circuit().n_slots(), t_count = trajectories();
  for_each_row<Scratch>(rows, threads(), [&](int64_t r, Scratch& s) {
    std::vector<double> c(dz + r * n, dz + (r + 1) * n);
    for (double& x : c) x /= t_count;  // the gradient of the mean over trajectories
    const double* a = angles + r * ns;
    const Rng row_rng = rng.fork(static_cast<uint64_t>(r));
    for (int t = 0; t < t_count; ++t) {
      Rng tr = row_rng.fork(static_cast<uint64_t>(t));
      sim_.sample(a, tr, s.ws, s.traj);
      if (method == GradMethod::Adjoint) sim_.adjoint(a, s.traj, c.data(), dangles + r * ns, s.ws, copy_bytes_);
      else sim_.parameter_shift(a, s.traj, c.data(), dangles + r * ns, s.ws);
    }
  });
}

std::unique_ptr<Backend> make_trajectory_backend(Circuit circuit, const BackendOptions& options) {
  if (options.precision != Precision::Double)
    throw InvalidArgument("the trajectories backend simulates in double precision only (got " +
                          mode_name(options.precision) + ")");
  auto b = std::make_unique<TrajectoryBackend>(std::move(circuit), options.noise, options.trajectories,
                                               options.adjoint_copy_bytes);
  b->set_num_threads(options.threads);
  return b;
}

}  // namespace qdiff::quantum
