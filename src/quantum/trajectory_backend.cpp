#include "qdiff/quantum/trajectory_backend.hpp"

#include <algorithm>
#include <vector>

#include "noisy_steps.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/quantum/sampling.hpp"
#include "row_loop.hpp"

namespace qdiff::quantum {
namespace {
// A row's T trajectories with identical draws merged: unique[i] is run once, and trajectory t is
// unique[of[t]]. Possible when the branches follow from the rng alone (Pauli channels); weak noise
// leaves most trajectories without a single error, so most draws are the same.
struct Draws {
  std::vector<Trajectory> unique;  // [n_unique] valid (kept allocated across rows)
  std::vector<int> of;             // [T]
  size_t n_unique = 0;
  Trajectory candidate;
};

// Draws trajectory t of the row from row_rng.fork(t), as the unmerged loop does.
void draw_row(const TrajectorySimulator& sim, const Rng& row_rng, int t_count, Draws& d) {
  d.of.assign(static_cast<size_t>(t_count), -1);
  d.n_unique = 0;
  for (int t = 0; t < t_count; ++t) {
    Rng tr = row_rng.fork(static_cast<uint64_t>(t));
    sim.draw(tr, d.candidate);
    size_t i = 0;
    while (i < d.n_unique && d.unique[i].branch != d.candidate.branch) ++i;
    if (i == d.n_unique) {
      if (d.unique.size() == d.n_unique) d.unique.emplace_back();
      std::swap(d.unique[d.n_unique++], d.candidate);
    }
    d.of[static_cast<size_t>(t)] = static_cast<int>(i);
  }
}

// Per-thread scratch: the simulator's workspace, one trajectory, a row's merged draws and the
// per-draw results.
struct Scratch {
  TrajectoryWorkspace ws;
  Trajectory traj;
  Draws draws;
  std::vector<double> per_draw;  // [n_unique, n] values or [n_unique, n_slots] gradients
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

bool TrajectoryBackend::merges_draws() const { return merge_ && sim_.branches_are_state_free(); }

void TrajectoryBackend::trajectory_values(const double* angles, int64_t rows, const Rng& rng, double* f) const {
  const int n = n_qubits(), ns = circuit().n_slots(), t_count = trajectories();
  const bool merged = merges_draws();
  for_each_row<Scratch>(rows, threads(), [&](int64_t r, Scratch& s) {
    const Rng row_rng = rng.fork(static_cast<uint64_t>(r));
    const double* a = angles + r * ns;
    double* fr = f + r * t_count * n;  // [T, n]
    if (!merged) {
      for (int t = 0; t < t_count; ++t) {
        Rng tr = row_rng.fork(static_cast<uint64_t>(t));
        sim_.sample(a, tr, s.ws, s.traj);
        sim_.expectation_z(s.ws, fr + t * n);
      }
      return;
    }
    draw_row(sim_, row_rng, t_count, s.draws);
    s.per_draw.resize(s.draws.n_unique * n);
    for (size_t i = 0; i < s.draws.n_unique; ++i) {
      sim_.replay(a, s.draws.unique[i], s.ws);  // the same state sample() reaches along these branches
      sim_.expectation_z(s.ws, s.per_draw.data() + i * n);
    }
    for (int t = 0; t < t_count; ++t)
      std::copy_n(s.per_draw.data() + s.draws.of[static_cast<size_t>(t)] * n, n, fr + t * n);
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
  const bool merged = merges_draws();
  for_each_row<Scratch>(rows, threads(), [&](int64_t r, Scratch& s) {
    std::vector<double> c(dz + r * n, dz + (r + 1) * n);
    for (double& x : c) x /= t_count;  // the gradient of the mean over trajectories
    const double* a = angles + r * ns;
    double* da = dangles + r * ns;
    const Rng row_rng = rng.fork(static_cast<uint64_t>(r));
    auto differentiate = [&](const Trajectory& traj, double* d) {
      if (method == GradMethod::Adjoint) sim_.adjoint(a, traj, c.data(), d, s.ws, copy_bytes_);
      else sim_.parameter_shift(a, traj, c.data(), d, s.ws);
    };
    if (!merged) {
      for (int t = 0; t < t_count; ++t) {
        Rng tr = row_rng.fork(static_cast<uint64_t>(t));
        sim_.sample(a, tr, s.ws, s.traj);
        differentiate(s.traj, da);
      }
      return;
    }
    // Each method adds one term per slot and trajectory; started from -0.0 (x + -0.0 == x for every
    // x) a draw's terms are those terms exactly, and adding them in trajectory order repeats the
    // unmerged loop's additions bit for bit.
    draw_row(sim_, row_rng, t_count, s.draws);
    s.per_draw.assign(s.draws.n_unique * ns, -0.0);
    for (size_t i = 0; i < s.draws.n_unique; ++i) differentiate(s.draws.unique[i], s.per_draw.data() + i * ns);
    for (int t = 0; t < t_count; ++t) {
      const double* g = s.per_draw.data() + s.draws.of[static_cast<size_t>(t)] * ns;
      for (int k = 0; k < ns; ++k) da[k] += g[k];
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
