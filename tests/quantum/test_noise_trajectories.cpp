// Monte Carlo trajectories: the mean of many trajectories against the exact density matrix within
// its standard error (values and gradients, amplitude damping included), the per-trajectory adjoint
// against per-trajectory parameter shift, the noiseless limit against the statevector backend,
// thread-count independence, the backward differentiating exactly its forward's estimate, and
// finite shots. The batch API is the "trajectories" backend's.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/density_matrix_backend.hpp"
#include "qdiff/quantum/statevector_backend.hpp"
#include "qdiff/quantum/trajectory_backend.hpp"
#include "noise_reference.hpp"

namespace qdiff::quantum {
namespace {

using ref::max_abs_diff;

NoiseModel mixed_noise(double s) {
  NoiseModel m;
  m.one_qubit = {s, 2 * s, s};    // amplitude damping the strongest: its unravelling is the subtle one
  m.two_qubit = {2 * s, 3 * s, s};
  m.readout_error = 0.05;
  return m;
}

// Mean and standard error of the mean over rows of x [T, k].
struct MeanSe {
  std::vector<double> mean, se;
};
MeanSe mean_se(const std::vector<double>& x, int t_count, int k) {
  MeanSe r{std::vector<double>(k, 0.0), std::vector<double>(k, 0.0)};
  for (int t = 0; t < t_count; ++t)
    for (int i = 0; i < k; ++i) r.mean[i] += x[t * k + i] / t_count;
  for (int t = 0; t < t_count; ++t)
    for (int i = 0; i < k; ++i) r.se[i] += std::pow(x[t * k + i] - r.mean[i], 2);
  for (int i = 0; i < k; ++i) r.se[i] = std::sqrt(r.se[i] / (t_count - 1) / t_count);
  return r;
}

TEST(Trajectories, MeanMatchesTheDensityMatrixWithinItsStandardError) {
  Rng rng(201);
  const Circuit c = make_ansatz({3, 2, Ansatz::Default, Entangler::Ring});
  for (double s : {0.02, 0.1}) {
    const NoiseModel m = mixed_noise(s);
    const int t_count = 4000, n = c.n_qubits();
    const TrajectoryBackend traj(c, m, t_count);
    const DensityMatrixBackend dm(c, m);
    const ref::BatchProblem p = ref::random_batch_problem(c, 2, rng);
    std::vector<double> exact(p.batch * n), f(p.batch * t_count * n), z(p.batch * n);
    dm.forward(p.inputs.data(), p.batch, p.weights.data(), exact.data());
    traj.trajectory_values(traj.bind_rows(p.inputs.data(), p.batch, p.weights.data()).data(), p.batch, Rng(7),
                           f.data());
    traj.forward(p.inputs.data(), p.batch, p.weights.data(), z.data(), Rng(7));
    for (int b = 0; b < p.batch; ++b) {
      const MeanSe ms = mean_se(std::vector<double>(f.begin() + b * t_count * n, f.begin() + (b + 1) * t_count * n),
                                t_count, n);
      for (int q = 0; q < n; ++q) {
        EXPECT_NEAR(z[b * n + q], ms.mean[q], 1e-12);
        EXPECT_GT(ms.se[q], 1e-4) << "the trajectories should differ";
        EXPECT_LT(std::abs(ms.mean[q] - exact[b * n + q]), 5 * ms.se[q])
            << "noise " << s << " sample " << b << " qubit " << q << ": mean " << ms.mean[q] << " exact "
            << exact[b * n + q] << " se " << ms.se[q];
      }
    }
  }
}

// Per-trajectory gradients (inputs then weights, through Circuit::bind) of sample 0, rows [T, k].
std::vector<double> trajectory_gradients(const TrajectorySimulator& sim, const ref::BatchProblem& p, const Rng& rng,
                                         int t_count, GradMethod method) {
  const Circuit& c = sim.circuit();
  const int n_in = c.n_inputs(), n_w = c.n_weights(), k = n_in + n_w;
  std::vector<double> angles(c.n_slots()), rows(t_count * k, 0.0);
  c.bind(p.inputs.data(), p.weights.data(), angles.data());
  TrajectoryWorkspace ws;
  Trajectory traj;
  const Rng sample_rng = rng.fork(0);
  for (int t = 0; t < t_count; ++t) {
    Rng r = sample_rng.fork(t);
    sim.sample(angles.data(), r, ws, traj);
    std::vector<double> dangles(c.n_slots(), 0.0);
    if (method == GradMethod::Adjoint)
      sim.adjoint(angles.data(), traj, p.c.data(), dangles.data(), ws, size_t{1} << 26);
    else
      sim.parameter_shift(angles.data(), traj, p.c.data(), dangles.data(), ws);
    c.bind_backward(dangles.data(), rows.data() + t * k, rows.data() + t * k + n_in);
  }
  return rows;
}

TEST(Trajectories, GradientMeanIsTheExactNoisyGradientWithinItsStandardError) {
  // Unbiased although amplitude damping's jump probabilities depend on the angles: each trajectory
  // is differentiated with its branch probabilities frozen (an importance-sampling estimate that is
  // unbiased at every angle), so the per-trajectory gradients average to the exact one.
  Rng rng(202);
  const Circuit c = make_ansatz({3, 2, Ansatz::Default, Entangler::Ring});
  const NoiseModel m = mixed_noise(0.1);
  const TrajectorySimulator sim(c, m);
  const DensityMatrixBackend dm(c, m);
  const ref::BatchProblem p = ref::random_batch_problem(c, 1, rng);
  const int t_count = 4000, k = c.n_inputs() + c.n_weights();
  const std::vector<double> rows = trajectory_gradients(sim, p, Rng(9), t_count, GradMethod::Adjoint);
  const MeanSe ms = mean_se(rows, t_count, k);
  std::vector<double> di(c.n_inputs(), 0.0), dw(c.n_weights(), 0.0);
  dm.backward(p.inputs.data(), 1, p.weights.data(), p.c.data(), GradMethod::Adjoint, di.data(), dw.data());
  std::vector<double> exact(di);
  exact.insert(exact.end(), dw.begin(), dw.end());
  for (int i = 0; i < k; ++i)
    EXPECT_LT(std::abs(ms.mean[i] - exact[i]), 5 * ms.se[i] + 1e-12)
        << "component " << i << ": mean " << ms.mean[i] << " exact " << exact[i] << " se " << ms.se[i];

  // Power check of the documented alternative: differentiating the renormalised trajectory state
  // along the same branches (central differences of f / |psi~|^2) ignores how the jump
  // probabilities move with the angles and is biased, by more than 5 standard errors somewhere.
  std::vector<double> angles(c.n_slots()), naive(t_count * c.n_slots());
  c.bind(p.inputs.data(), p.weights.data(), angles.data());
  TrajectoryWorkspace ws;
  Trajectory traj;
  auto renormalised = [&](std::vector<double> a, int slot, double h) {
    a[slot] += h;
    const double l = sim.objective(a.data(), traj, p.c.data(), ws);
    double norm = 0;
    for (const cplx& x : ws.psi) norm += std::norm(x);
    return l / norm;
  };
  for (int t = 0; t < t_count; ++t) {
    Rng r = Rng(9).fork(0).fork(t);
    sim.sample(angles.data(), r, ws, traj);
    for (int s = 0; s < c.n_slots(); ++s)
      naive[t * c.n_slots() + s] = (renormalised(angles, s, 1e-5) - renormalised(angles, s, -1e-5)) / 2e-5;
  }
  const MeanSe nms = mean_se(naive, t_count, c.n_slots());
  DensityWorkspace dws;
  std::vector<double> exact_angles(c.n_slots(), 0.0);
  dm.simulator().parameter_shift(angles.data(), p.c.data(), exact_angles.data(), dws);
  double worst = 0;
  for (int s = 0; s < c.n_slots(); ++s) worst = std::max(worst, std::abs(nms.mean[s] - exact_angles[s]) / nms.se[s]);
  EXPECT_GT(worst, 5.0) << "the renormalised pathwise gradient should be visibly biased";

  // the backend's backward is the mean of the same per-trajectory gradients, by either method
  const TrajectoryBackend ev(c, m, t_count);
  for (GradMethod method : {GradMethod::Adjoint, GradMethod::ParameterShift}) {
    std::vector<double> ei(c.n_inputs(), 0.0), ew(c.n_weights(), 0.0);
    ev.backward(p.inputs.data(), 1, p.weights.data(), p.c.data(), method, ei.data(), ew.data(), Rng(9));
    std::vector<double> got(ei);
    got.insert(got.end(), ew.begin(), ew.end());
    EXPECT_LT(max_abs_diff(got, ms.mean), method == GradMethod::Adjoint ? 1e-12 : 1e-10) << mode_name(method);
  }
}

TEST(TrajectoryBackend, BackwardDifferentiatesTheEstimateItsForwardReturned) {
  // With Pauli channels only (depolarizing, dephasing) a trajectory's branches depend on its rng
  // alone, so forward(.., rng) is a smooth function of inputs and weights whose derivative the
  // backward with the same rng must give exactly: central differences within 1e-7, by both methods.
  Rng rng(208);
  const Circuit c = make_ansatz({3, 2, Ansatz::Strong, Entangler::Ring});
  NoiseModel m;
  m.one_qubit = {0.05, 0.0, 0.1};
  m.two_qubit = {0.1, 0.0, 0.05};
  m.readout_error = 0.02;
  const TrajectoryBackend traj(c, m, 8);
  const ref::BatchProblem p = ref::random_batch_problem(c, 2, rng);
  const ref::BatchGrads fd = ref::central_differences(
      [&](const double* in, const double* w, double* z) { traj.forward(in, p.batch, w, z, Rng(13)); }, p);
  for (GradMethod method : {GradMethod::Adjoint, GradMethod::ParameterShift}) {
    std::vector<double> di(p.inputs.size(), 0.0), dw(p.weights.size(), 0.0);
    traj.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), method, di.data(), dw.data(), Rng(13));
    EXPECT_LT(max_abs_diff(di, fd.dinputs), 1e-7) << mode_name(method);
    EXPECT_LT(max_abs_diff(dw, fd.dweights), 1e-7) << mode_name(method);
    // another stream's trajectories give another gradient
    std::vector<double> oi(p.inputs.size(), 0.0), ow(p.weights.size(), 0.0);
    traj.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), method, oi.data(), ow.data(), Rng(14));
    EXPECT_GT(max_abs_diff(ow, fd.dweights), 1e-4) << mode_name(method);
  }
}

