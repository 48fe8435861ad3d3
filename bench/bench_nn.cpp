// Paper U-Net (C=1, 28x28, classical bottleneck) timings: no-grad forward (a sampling step) and a
// train step (zero_grad + forward + MSE gradient + backward + grad clipping + Adam + EMA), at
// batch 16 and 64 with 1 and 2 OpenMP threads, in float32 and (the *Bf16 benchmarks, on CPUs with
// AVX512_BF16) in bf16 mixed precision. FLOPs: 2 * multiply-adds of the convolutions and linears
// per image (forward); a train step counts 3x the forward (forward + two backward GEMMs).
#include <benchmark/benchmark.h>
#include <omp.h>

#include "qdiff/nn/optim.hpp"
#include "qdiff/nn/unet.hpp"

using namespace qdiff;
using namespace qdiff::nn;

namespace {
struct Setup {
  UNet net{paper_spec(1), std::make_unique<ClassicalBranch>(4), 1};
  Adam adam{net.num_params(), {}};
  Ema ema{net.params(), 0.999, true};
  std::vector<float> x, target, pred, d;
  std::vector<int> t;
  Setup(int B, MatmulPrecision p) : x(B * 784), target(B * 784), pred(B * 784), d(B * 784), t(B) {
    net.set_precision(p);
    Rng rng(1);
    for (auto& v : x) v = static_cast<float>(rng.normal());
    for (auto& v : target) v = static_cast<float>(rng.normal());
    for (auto& v : t) v = static_cast<int>(rng.below(1000));
  }
};

// Skips the benchmark (and says why) when the CPU cannot run precision p.
bool runnable(benchmark::State& state, MatmulPrecision p) {
  if (p == MatmulPrecision::BF16 && !bf16_supported()) {
    state.SkipWithError("no AVX512_BF16 on this CPU");
    return false;
  }
  return true;
}

void forward(benchmark::State& state, MatmulPrecision p) {
  if (!runnable(state, p)) return;
  const int B = static_cast<int>(state.range(0));
  omp_set_num_threads(static_cast<int>(state.range(1)));
  Setup s(B, p);
  s.net.forward(s.x.data(), s.t.data(), B, s.pred.data(), false);  // warm-up: buffers sized
  for (auto _ : state) {
    s.net.forward(s.x.data(), s.t.data(), B, s.pred.data(), false);
    benchmark::DoNotOptimize(s.pred.data());
  }
  const double flops = 2.0 * s.net.forward_macs_per_image() * B;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MFLOP/img"] = 2.0 * s.net.forward_macs_per_image() / 1e6;
}

void train_step(benchmark::State& state, MatmulPrecision p) {
  if (!runnable(state, p)) return;
  const int B = static_cast<int>(state.range(0));
  omp_set_num_threads(static_cast<int>(state.range(1)));
  Setup s(B, p);
  const size_t n = s.pred.size();
  auto step = [&] {
    s.net.zero_grad();
    s.net.forward(s.x.data(), s.t.data(), B, s.pred.data(), true);
    for (size_t i = 0; i < n; ++i) s.d[i] = 2.0f * (s.pred[i] - s.target[i]) / n;
    s.net.backward(s.d.data());
    clip_grad_norm(s.net.grads(), 1.0);
    s.adam.step(s.net.params(), s.net.grads());
    s.ema.update(s.net.params());
  };
  step();  // warm-up
  for (auto _ : state) step();
  const double flops = 3 * 2.0 * s.net.forward_macs_per_image() * B;
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_Forward(benchmark::State& state) { forward(state, MatmulPrecision::Float32); }
void BM_TrainStep(benchmark::State& state) { train_step(state, MatmulPrecision::Float32); }
void BM_ForwardBf16(benchmark::State& state) { forward(state, MatmulPrecision::BF16); }
void BM_TrainStepBf16(benchmark::State& state) { train_step(state, MatmulPrecision::BF16); }
}  // namespace

#define QDIFF_UNET_BENCH(name) \
  BENCHMARK(name)->ArgsProduct({{16, 64}, {1, 2}})->ArgNames({"batch", "threads"})->UseRealTime()->Unit(benchmark::kMillisecond)
QDIFF_UNET_BENCH(BM_Forward);
QDIFF_UNET_BENCH(BM_TrainStep);
QDIFF_UNET_BENCH(BM_ForwardBf16);
QDIFF_UNET_BENCH(BM_TrainStepBf16);
BENCHMARK_MAIN();
