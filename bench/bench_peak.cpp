// The core's own limits, against which the other benchmarks' FLOP rates are read: the clock while
// busy, and the multiply-add rate of float32 FMAs and of bfloat16 dot products, each from
// register-only loops (no memory traffic). Every loop runs 12 independent accumulator chains, more
// than latency x throughput on the CPUs seen (4-6 cycles x 1-2 per cycle), so it measures
// throughput.
//   BM_Clock:         a chain of dependent 64-bit adds, 1 cycle each: counter GHz.
//   BM_Fma512:        vfmadd231ps zmm (16 float multiply-adds): counters MAC/ns and per_cycle
//                     (instructions a cycle at the GHz BM_Clock measured in the same run).
//   BM_DpBf16_512:    vdpbf16ps zmm (32 bfloat16 multiply-adds summed in float), if the CPU has
//                     AVX512_BF16 (else skipped with a message).
// Run: ./bench_peak --benchmark_repetitions=3 --benchmark_report_aggregates_only=true, one core,
// everything else stopped. Measured (2026-11-28, AMD EPYC Zen 4, bench/RESULTS.md): 3.6 GHz,
// one zmm FMA and one zmm vdpbf16ps per cycle, so bfloat16 doubles the multiply-add rate there.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace {

constexpr int64_t kIters = 20'000'000;  // loop iterations a benchmark iteration
double g_ghz = 0.0;                     // the clock measured by BM_Clock (which runs first)

// Seconds spent in loop over the benchmark's iterations (each one call).
template <void (*Loop)()>
double seconds_in(benchmark::State& state) {
  double seconds = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    Loop();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return seconds;
}

void add_loop() {
  uint64_t x = 0;
  for (int64_t i = 0; i < kIters; ++i)
    __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));  // 4 dependent cycles
  benchmark::DoNotOptimize(x);
}

void BM_Clock(benchmark::State& state) {
  const double seconds = seconds_in<add_loop>(state);
  g_ghz = 4.0 * kIters * static_cast<double>(state.iterations()) / (seconds * 1e9);
  state.counters["GHz"] = g_ghz;
}

#if defined(__x86_64__)
#define QDIFF_TWELVE(op)                                                                              \
  op " %%zmm12, %%zmm13, %%zmm0\n\t" op " %%zmm12, %%zmm13, %%zmm1\n\t" op " %%zmm12, %%zmm13, %%zmm2\n\t" \
  op " %%zmm12, %%zmm13, %%zmm3\n\t" op " %%zmm12, %%zmm13, %%zmm4\n\t" op " %%zmm12, %%zmm13, %%zmm5\n\t" \
  op " %%zmm12, %%zmm13, %%zmm6\n\t" op " %%zmm12, %%zmm13, %%zmm7\n\t" op " %%zmm12, %%zmm13, %%zmm8\n\t" \
  op " %%zmm12, %%zmm13, %%zmm9\n\t" op " %%zmm12, %%zmm13, %%zmm10\n\t" op " %%zmm12, %%zmm13, %%zmm11\n\t"
#define QDIFF_CLOBBERS \
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13"

__attribute__((target("avx512f"))) void fma_loop() {
  __asm__ volatile("vpxord %%zmm12, %%zmm12, %%zmm12\n\tvpxord %%zmm13, %%zmm13, %%zmm13" ::: QDIFF_CLOBBERS);
  for (int64_t i = 0; i < kIters; ++i) __asm__ volatile(QDIFF_TWELVE("vfmadd231ps") ::: QDIFF_CLOBBERS);
}
__attribute__((target("avx512f,avx512bf16"))) void dpbf16_loop() {
  __asm__ volatile("vpxord %%zmm12, %%zmm12, %%zmm12\n\tvpxord %%zmm13, %%zmm13, %%zmm13" ::: QDIFF_CLOBBERS);
  for (int64_t i = 0; i < kIters; ++i) __asm__ volatile(QDIFF_TWELVE("vdpbf16ps") ::: QDIFF_CLOBBERS);
}

// Runs loop, reporting multiply-adds per ns and instructions per cycle (macs multiply-adds each).
template <void (*Loop)()>
void run(benchmark::State& state, bool supported, const char* needs, double macs) {
  if (!supported) {
    state.SkipWithError((std::string("this CPU has no ") + needs).c_str());
    return;
  }
  const double seconds = seconds_in<Loop>(state);
  const double per_ns = 12.0 * kIters * static_cast<double>(state.iterations()) / (seconds * 1e9);
  state.counters["MAC/ns"] = per_ns * macs;
  if (g_ghz > 0) state.counters["per_cycle"] = per_ns / g_ghz;  // at BM_Clock's clock
}

void BM_Fma512(benchmark::State& state) { run<fma_loop>(state, __builtin_cpu_supports("avx512f"), "AVX-512", 16); }
void BM_DpBf16_512(benchmark::State& state) { run<dpbf16_loop>(state, __builtin_cpu_supports("avx512bf16"), "AVX512_BF16", 32); }
#endif

}  // namespace

BENCHMARK(BM_Clock)->Unit(benchmark::kMillisecond);
#if defined(__x86_64__)
BENCHMARK(BM_Fma512)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DpBf16_512)->Unit(benchmark::kMillisecond);
#endif

BENCHMARK_MAIN();
