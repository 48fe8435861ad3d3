// Quantum simulator benchmarks (issue 3): batch-64 forward / adjoint / parameter-shift on the
// paper-sized circuit (RY encoding + 3 layers of RZ,RY per qubit + CNOT chain, 7n angles), and
// raw single-qubit rotation throughput on a 20-qubit state.
// Run: ./bench_quantum --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Arguments: {n_qubits, threads, float}: float = 1 simulates in single precision (the statevector
// backend made with Precision::Float), 0 in double.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/kernels.hpp"

namespace {

using namespace qdiff::quantum;
constexpr int kBatch = 64;

struct Setup {
  std::unique_ptr<Backend> ev;
  std::vector<double> inputs, weights, dz, z, dinputs, dweights;
  Setup(int n, int threads, int batch, bool single)
      : ev(make_backend("statevector", make_ansatz({n, 3, qdiff::Ansatz::Default, qdiff::Entangler::Chain}),
                        {single ? Precision::Float : Precision::Double, threads})),
        inputs(batch * n), weights(ev->n_weights()), dz(batch * n), z(batch * n), dinputs(batch * n),
        dweights(ev->n_weights()) {
    qdiff::Rng rng(1);
    for (double& x : inputs) x = rng.uniform() * 3.14;
    for (double& x : weights) x = rng.normal();
    for (double& x : dz) x = rng.normal();
  }
};

void BM_Forward(benchmark::State& state) {
  Setup s(state.range(0), state.range(1), kBatch, state.range(2));
  for (auto _ : state) s.ev->forward(s.inputs.data(), kBatch, s.weights.data(), s.z.data());
  state.counters["samples/s"] = benchmark::Counter(kBatch, benchmark::Counter::kIsIterationInvariantRate);
}

void run_gradient(benchmark::State& state, GradMethod m, int batch) {
  Setup s(state.range(0), state.range(1), batch, state.range(2));
  for (auto _ : state)
    s.ev->backward(s.inputs.data(), batch, s.weights.data(), s.dz.data(), m, s.dinputs.data(), s.dweights.data());
  state.counters["samples/s"] = benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}
// backward() alone, with no forward before it: it recomputes the forward states itself (the full
// gradient).
void BM_Adjoint(benchmark::State& state) { run_gradient(state, GradMethod::Adjoint, kBatch); }
// Forward (for <Z>) followed by backward (for gradients), as a training step calls them: the
// adjoint starts from the states the forward kept (statevector_backend.hpp).
void BM_ForwardPlusAdjoint(benchmark::State& state) {
  Setup s(state.range(0), state.range(1), kBatch, state.range(2));
  for (auto _ : state) {
    s.ev->forward(s.inputs.data(), kBatch, s.weights.data(), s.z.data());
    s.ev->backward(s.inputs.data(), kBatch, s.weights.data(), s.dz.data(), GradMethod::Adjoint, s.dinputs.data(),
                  s.dweights.data());
  }
}
// Parameter shift on `batch` = 64 at small n; at n = 16 on 2 samples (scale by 32 for a batch of 64).
void BM_ParameterShift(benchmark::State& state) {
  run_gradient(state, GradMethod::ParameterShift, state.range(0) >= 16 ? 2 : kBatch);
}

// A single-qubit rotation on every target of a 20-qubit state in turn, one state per thread,
// in double (range(3) = 0) or float (1). range(2), the "gate" argument: 0 = RY (real matrix), 1 = RX (real diagonal, imaginary
// off-diagonal), 2 = RZ(0.7)·RY(0.3), a general complex 2x2 (what the fused RY.RZ layers of the
// training circuit apply). Each takes its own kernel path (see simd::VM2).
Mat2 bench_rotation(int which) {
  const double a = 0.3, b = 0.7;
  if (which == 0) return matrix_1q(GateKind::RY, &a);
  if (which == 1) return matrix_1q(GateKind::RX, &a);
  return mul(matrix_1q(GateKind::RZ, &b), matrix_1q(GateKind::RY, &a));
}
template <class A>
void rotation20(benchmark::State& state) {
  const int n = 20, threads = state.range(1);
  const Mat2 m = bench_rotation(state.range(2));
  std::vector<std::vector<A>> states(threads, std::vector<A>(uint64_t{1} << n, A{1e-3, 0}));
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; ++t)
      for (int q = 0; q < n; ++q) apply_1q(states[t].data(), n, q, m);
  }
  const double updates = double(uint64_t{1} << n) * n * threads;
  state.counters["amp_updates/s"] = benchmark::Counter(updates, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["amp_updates/s/thread"] =
      benchmark::Counter(updates / threads, benchmark::Counter::kIsIterationInvariantRate);
  // each update reads and writes one amplitude
  state.counters["GB/s"] =
      benchmark::Counter(updates * 2 * sizeof(A) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_Rotation20(benchmark::State& state) {
  state.range(3) ? rotation20<cplxf>(state) : rotation20<cplx>(state);
}

// The same 20 rotations (one per qubit) as one cache-blocked layer (apply_1q_layer).
template <class A>
void rotation_layer20(benchmark::State& state) {
  const int n = 20, threads = state.range(1);
  const Mat2 m = bench_rotation(state.range(2));
  std::vector<int> qs(n);
  std::vector<Mat2> ms(n, m);
  for (int q = 0; q < n; ++q) qs[q] = q;
  std::vector<std::vector<A>> states(threads, std::vector<A>(uint64_t{1} << n, A{1e-3, 0}));
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; ++t) apply_1q_layer(states[t].data(), n, n, qs.data(), ms.data());
  }
  const double updates = double(uint64_t{1} << n) * n * threads;
  state.counters["amp_updates/s"] = benchmark::Counter(updates, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["amp_updates/s/thread"] =
      benchmark::Counter(updates / threads, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_RotationLayer20(benchmark::State& state) {
  state.range(3) ? rotation_layer20<cplxf>(state) : rotation_layer20<cplx>(state);
}

// Memory bandwidth reference: copy a 64 MiB buffer per thread (read + write bytes counted).
void BM_MemoryCopy(benchmark::State& state) {
  const int threads = state.range(0);
  const size_t count = size_t{8} << 20;  // doubles
  std::vector<std::vector<double>> src(threads, std::vector<double>(count, 1.0)), dst = src;
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; ++t) std::copy(src[t].begin(), src[t].end(), dst[t].begin());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(2.0 * count * sizeof(double) * threads / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void Args(benchmark::internal::Benchmark* b) {
  for (int single : {0, 1})
    for (int n : {8, 12, 16})
      for (int t : {1, 2}) b->Args({n, t, single});
  b->ArgNames({"n", "threads", "float"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_Forward)->Apply(Args);
BENCHMARK(BM_Adjoint)->Apply(Args);
BENCHMARK(BM_ForwardPlusAdjoint)->Apply(Args);
BENCHMARK(BM_ParameterShift)->Apply(Args);
void RotationArgs(benchmark::internal::Benchmark* b) {
  for (int single : {0, 1})
    for (int gate : {0, 1, 2})
      for (int t : {1, 2}) b->Args({20, t, gate, single});
  b->ArgNames({"n", "threads", "gate", "float"})->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_Rotation20)->Apply(RotationArgs);
BENCHMARK(BM_RotationLayer20)->Apply(RotationArgs);
BENCHMARK(BM_MemoryCopy)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
