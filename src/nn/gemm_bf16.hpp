// The bfloat16 GEMM of the mixed-precision option (internal to src/nn): operands in bfloat16,
// products summed in float32, C in float32: on AMX tiles (TDPBF16PS, gemm_amx.hpp) where the CPU
// and OS allow them, else by AVX512_BF16's vdpbf16ps (the kernel here; QDIFF_DISABLE_AMX=1 forces
// it, for A/B timing and tests).
//
// Both instructions add to each float lane of C the two products of a PAIR of bfloat16 values of A with
// the matching pair of B, so both operands are laid out in pairs along the summed index k:
//   A: bfloat16 rows; pair j of row i is the two bfloat16 at a.base + a.off[i] + 2j (any 16-bit
//      alignment: weights converted row by row, or a converted image read at shifted offsets);
//   B: rows of `Pair`s; pair row j (k = 2j, 2j+1) starts at b.base + b.off[j], and its column n
//      holds (B[2j][n], B[2j+1][n]) in one 32-bit word (low half first).
// Both kernels are compiled by function target attributes, so the portable build compiles them
// too; callers must check supported() first (the layers do, through precision.hpp). Each kernel's
// summation order is fixed for given operands: results do not depend on the thread count (they
// differ between the two kernels by float rounding).
#pragma once

#include <cstddef>
#include <cstdint>

namespace qdiff::nn::bf16 {

using Half = uint16_t;  // one bfloat16
using Pair = uint32_t;  // two bfloat16 of consecutive k

struct ARows {
  const Half* base;
  const int* off;  // row i starts at base + off[i]; pairs at +2j
};
struct BPairRows {
  const Pair* base;
  const int* off;  // pair row j starts at base + off[j]
};

// Whether this CPU executes AVX512_BF16 (cpuid) and QDIFF_DISABLE_BF16 is unset (or 0).
bool supported();

// Whether gemm runs on AMX: the CPU has AMX-BF16 and the OS grants the tiles (amx::usable) and
// QDIFF_DISABLE_AMX is unset (or 0).
bool amx_active();

// C[M,N] = A B (acc: C += A B) over K2 pairs of k; C row-major with leading dimension ldc.
void gemm(int M, int N, int K2, const ARows& a, const BPairRows& b, float* C, size_t ldc, bool acc);

// Round-to-nearest-even conversions (the hardware's vcvtne2ps2bf16).
// dst[i] = bf16(src[i]), i < n; when n is odd and `pad_even`, dst[n] = 0 too.
void to_half(Half* dst, const float* src, size_t n, bool pad_even = false);
// dst[j] = (bf16(r0[j]), bf16(r1[j])), j < n; r1 == nullptr gives zero high halves.
void to_pairs(Pair* dst, const float* r0, const float* r1, size_t n);

// Float matrices multiplied in bfloat16: C[M,N] (+)= A[M,K] B[K,N], row-major with leading
// dimensions lda, ldb, ldc. Converts both operands into per-thread scratch first.
void gemm_f32(int M, int N, int K, const float* A, size_t lda, const float* B, size_t ldb, float* C, size_t ldc,
              bool acc);

// The float value of a bfloat16 (exact), and the bfloat16 nearest to a float (ties to even), as
// scalar reference for tests.
float to_float(Half h);
Half round_half(float f);

}  // namespace qdiff::nn::bf16
