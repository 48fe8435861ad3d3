// Per-layer costs of the paper U-Net's convolutions (1 thread, batch 64): forward and backward of
// each distinct Conv2d / ConvTranspose2d shape, next to a bare Eigen GEMM of the same folded
// im2col shape (M = Cout, K = Cin*k*k, N = batch*Ho*Wo) as the floor. QDIFF_NN_CONV=im2col forces
// the im2col path for stride-1 layers (for comparison with their shifted-view path).
// BM_GemmBf16: the bfloat16 GEMM alone (src/nn/gemm_bf16.hpp) on the shapes the bf16 convolutions
// give it, on AMX where present; QDIFF_DISABLE_AMX=1 selects the AVX512_BF16 kernel (A/B timing).
// GCC 12 reports false "may be used uninitialized" warnings inside Eigen's AVX-512 GEMM (as in
// src/nn/layers.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <benchmark/benchmark.h>
#include <omp.h>

#include <Eigen/Core>

#include "gemm_bf16.hpp"
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
// bf16::gemm shapes (M, N, K2) of the paper U-Net's 3x3 convolutions in bf16: forward (M = cout,
// N = the wide output grid Ho*Ws, K2 = ceil(cin/2)*9) and weight gradient (M = cin*9, N = cout,
// K2 = pairs of grid positions).
struct GemmShape {
  int M, N, K2;
  const char* what;
};
const GemmShape kGemmShapes[] = {{32, 812, 144, "fwd 32->32 @28"},  {64, 210, 288, "fwd 64->64 @14"},
                                 {128, 56, 576, "fwd 128->128 @7"}, {288, 32, 406, "wgrad 32->32 @28"},
                                 {576, 64, 105, "wgrad 64->64 @14"}, {1152, 128, 28, "wgrad 128->128 @7"}};

void BM_GemmBf16(benchmark::State& st) {
  if (!bf16::supported()) return st.SkipWithError("no AVX512_BF16 on this CPU");
  const GemmShape s = kGemmShapes[st.range(0)];
  Rng rng(1);
  std::vector<bf16::Half> a(static_cast<size_t>(s.M) * 2 * s.K2);
  std::vector<bf16::Pair> b(static_cast<size_t>(s.K2) * s.N);
  for (auto& v : a) v = bf16::round_half(static_cast<float>(rng.normal()));
  for (auto& v : b) v = bf16::round_half(static_cast<float>(rng.normal())) * 0x10001u;
  std::vector<int> aoff(s.M), boff(s.K2);
  for (int i = 0; i < s.M; ++i) aoff[i] = i * 2 * s.K2;
  for (int j = 0; j < s.K2; ++j) boff[j] = j * s.N;
  std::vector<float> c(static_cast<size_t>(s.M) * s.N);
  for (auto _ : st) {
    bf16::gemm(s.M, s.N, s.K2, {a.data(), aoff.data()}, {b.data(), boff.data()}, c.data(), s.N, false);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOP/s"] =
      benchmark::Counter(4.0 * s.M * s.N * s.K2 / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(std::string(s.what) + (bf16::amx_active() ? " AMX" : " AVX512_BF16"));
}
}  // namespace

BENCHMARK(BM_ConvForward)->ArgsProduct({{0, 1, 2, 3, 4, 5, 6}, {1}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvBackward)->ArgsProduct({{0, 1, 2, 3, 4, 5, 6}, {1}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EigenGemm)->ArgsProduct({{0, 1, 2, 3, 4, 5, 6}, {1}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GemmBf16)->DenseRange(0, 5)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