// Pauli channels only: branch probabilities that are constants, so draws can be merged.
NoiseModel pauli_noise(double s) {
  NoiseModel m;
  m.one_qubit = {s, 0.0, 2 * s};
  m.two_qubit = {3 * s, 0.0, s};
  m.readout_error = 0.02;
  return m;
}

TEST(Trajectories, DrawPicksTheBranchesSampleDoes) {
  Rng rng(209);
  const Circuit c = make_ansatz({4, 2, Ansatz::Strong, Entangler::Ring});
  const TrajectorySimulator sim(c, pauli_noise(0.1));
  ASSERT_TRUE(sim.branches_are_state_free());
  const ref::BatchProblem p = ref::random_batch_problem(c, 1, rng);
  std::vector<double> angles(c.n_slots());
  c.bind(p.inputs.data(), p.weights.data(), angles.data());
  TrajectoryWorkspace ws;
  Trajectory sampled, drawn;
  int with_error = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Rng a(seed), b(seed);
    sim.sample(angles.data(), a, ws, sampled);
    sim.draw(b, drawn);
    ASSERT_EQ(sampled.branch, drawn.branch) << "seed " << seed;
    for (size_t ch = 0; ch < sampled.op.size(); ++ch) EXPECT_EQ(sampled.op[ch], drawn.op[ch]) << "channel " << ch;
    EXPECT_EQ(a.uniform(), b.uniform()) << "the rng must advance alike";
    for (uint8_t x : drawn.branch) with_error += x != 0;
  }
  EXPECT_GT(with_error, 0);
  const TrajectorySimulator damped(c, mixed_noise(0.1));
  EXPECT_FALSE(damped.branches_are_state_free());
  Rng r(1);
  EXPECT_THROW(damped.draw(r, drawn), InvalidArgument);
}

