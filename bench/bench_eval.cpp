// Timings of the evaluation metrics at the sizes `qdiff eval` uses (28x28 images, 128-d
// features). Run: ./build/bench_eval --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/eval/metrics.hpp"
#include "qdiff/eval/ssim.hpp"

namespace {

using namespace qdiff;
using namespace qdiff::eval;

Eigen::MatrixXd features(Rng& rng, int64_t n, int64_t d) {
  Eigen::MatrixXd m(n, d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) m(i, j) = rng.normal();
  return m;
}

std::vector<float> images(Rng& rng, int64_t n, int64_t c) {
  std::vector<float> v(n * c * 28 * 28);
  for (auto& x : v) x = float(std::tanh(rng.normal()));
  return v;
}

void BM_NearestSsim(benchmark::State& state) {  // n x n pairs of 28x28 grey images
  const int64_t n = state.range(0);
  Rng rng(1);
  const std::vector<float> g = images(rng, n, 1), r = images(rng, n, 1);
  const ImageView vg(g, n, 1, 28, 28), vr(r, n, 1, 28, 28);
  for (auto _ : state) benchmark::DoNotOptimize(nearest_ssim(vg, vr).mean_max);
  state.counters["pairs/s"] = benchmark::Counter(double(n * n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_NearestSsim)->Arg(200)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PairwiseSsim(benchmark::State& state) {
  const int64_t n = state.range(0);
  Rng rng(2);
  const std::vector<float> g = images(rng, n, 1);
  const ImageView vg(g, n, 1, 28, 28);
  for (auto _ : state) benchmark::DoNotOptimize(pairwise_ssim(vg).mean);
}
BENCHMARK(BM_PairwiseSsim)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Fid(benchmark::State& state) {  // n x 128 features each side
  const int64_t n = state.range(0);
  Rng rng(3);
  const Eigen::MatrixXd a = features(rng, n, 128), b = features(rng, n, 128);
  for (auto _ : state) benchmark::DoNotOptimize(fid(a, b).fid);
}
BENCHMARK(BM_Fid)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Kid(benchmark::State& state) {  // 100 subsets of 1000 from 10000 x 128
  Rng rng(4);
  const Eigen::MatrixXd a = features(rng, 10000, 128), b = features(rng, 10000, 128);
  for (auto _ : state) {
    Rng sub(5);
    benchmark::DoNotOptimize(kid(a, b, 100, 1000, sub).mean);
  }
}
BENCHMARK(BM_Kid)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PrecisionRecall(benchmark::State& state) {  // n x 128 features each side, k = 3
  const int64_t n = state.range(0);
  Rng rng(6);
  const Eigen::MatrixXd a = features(rng, n, 128), b = features(rng, n, 128);
  for (auto _ : state) benchmark::DoNotOptimize(precision_recall(a, b, 3).precision);
}
BENCHMARK(BM_PrecisionRecall)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
