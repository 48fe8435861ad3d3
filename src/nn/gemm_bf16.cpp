// The bfloat16 GEMM (gemm_bf16.hpp). Every vector function carries the AVX512_BF16 target
// attribute, so this file compiles without -mavx512bf16 (the portable build) and the rest of the
// program keeps its own target.
#include "gemm_bf16.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gemm_amx.hpp"
#include "gemm_tiling.hpp"

#define QDIFF_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

namespace qdiff::nn::bf16 {

namespace {
// Whether the environment variable `name` is set to something other than 0 (read each time:
// tests set it).
bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string(v) != "0";
}
}  // namespace

bool supported() {
  static const bool hardware = __builtin_cpu_supports("avx512bf16");
  return hardware && !env_set("QDIFF_DISABLE_BF16");
}

bool amx_active() { return amx::usable() && !env_set("QDIFF_DISABLE_AMX"); }

float to_float(Half h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

Half round_half(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<Half>((u >> 16) | 0x40);  // NaN stays NaN
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<Half>(u >> 16);
}

namespace {

QDIFF_BF16_TARGET inline __m512i bcast_pair(const Half* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(static_cast<int>(v));
}

// R rows x 32 columns of C in registers (forced inline, as the float kernel: out of line GCC keeps
// the accumulators in memory).
template <int R, bool Acc>
QDIFF_BF16_TARGET __attribute__((always_inline)) inline void tile(int K2, const ARows& A, int m0, const BPairRows& B,
                                                                  int n0, __mmask16 k0, __mmask16 k1, float* C,
                                                                  size_t ldc) {
  const Half* a[R];
  for (int i = 0; i < R; ++i) a[i] = A.base + A.off[m0 + i];
  __m512 c0[R], c1[R];
  for (int i = 0; i < R; ++i) {
    if constexpr (Acc) {
      const float* c = C + static_cast<size_t>(m0 + i) * ldc + n0;
      c0[i] = _mm512_maskz_loadu_ps(k0, c);
      c1[i] = _mm512_maskz_loadu_ps(k1, c + 16);
    } else {
      c0[i] = c1[i] = _mm512_setzero_ps();
    }
  }
  for (int j = 0; j < K2; ++j) {
    const Pair* b = B.base + B.off[j] + n0;
    const __m512bh b0 = (__m512bh)_mm512_maskz_loadu_epi32(k0, b);
    const __m512bh b1 = (__m512bh)_mm512_maskz_loadu_epi32(k1, b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m512bh av = (__m512bh)bcast_pair(a[i] + 2 * j);
      c0[i] = _mm512_dpbf16_ps(c0[i], av, b0);
      c1[i] = _mm512_dpbf16_ps(c1[i], av, b1);
    }
  }
  for (int i = 0; i < R; ++i) {
    float* c = C + static_cast<size_t>(m0 + i) * ldc + n0;
    _mm512_mask_storeu_ps(c, k0, c0[i]);
    _mm512_mask_storeu_ps(c + 16, k1, c1[i]);
  }
}

// The tile as for_each_tile calls it. Not inlined into the (untargeted) tiling loop, so it carries
// the target itself; the tile is inlined into it.
template <bool Acc>
struct Tile {
  int K2;
  const ARows& A;
  const BPairRows& B;
  float* C;
  size_t ldc;
  template <int R>
  QDIFF_BF16_TARGET void operator()(std::integral_constant<int, R>, int m0, int n0, __mmask16 k0, __mmask16 k1) const {
    tile<R, Acc>(K2, A, m0, B, n0, k0, k1, C, ldc);
  }
};

}  // namespace

void gemm(int M, int N, int K2, const ARows& a, const BPairRows& b, float* C, size_t ldc, bool acc) {
  if (amx_active()) return amx::gemm(M, N, K2, a, b, C, ldc, acc);
  if (acc)
    gemm::for_each_tile(M, N, Tile<true>{K2, a, b, C, ldc});
  else
    gemm::for_each_tile(M, N, Tile<false>{K2, a, b, C, ldc});
}

QDIFF_BF16_TARGET void to_half(Half* dst, const float* src, size_t n, bool pad_even) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm256_mask_storeu_epi16(dst + i, m, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i)));
  }
  if (pad_even && n % 2) dst[n] = 0;
}

QDIFF_BF16_TARGET void to_pairs(Pair* dst, const float* r0, const float* r1, size_t n) {
  // cvtne2ps gives [r0 x16 | r1 x16] as 16-bit lanes; the permutation interleaves them.
  const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                       21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  for (size_t j = 0; j < n; j += 16) {
    const __mmask16 m = n - j >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - j)) - 1);
    const __m512 lo = _mm512_maskz_loadu_ps(m, r0 + j);
    const __m512 hi = r1 ? _mm512_maskz_loadu_ps(m, r1 + j) : _mm512_setzero_ps();
    const __m512i v = _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    _mm512_mask_storeu_epi32(dst + j, m, v);
  }
}

void gemm_f32(int M, int N, int K, const float* A, size_t lda, const float* B, size_t ldb, float* C, size_t ldc,
              bool acc) {
  thread_local std::vector<Half> ah;
  thread_local std::vector<Pair> bp;
  thread_local std::vector<int> aoff, boff;
  const int K2 = (K + 1) / 2, Ke = 2 * K2;
  ah.resize(static_cast<size_t>(M) * Ke);
  bp.resize(static_cast<size_t>(K2) * N);
  aoff.resize(M);
  boff.resize(K2);
  for (int i = 0; i < M; ++i) {
    to_half(ah.data() + static_cast<size_t>(i) * Ke, A + i * lda, K, true);
    aoff[i] = i * Ke;
  }
  for (int j = 0; j < K2; ++j) {
    to_pairs(bp.data() + static_cast<size_t>(j) * N, B + 2 * j * ldb, 2 * j + 1 < K ? B + (2 * j + 1) * ldb : nullptr, N);
    boff[j] = j * N;
  }
  gemm(M, N, K2, {ah.data(), aoff.data()}, {bp.data(), boff.data()}, C, ldc, acc);
}

}  // namespace qdiff::nn::bf16
