// Noisy-simulator benchmarks (issue 16): batch-64 forward and forward + gradient (inputs and
// weights, adjoint) of the training circuit — make_ansatz n qubits, 3 layers, default ansatz, ring
// entangler — on the density matrix and with Monte Carlo trajectories.
// Run: ./bench_noise --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// Arguments {n, threads, sim, noise}: sim 0 = density matrix, 1 = trajectories (kTrajectories per
// sample); noise 0 = two-qubit depolarizing p = 0.01 after every CNOT (the Qulacs comparison),
// 1 = a device preset (T1 = T2 = 100 us, gate times 35 / 300 ns, gate errors 1e-3 / 1e-2: every
// channel after every gate). An n = 12 density-matrix iteration takes minutes (64 matrices of
// 4^12 entries, ~100 passes each); Google Benchmark then runs it once per repetition.
#include <benchmark/benchmark.h>

#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/density_matrix.hpp"
#include "qdiff/quantum/trajectories.hpp"

namespace {

using namespace qdiff;
using namespace qdiff::quantum;
constexpr int kBatch = 64;
constexpr int kTrajectories = 100;

NoiseModel bench_noise(int which) {
  if (which == 0) {
    NoiseModel m;
    m.two_qubit.depolarizing = 0.01;
    return m;
  }
  DeviceSpec d;
  d.t1 = 100;
  d.t2 = 100;
  d.gate_time_1q = 0.035;
  d.gate_time_2q = 0.3;
  d.error_1q = 1e-3;
  d.error_2q = 1e-2;
  return NoiseModel::device(d);
}

struct Setup {
  Circuit circuit;
  std::vector<double> inputs, weights, dz, z, dinputs, dweights;
  explicit Setup(int n)
      : circuit(make_ansatz({n, 3, Ansatz::Default, Entangler::Ring})), inputs(kBatch * n), weights(circuit.n_weights()),
        dz(kBatch * n), z(kBatch * n), dinputs(kBatch * n), dweights(circuit.n_weights()) {
    qdiff::Rng rng(1);
    for (double& x : inputs) x = rng.uniform() * 3.14;
    for (double& x : weights) x = rng.normal();
    for (double& x : dz) x = rng.normal();
  }
};

// One training-step call pattern: forward, then (if gradient) backward.
void run(benchmark::State& state, bool gradient) {
  const int n = state.range(0), threads = state.range(1);
  const bool trajectories = state.range(2) == 1;
  Setup s(n);
  const NoiseModel noise = bench_noise(state.range(3));
  const DensityMatrixEvaluator dm(s.circuit, noise, {GradMethod::Adjoint, threads});
  const TrajectoryEvaluator traj(s.circuit, noise, {kTrajectories, GradMethod::Adjoint, threads});
  uint64_t step = 0;
  for (auto _ : state) {
    const qdiff::Rng rng = qdiff::Rng(7).fork(step++);
    if (trajectories) {
      traj.forward(s.inputs.data(), kBatch, s.weights.data(), rng, s.z.data());
      if (gradient)
        traj.backward(s.inputs.data(), kBatch, s.weights.data(), s.dz.data(), rng, s.dinputs.data(), s.dweights.data());
    } else {
      dm.forward(s.inputs.data(), kBatch, s.weights.data(), s.z.data());
      if (gradient) dm.backward(s.inputs.data(), kBatch, s.weights.data(), s.dz.data(), s.dinputs.data(), s.dweights.data());
    }
  }
  state.counters["samples/s"] = benchmark::Counter(kBatch, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_NoisyForward(benchmark::State& state) { run(state, false); }
void BM_NoisyForwardPlusGradient(benchmark::State& state) { run(state, true); }

void Args(benchmark::internal::Benchmark* b) {
  for (int noise : {0, 1})
    for (int sim : {0, 1})
      for (int n : {8, 12})
        for (int t : {1, 2}) b->Args({n, t, sim, noise});
  b->ArgNames({"n", "threads", "sim", "noise"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_NoisyForward)->Apply(Args);
BENCHMARK(BM_NoisyForwardPlusGradient)->Apply(Args);

}  // namespace

BENCHMARK_MAIN();
