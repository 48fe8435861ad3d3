// The bfloat16 GEMM kernels (src/nn/gemm_bf16.hpp): AMX tiles and AVX512_BF16, each against a
// double-precision product of the same bfloat16 operands, over shapes with every edge (M, N, K2
// below, at and past multiples of 16 and of the 2 x 2 tile blocks), accumulating or not, operand
// rows at arbitrary (odd, unordered) offsets, ldc > N with the columns past N left untouched; the
// two kernels against each other; and OpenMP threads calling the AMX kernel at once (each loads
// its own tile configuration).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "gemm_bf16.hpp"
#include "qdiff/core/rng.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::nn;
using qdiff::test::ScopedEnv;

namespace {

// A bf16::gemm problem: operands scattered at arbitrary row offsets, C with ldc = N + 3.
struct Problem {
  int M, N, K2;
  bool acc;
  std::vector<bf16::Half> a;
  std::vector<int> aoff;
  std::vector<bf16::Pair> b;
  std::vector<int> boff;
  size_t ldc;
  std::vector<float> c0;  // C before the call (accumulated into when acc)

  Problem(int m, int n, int k2, bool accumulate, uint64_t seed) : M(m), N(n), K2(k2), acc(accumulate) {
    Rng rng(seed);
    auto half = [&] { return bf16::round_half(static_cast<float>(rng.normal())); };
    // A: rows of 2*K2 halves at odd offsets, in reverse order, with gaps between them
    const int arow = 2 * K2 + 3;
    a.assign(static_cast<size_t>(M) * arow + 1, bf16::round_half(7.0f));  // gaps hold 7s
    aoff.resize(M);
    for (int i = 0; i < M; ++i) {
      aoff[i] = (M - 1 - i) * arow + 1;
      for (int k = 0; k < 2 * K2; ++k) a[aoff[i] + k] = half();
    }
    // B: pair rows of N, row j in slot j/2 (even j) or K2-1-j/2 (odd j), gaps between them
    const int brow = N + 2;
    b.assign(static_cast<size_t>(K2) * brow + 1, 0x40E040E0u);  // gaps hold (7, 7)
    boff.resize(K2);
    for (int j = 0; j < K2; ++j) {
      boff[j] = (j % 2 ? K2 - 1 - j / 2 : j / 2) * brow + 1;
      for (int n = 0; n < N; ++n) b[boff[j] + n] = half() | (static_cast<bf16::Pair>(half()) << 16);
    }
    ldc = static_cast<size_t>(N) + 3;
    c0.resize(static_cast<size_t>(M) * ldc);
    for (auto& v : c0) v = static_cast<float>(rng.normal());
  }

  std::vector<float> run() const {
    std::vector<float> c = c0;
    bf16::gemm(M, N, K2, {a.data(), aoff.data()}, {b.data(), boff.data()}, c.data(), ldc, acc);
    return c;
  }

  // Checks c against the double product; the columns past N must keep c0.
  void check(const std::vector<float>& c, const char* kernel) const {
    for (int i = 0; i < M; ++i) {
      for (int n = 0; n < N; ++n) {
        double sum = acc ? c0[i * ldc + n] : 0.0, mag = std::abs(sum);
        for (int j = 0; j < K2; ++j) {
          const bf16::Pair p = b[boff[j] + n];
          const double t0 = double(bf16::to_float(a[aoff[i] + 2 * j])) * bf16::to_float(static_cast<bf16::Half>(p & 0xFFFF));
          const double t1 = double(bf16::to_float(a[aoff[i] + 2 * j + 1])) * bf16::to_float(static_cast<bf16::Half>(p >> 16));
          sum += t0 + t1;
          mag += std::abs(t0) + std::abs(t1);
        }
        // float sums of 2*K2 + 1 terms: each rounding at most 2^-24 of the running magnitude
        const double tol = (2.0 * K2 + 2) * 6e-8 * mag + 1e-30;
        ASSERT_NEAR(c[i * ldc + n], sum, tol) << kernel << " M" << M << " N" << N << " K2 " << K2 << " acc " << acc
                                              << " at (" << i << "," << n << ")";
      }
      for (size_t n = N; n < ldc; ++n)
        ASSERT_EQ(c[i * ldc + n], c0[i * ldc + n]) << kernel << ": wrote past N in row " << i;
    }
  }
};

const int kSizes[] = {1, 15, 16, 17, 33, 100};

// Every shape of kSizes^3, accumulating and not, on the kernel the environment selects.
void check_all_shapes(const char* kernel) {
  uint64_t seed = 1;
  for (int M : kSizes)
    for (int N : kSizes)
      for (int K2 : kSizes)
        for (bool acc : {false, true}) {
          const Problem p(M, N, K2, acc, seed++);
          p.check(p.run(), kernel);
          if (::testing::Test::HasFatalFailure()) return;
        }
}

}  // namespace

