// Noisy-backend benchmarks (issue 16): batch-64 forward and forward + gradient (inputs and
// weights, adjoint) of the training circuit — make_ansatz n qubits, 3 layers, default ansatz, ring
// entangler — on the "density_matrix" and "trajectories" backends, made by name from the backend
// table as the bottleneck branch makes them.
// Run: ./bench_noise --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// Arguments {n, threads, sim, noise}: sim 0 = "density_matrix", 1 = "trajectories" (kTrajectories per
// sample); noise 0 = two-qubit depolarizing p = 0.01 after every CNOT (the Qulacs comparison),
// 1 = a device preset (T1 = T2 = 100 us, gate times 35 / 300 ns, gate errors 1e-3 / 1e-2: every
// channel after every gate), 2 = two-qubit depolarizing p = 1e-3 (with 0: the noise study's levels). An n = 12 density-matrix iteration takes minutes (64 matrices of
// 4^12 entries, ~100 passes each); Google Benchmark then runs it once per repetition.
#include <benchmark/benchmark.h>

#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/backend.hpp"

namespace {

using namespace qdiff;
using namespace qdiff::quantum;
constexpr int kBatch = 64;
constexpr int kTrajectories = 64;  // the default of quantum.trajectories

NoiseModel bench_noise(int which) {
  if (which != 1) {
    NoiseModel m;
    m.two_qubit.depolarizing = which == 0 ? 0.01 : 0.001;
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
  Setup s(n);
  BackendOptions options;
  options.threads = threads;
  options.noise = bench_noise(state.range(3));
  options.trajectories = kTrajectories;
  const auto backend = make_backend(state.range(2) == 1 ? "trajectories" : "density_matrix", s.circuit, options);
  uint64_t step = 0;
  for (auto _ : state) {
    const qdiff::Rng rng = qdiff::Rng(7).fork(step++);  // one stream per call, as the training branch
    backend->forward(s.inputs.data(), kBatch, s.weights.data(), s.z.data(), rng);
    if (gradient)
      backend->backward(s.inputs.data(), kBatch, s.weights.data(), s.dz.data(), GradMethod::Adjoint,
                        s.dinputs.data(), s.dweights.data(), rng);
  }
  state.counters["samples/s"] = benchmark::Counter(kBatch, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_NoisyForward(benchmark::State& state) { run(state, false); }
void BM_NoisyForwardPlusGradient(benchmark::State& state) { run(state, true); }

void Args(benchmark::internal::Benchmark* b) {
  for (int noise : {0, 1, 2})
    for (int sim : {0, 1})
      for (int n : {8, 12})
        for (int t : {1, 2}) b->Args({n, t, sim, noise});
  b->ArgNames({"n", "threads", "sim", "noise"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_NoisyForward)->Apply(Args);
BENCHMARK(BM_NoisyForwardPlusGradient)->Apply(Args);

}  // namespace

BENCHMARK_MAIN();
