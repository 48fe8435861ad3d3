// Per-layer costs of the paper U-Net's convolutions (1 thread, batch 64): forward and backward of
// each distinct Conv2d / ConvTranspose2d shape, next to a bare Eigen GEMM of the same folded
// im2col shape (M = Cout, K = Cin*k*k, N = batch*Ho*Wo) as the floor. QDIFF_NN_CONV=im2col forces
// the im2col path for stride-1 layers (for comparison with their shifted-view path).
// GCC 12 reports false "may be used uninitialized" warnings inside Eigen's AVX-512 GEMM (as in
// src/nn/layers.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <benchmark/benchmark.h>
#include <omp.h>

#include <Eigen/Core>

#include "qdiff/nn/layers.hpp"

using namespace qdiff;
using namespace qdiff::nn;

namespace {
struct Shape {
  int cin, cout, k, s, p, H;
};
const Shape kShapes[] = {{32, 32, 3, 1, 1, 28}, {64, 32, 3, 1, 1, 28}, {32, 64, 3, 2, 1, 28}, {64, 64, 3, 1, 1, 14},
                         {128, 64, 3, 1, 1, 14}, {64, 128, 3, 2, 1, 14}, {128, 128, 3, 1, 1, 7}};
constexpr int kBatch = 64;

void BM_ConvForward(benchmark::State& st) {
  omp_set_num_threads(static_cast<int>(st.range(1)));
  const Shape s = kShapes[st.range(0)];
  ParamRegistry reg;
  Conv2d<float> conv(reg, "c", s.cin, s.cout, s.k, s.s, s.p);
  Rng rng(1);
  reg.finalize(rng);
  const int Ho = conv.out_size(s.H);
  std::vector<float> x(size_t(kBatch) * s.cin * s.H * s.H, 0.5f), y(size_t(kBatch) * s.cout * Ho * Ho);
  for (auto _ : st) conv.forward(y.data(), x.data(), kBatch, s.H, s.H);
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * conv.macs(s.H, s.H) * kBatch / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(std::to_string(s.cin) + "->" + std::to_string(s.cout) + " s" + std::to_string(s.s) + " @" + std::to_string(s.H));
}

void BM_ConvBackward(benchmark::State& st) {
  omp_set_num_threads(static_cast<int>(st.range(1)));
  const Shape s = kShapes[st.range(0)];
  ParamRegistry reg;
  Conv2d<float> conv(reg, "c", s.cin, s.cout, s.k, s.s, s.p);
  Rng rng(1);
  reg.finalize(rng);
  const int Ho = conv.out_size(s.H);
  std::vector<float> x(size_t(kBatch) * s.cin * s.H * s.H, 0.5f), dx(x.size()), dy(size_t(kBatch) * s.cout * Ho * Ho, 0.1f);
  for (auto _ : st) conv.backward(dx.data(), x.data(), dy.data(), kBatch, s.H, s.H);
  st.counters["GFLOP/s"] = benchmark::Counter(4.0 * conv.macs(s.H, s.H) * kBatch / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(std::to_string(s.cin) + "->" + std::to_string(s.cout) + " s" + std::to_string(s.s) + " @" + std::to_string(s.H));
}

void BM_EigenGemm(benchmark::State& st) {
  omp_set_num_threads(static_cast<int>(st.range(1)));
  const Shape s = kShapes[st.range(0)];
  const int Ho = (s.H + 2 * s.p - s.k) / s.s + 1;
  const int M = s.cout, K = s.cin * s.k * s.k, N = kBatch * Ho * Ho;
  using MatR = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  MatR A = MatR::Random(M, K), B = MatR::Random(K, N), C(M, N);
  for (auto _ : st) {
    C.noalias() = A * B;
    benchmark::DoNotOptimize(C.data());
  }
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * K * N / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel("M" + std::to_string(M) + " K" + std::to_string(K) + " N" + std::to_string(N));
}
}  // namespace

BENCHMARK(BM_ConvForward)->ArgsProduct({{0, 1, 2, 3, 4, 5, 6}, {1}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvBackward)->ArgsProduct({{0, 1, 2, 3, 4, 5, 6}, {1}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EigenGemm)->ArgsProduct({{0, 1, 2, 3, 4, 5, 6}, {1}})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