TEST(GemmBf16, Avx512Bf16MatchesDoubleOnEveryEdge) {
  if (!bf16::supported()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  const ScopedEnv off("QDIFF_DISABLE_AMX", "1");
  ASSERT_FALSE(bf16::amx_active());
  check_all_shapes("AVX512_BF16");
}

TEST(GemmBf16, AmxMatchesDoubleOnEveryEdge) {
  if (!bf16::supported() || !bf16::amx_active())
    GTEST_SKIP() << "this CPU has no AMX-BF16 (or the OS refused the tile data)";
  check_all_shapes("AMX");
}

TEST(GemmBf16, AmxAndAvx512Bf16Agree) {
  if (!bf16::supported() || !bf16::amx_active())
    GTEST_SKIP() << "this CPU has no AMX-BF16 (or the OS refused the tile data)";
  for (const auto& [M, N, K2] : {std::array{100, 33, 17}, std::array{64, 812, 288}, std::array{288, 64, 406}}) {
    const Problem p(M, N, K2, true, 99);
    const std::vector<float> amx = p.run();
    std::vector<float> avx;
    {
      const ScopedEnv off("QDIFF_DISABLE_AMX", "1");
      avx = p.run();
    }
    double scale = 0, diff = 0;
    for (size_t i = 0; i < amx.size(); ++i) {
      scale = std::max(scale, std::abs(double(avx[i])));
      diff = std::max(diff, std::abs(double(amx[i]) - avx[i]));
    }
    EXPECT_LT(diff, 1e-5 * scale * std::sqrt(double(K2))) << "M" << M << " N" << N << " K2 " << K2;
    EXPECT_NE(0, std::memcmp(amx.data(), avx.data(), amx.size() * sizeof(float)))
        << "bit-identical: did AMX run at all?";
  }
}

// Each thread configures its tiles on its first call; threads then compute side by side.
TEST(GemmBf16, AmxFromConcurrentThreadsEqualsSerial) {
  if (!bf16::supported() || !bf16::amx_active())
    GTEST_SKIP() << "this CPU has no AMX-BF16 (or the OS refused the tile data)";
  std::vector<Problem> ps;
  for (int i = 0; i < 8; ++i) ps.emplace_back(17 + 9 * i, 40 - 3 * i, 20 + 5 * i, i % 2 == 1, 200 + i);
  std::vector<std::vector<float>> serial(ps.size()), parallel(ps.size());
  for (size_t i = 0; i < ps.size(); ++i) serial[i] = ps[i].run();
  const int before = omp_get_max_threads();
  omp_set_num_threads(2);
  for (int round = 0; round < 4; ++round) {
#pragma omp parallel for schedule(dynamic)
    for (size_t i = 0; i < ps.size(); ++i) parallel[i] = ps[i].run();
    for (size_t i = 0; i < ps.size(); ++i)
      ASSERT_EQ(0, std::memcmp(serial[i].data(), parallel[i].data(), serial[i].size() * sizeof(float))) << "problem " << i;
  }
  omp_set_num_threads(before);
}
