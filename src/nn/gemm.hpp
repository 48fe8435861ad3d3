// The GEMM under the convolutions (internal to src/nn): C[M,N] = A[M,K] * B[K,N], row-major C
// with leading dimension ldc. A and B are given as row accessors, so an operand can be a plain
// matrix (Rows) or a table of row offsets into a zero-padded image (RowOffsets): the
// stride-1 convolutions read their shifted input rows in place instead of copying them into an
// im2col matrix.
//
// For float on AVX-512: a register-blocked kernel, tiles of R <= 8 rows x 32 columns of C in
// registers, B streamed row by row, the N tail masked; measured 91-112 GFLOP/s on one Zen 4 core
// at the U-Net's shapes where Eigen's GEMM gives 77-86. The summation order (k ascending) is
// fixed, independent of alignment and thread count. Without AVX-512, and for double, Eigen
// (contiguous operands only). QDIFF_NN_GEMM=eigen selects Eigen for float too (for A/B timing).
#pragma once

#include <Eigen/Core>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <string>

#include "gemm_tiling.hpp"

namespace qdiff::nn::gemm {

template <class T>
struct Rows {  // a row-major matrix
  const T* p;
  size_t ld;
  const T* row(int k) const { return p + static_cast<size_t>(k) * ld; }
};
template <class T>
struct RowOffsets {  // row k starts at base + off[k]
  const T* base;
  const int* off;
  const T* row(int k) const { return base + off[k]; }
};

// Weight gradients of weights with at least this many rows run on the kernel (their dY must be
// transposed for it); thinner ones use row dot products.
constexpr int kThickRows = 16;

// Whether environment variable `name` is set to `value` (the A/B switches below).
inline bool env_is(const char* name, const char* value) {
  const char* e = std::getenv(name);
  return e && std::string(e) == value;
}

inline bool use_eigen() {
  static const bool v = env_is("QDIFF_NN_GEMM", "eigen");
  return v;
}

// True when the float kernel (and with it RowOffsets operands) is available and selected.
inline bool has_kernel() {
#if defined(__AVX512F__)
  return !use_eigen();
#else
  return false;
#endif
}

#if defined(__AVX512F__)
// Forced inline: a tile compiled out of line keeps its accumulator arrays in memory (GCC 12 stores
// every accumulator on each k step: half the speed).
template <int R, bool Acc, class AR, class BR>
__attribute__((always_inline)) inline void tile(int K, const AR& A, int m0, const BR& B, int n0, __mmask16 k0, __mmask16 k1, float* C, size_t ldc) {
  const float* a[R];
  for (int i = 0; i < R; ++i) a[i] = A.row(m0 + i);
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
  for (int k = 0; k < K; ++k) {
    const float* b = B.row(k) + n0;
    const __m512 b0 = _mm512_maskz_loadu_ps(k0, b), b1 = _mm512_maskz_loadu_ps(k1, b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(a[i][k]);
      c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
    }
  }
  for (int i = 0; i < R; ++i) {
    float* c = C + static_cast<size_t>(m0 + i) * ldc + n0;
    _mm512_mask_storeu_ps(c, k0, c0[i]);
    _mm512_mask_storeu_ps(c + 16, k1, c1[i]);
  }
}

// C = A B, or C += A B with Acc = true.
template <bool Acc = false, class AR, class BR>
void kernel(int M, int N, int K, const AR& A, const BR& B, float* C, size_t ldc) {
  // Forced inline like the tile: out of line, this call costs ~10% of a train step (A/B).
  for_each_tile(M, N, [&](auto rows, int m0, int n0, __mmask16 k0, __mmask16 k1) __attribute__((always_inline)) {
    tile<decltype(rows)::value, Acc>(K, A, m0, B, n0, k0, k1, C, ldc);
  });
}
#else
// Portable reference (the float path without AVX-512 uses Eigen; this serves RowOffsets callers,
// which has_kernel() keeps away, so that the code compiles everywhere).
template <bool Acc = false, class AR, class BR>
void kernel(int M, int N, int K, const AR& A, const BR& B, float* C, size_t ldc) {
  for (int i = 0; i < M; ++i) {
    float* c = C + static_cast<size_t>(i) * ldc;
    if (!Acc) std::fill(c, c + N, 0.0f);
    const float* a = A.row(i);
    for (int k = 0; k < K; ++k) {
      const float* b = B.row(k);
      for (int j = 0; j < N; ++j) c[j] += a[k] * b[j];
    }
  }
}
#endif

template <class T>
using MatR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Map = Eigen::Map<MatR<T>>;
template <class T>
using CMap = Eigen::Map<const MatR<T>>;

template <class T>
void eigen_gemm(int M, int N, int K, const T* A, const T* B, T* C, bool acc) {
  Map<T> c(C, M, N);
  if (acc)
    c.noalias() += CMap<T>(A, M, K) * CMap<T>(B, K, N);
  else
    c.noalias() = CMap<T>(A, M, K) * CMap<T>(B, K, N);
}

// Contiguous operands: C[M,N] = A[M,K] B[K,N] (lda = K, ldb = ldc = N); C += A B when `acc`. On
// the kernel, C += A1 B1 then C += A2 B2 rounds exactly as one product over the joined K range.
inline void gemm(int M, int N, int K, const float* A, const float* B, float* C, bool acc = false) {
#if defined(__AVX512F__)
  if (!use_eigen()) {
    const Rows<float> a{A, static_cast<size_t>(K)}, b{B, static_cast<size_t>(N)};
    if (acc)
      kernel<true>(M, N, K, a, b, C, static_cast<size_t>(N));
    else
      kernel(M, N, K, a, b, C, static_cast<size_t>(N));
    return;
  }
#endif
  eigen_gemm(M, N, K, A, B, C, acc);
}
inline void gemm(int M, int N, int K, const double* A, const double* B, double* C, bool acc = false) {
  eigen_gemm(M, N, K, A, B, C, acc);
}

}  // namespace qdiff::nn::gemm