TEST(TrajectoryBackend, MergedDrawsGiveTheSameBitsAsOneRunPerTrajectory) {
  Rng rng(210);
  for (const Circuit& c :
       {make_ansatz({4, 3, Ansatz::Default, Entangler::Ring}), ref::random_circuit(4, 20, rng)}) {
    for (double s : {1e-3, 0.05}) {  // most draws alike; most draws different
      TrajectoryBackend merged(c, pauli_noise(s), 64), single(c, pauli_noise(s), 64);
      single.set_merge_draws(false);
      ASSERT_TRUE(merged.merges_draws());
      ASSERT_FALSE(single.merges_draws());
      const ref::BatchProblem p = ref::random_batch_problem(c, 3, rng);
      const std::vector<double> angles = merged.bind_rows(p.inputs.data(), p.batch, p.weights.data());
      std::vector<double> fm(p.batch * 64 * c.n_qubits()), fs(fm.size());
      merged.trajectory_values(angles.data(), p.batch, Rng(5), fm.data());
      single.trajectory_values(angles.data(), p.batch, Rng(5), fs.data());
      EXPECT_EQ(fm, fs) << "noise " << s;
      for (GradMethod method : {GradMethod::Adjoint, GradMethod::ParameterShift}) {
        std::vector<double> dm(p.inputs.size(), 0.0), wm(p.weights.size(), 0.0), ds(dm), ws(wm);
        merged.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), method, dm.data(), wm.data(), Rng(6));
        single.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), method, ds.data(), ws.data(), Rng(6));
        EXPECT_EQ(dm, ds) << "noise " << s << " " << mode_name(method);
        EXPECT_EQ(wm, ws) << "noise " << s << " " << mode_name(method);
      }
    }
  }
  const TrajectoryBackend damped(make_ansatz({3, 2, Ansatz::Default, Entangler::Ring}), mixed_noise(0.05), 8);
  EXPECT_FALSE(damped.merges_draws());  // damping's branches depend on the state
}

TEST(Trajectories, PerTrajectoryAdjointMatchesParameterShiftThroughJumps) {
  Rng rng(203);
  NoiseModel strong = mixed_noise(0.25);  // damping 0.5 / 0.75: frequent non-invertible jumps
  strong.one_qubit.amplitude_damping = 1.0;  // and full-strength decay (every no-jump singular too)
  struct Case {
    Circuit circuit;
    NoiseModel noise;
  };
  std::vector<Case> cases = {{make_ansatz({3, 2, Ansatz::Default, Entangler::Ring}), strong},
                             {make_ansatz({4, 2, Ansatz::Strong, Entangler::Ring}), mixed_noise(0.1)}};
  for (int trial = 0; trial < 4; ++trial) cases.push_back({ref::random_circuit(1 + trial, 16, rng), mixed_noise(0.2)});
  for (const Case& cs : cases) {
    const TrajectorySimulator sim(cs.circuit, cs.noise);
    const ref::BatchProblem p = ref::random_batch_problem(cs.circuit, 1, rng);
    const std::vector<double> ad = trajectory_gradients(sim, p, Rng(11), 40, GradMethod::Adjoint);
    const std::vector<double> ps = trajectory_gradients(sim, p, Rng(11), 40, GradMethod::ParameterShift);
    EXPECT_LT(max_abs_diff(ad, ps), 1e-10) << sim.noisy().describe();
  }
}

TEST(Trajectories, RestoredStatesWithoutCopiesGiveTheSameGradient) {
  Rng rng(204);
  const Circuit c = make_ansatz({3, 2, Ansatz::Default, Entangler::Ring});
  const TrajectoryBackend with(c, mixed_noise(0.25), 30);
  const TrajectoryBackend without(c, mixed_noise(0.25), 30, 0);
  const ref::BatchProblem p = ref::random_batch_problem(c, 2, rng);
  std::vector<double> d1(p.inputs.size(), 0.0), w1(p.weights.size(), 0.0), d2(d1), w2(w1);
  with.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), GradMethod::Adjoint, d1.data(), w1.data(),
                Rng(3));
  without.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), GradMethod::Adjoint, d2.data(), w2.data(),
                   Rng(3));
  EXPECT_LT(max_abs_diff(d1, d2), 1e-12);
  EXPECT_LT(max_abs_diff(w1, w2), 1e-12);
}

TEST(Trajectories, NoiselessTrajectoriesAreTheStatevector) {
  Rng rng(205);
  const Circuit c = make_ansatz({5, 3, Ansatz::Default, Entangler::Ring});
  const StatevectorBackend<cplx> sv(c);
  NoiseModel readout;
  readout.readout_error = 0.1;
  for (const NoiseModel& m : {NoiseModel{}, readout}) {
    const TrajectoryBackend traj(c, m, 50);
    EXPECT_EQ(traj.trajectories(), 1);
    const ref::BatchProblem p = ref::random_batch_problem(c, 3, rng);
    std::vector<double> zs(p.c.size()), zt(p.c.size());
    sv.forward(p.inputs.data(), p.batch, p.weights.data(), zs.data());
    traj.forward(p.inputs.data(), p.batch, p.weights.data(), zt.data(), Rng(1));
    for (double& z : zs) z *= 1 - 2 * m.readout_error;
    EXPECT_LT(max_abs_diff(zs, zt), 1e-12);
    std::vector<double> ds(p.inputs.size(), 0.0), ws(p.weights.size(), 0.0), dt(ds), wt(ws), c2(p.c);
    for (double& x : c2) x *= 1 - 2 * m.readout_error;
    sv.backward(p.inputs.data(), p.batch, p.weights.data(), c2.data(), GradMethod::Adjoint, ds.data(), ws.data());
    traj.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), GradMethod::Adjoint, dt.data(), wt.data(),
                  Rng(1));
    EXPECT_LT(max_abs_diff(ds, dt), 1e-12);
    EXPECT_LT(max_abs_diff(ws, wt), 1e-12);
  }
}

TEST(TrajectoryBackend, ResultsDependOnTheRngNotOnTheThreadCount) {
  Rng rng(206);
  const Circuit c = make_ansatz({4, 2, Ansatz::Default, Entangler::Ring});
  TrajectoryBackend ev(c, mixed_noise(0.05), 20);
  const ref::BatchProblem p = ref::random_batch_problem(c, 5, rng);
  auto run = [&](int threads, uint64_t seed) {
    ev.set_num_threads(threads);
    std::vector<double> z(p.c.size()), di(p.inputs.size(), 0.0), dw(p.weights.size(), 0.0);
    ev.forward(p.inputs.data(), p.batch, p.weights.data(), z.data(), Rng(seed));
    ev.backward(p.inputs.data(), p.batch, p.weights.data(), p.c.data(), GradMethod::Adjoint, di.data(), dw.data(),
                Rng(seed));
    z.insert(z.end(), di.begin(), di.end());
    z.insert(z.end(), dw.begin(), dw.end());
    return z;
  };
  const std::vector<double> a = run(1, 4), b = run(2, 4), other = run(2, 5);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  EXPECT_THROW(TrajectoryBackend(c, mixed_noise(0.05), 0), InvalidArgument);
  BackendOptions o;
  o.precision = Precision::Float;
  EXPECT_THROW(make_backend("trajectories", c, o), InvalidArgument);
  EXPECT_EQ(ev.precision(), Precision::Double);
}

TEST(TrajectoryBackend, ShotsEstimateTheNoisyExpectation) {
  Rng rng(207);
  const Circuit c = make_ansatz({3, 2, Ansatz::Default, Entangler::Ring});
  NoiseModel m = mixed_noise(0.05);
  m.one_qubit.amplitude_damping = 1.0;  // full-strength decay after every single-qubit gate
  m.readout_error = 0.15;
  const TrajectoryBackend traj(c, m, 400);
  const DensityMatrixBackend dm(c, m);
  const ref::BatchProblem p = ref::random_batch_problem(c, 2, rng);
  std::vector<double> exact(p.c.size()), z(p.c.size()), again(p.c.size());
  dm.forward(p.inputs.data(), p.batch, p.weights.data(), exact.data());
  traj.forward_shots(p.inputs.data(), p.batch, p.weights.data(), 40000, Rng(2), z.data());
  traj.forward_shots(p.inputs.data(), p.batch, p.weights.data(), 40000, Rng(2), again.data());
  EXPECT_EQ(z, again);
  EXPECT_LT(max_abs_diff(z, exact), 0.06);  // trajectory and shot noise; readout alone moves z by 30%
  // fewer shots than trajectories: one shot each from the first `shots` trajectories
  traj.forward_shots(p.inputs.data(), p.batch, p.weights.data(), 7, Rng(2), z.data());
  for (double v : z) EXPECT_TRUE(std::isfinite(v));
  EXPECT_THROW(traj.forward_shots(p.inputs.data(), p.batch, p.weights.data(), 0, Rng(2), z.data()), InvalidArgument);
}

}  // namespace
}  // namespace qdiff::quantum
