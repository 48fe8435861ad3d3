// Float Conv2d 3x3, stride 1, padding 1 by Winograd's minimal filtering F(2x2, 3x3) (internal to
// src/nn; Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// Each 2x2 block of outputs ("tile" (ty, tx), outputs rows 2ty..2ty+1, columns 2tx..2tx+1) is
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
// where d is the 4x4 patch of the zero-padded input that the tile reads (padded rows 2ty..2ty+3,
// columns 2tx..2tx+3), g the 3x3 kernel and
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
// Summed over input channels, the 16 elementwise products become 16 GEMMs, one per position xi of
// the 4x4 transformed tile: M_xi [cout, tiles] = U_xi [cout, cin] V_xi [cin, tiles], with
// U = G g G^T (the weight transform) and V = B^T d B (the input transform). That is 16 multiply-adds
// per tile and channel pair where the direct convolution needs 36: 2.25x fewer. An odd H or W
// computes one more row or column of tiles and drops it.
//
// The batch's tile rows (image n, tile row ty) are cut into chunks of about 256 columns (tiles),
// spread over the OpenMP threads; every output is the same sum in the same order whatever the
// chunk, so results do not depend on the thread count. The GEMMs run on the AVX-512 kernel
// (gemm.hpp); without AVX-512 this path is never taken (applies()).
//
// The stride-1 input gradient is the same convolution of dy with the kernel flipped and transposed
// (conv_shifted.hpp), so it runs here too: transform_weights(..., flip = true).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "gemm.hpp"
#include "qdiff/nn/conv.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::nn::winograd {

// QDIFF_NN_CONV=direct (the shifted-view path) or im2col turns this path off; read on every call,
// so that a test can compare the paths in one process.
inline bool disabled_by_env() {
  const char* e = std::getenv("QDIFF_NN_CONV");
  return e && (std::strcmp(e, "direct") == 0 || std::strcmp(e, "im2col") == 0);
}

// Whether a Conv2d with kernel k, stride s, padding p takes this path.
inline bool applies(int k, int s, int p, Precision prec) {
  return k == 3 && s == 1 && p == 1 && prec == Precision::Float32 && gemm::has_kernel() && !disabled_by_env();
}

using Scratch = WinogradScratch;  // per thread (conv.hpp)

// How the batch's N * TH tile rows are cut: chunks of `rows` tile rows (the last may be shorter).
struct Plan {
  int TH, TW, R, rows, chunks;
  Plan(int N, int H, int W) : TH((H + 1) / 2), TW((W + 1) / 2), R(N * TH), rows(1), chunks(0) {
    if (R <= 0 || TW <= 0) return;  // an empty batch or image: nothing to compute
    const int nt = omp_get_max_threads();
    rows = std::max(1, 256 / TW);
    chunks = (R + rows - 1) / rows;
    chunks = std::min(R, (chunks + nt - 1) / nt * nt);  // a multiple of the thread count where possible
    rows = (R + chunks - 1) / chunks;
    chunks = (R + rows - 1) / rows;
  }
};

#if defined(__AVX512F__)

// U [16][co][ci] = G g G^T for every (o, c), from w [cout][cin][3][3]. flip = false: co = cout,
// ci = cin, g = w[o][c]. flip = true (the input gradient): co = cin, ci = cout, and the kernel of
// (c, o) is w[o][c] rotated by 180 degrees.
inline void transform_weights(float* U, const float* w, int cout, int cin, bool flip) {
  const int co = flip ? cin : cout, ci = flip ? cout : cin;
  const size_t n = static_cast<size_t>(co) * ci;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 half = _mm512_set1_ps(0.5f);
#pragma omp parallel for schedule(static) if (n >= 8192)
  for (int a = 0; a < co; ++a)
    for (int b0 = 0; b0 < ci; b0 += 16) {  // destination elements (a, b0 .. b0 + 15)
      const __mmask16 k = ci - b0 >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (ci - b0)) - 1);
      const __m512i b = _mm512_add_epi32(_mm512_set1_epi32(b0), lane);
      // where g[0] starts in w, and the step between g's elements: w[a][b][r], or w[b][a][8 - r]
      const __m512i base = flip ? _mm512_add_epi32(_mm512_mullo_epi32(_mm512_add_epi32(_mm512_mullo_epi32(b, _mm512_set1_epi32(cin)),
                                                                                         _mm512_set1_epi32(a)),
                                                                        _mm512_set1_epi32(9)),
                                                     _mm512_set1_epi32(8))
                                : _mm512_mullo_epi32(_mm512_add_epi32(_mm512_set1_epi32(a * ci), b), _mm512_set1_epi32(9));
      const int step = flip ? -1 : 1;
      __m512 g[9];
      for (int r = 0; r < 9; ++r)
        g[r] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k, _mm512_add_epi32(base, _mm512_set1_epi32(step * r)), w, 4);
      __m512 t[4][3];  // G g: rows of the 4x3 product
      for (int s = 0; s < 3; ++s) {
        t[0][s] = g[s];
        t[1][s] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_add_ps(g[s], g[3 + s]), g[6 + s]));
        t[2][s] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_sub_ps(g[s], g[3 + s]), g[6 + s]));
        t[3][s] = g[6 + s];
      }
      float* dst = U + static_cast<size_t>(a) * ci + b0;
      for (int r = 0; r < 4; ++r) {  // (G g) G^T
        const __m512 u[4] = {t[r][0], _mm512_mul_ps(half, _mm512_add_ps(_mm512_add_ps(t[r][0], t[r][1]), t[r][2])),
                             _mm512_mul_ps(half, _mm512_add_ps(_mm512_sub_ps(t[r][0], t[r][1]), t[r][2])), t[r][2]};
        for (int j = 0; j < 4; ++j) _mm512_mask_storeu_ps(dst + static_cast<size_t>(4 * r + j) * n, k, u[j]);
      }
    }
}

inline __mmask16 lanes(int n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

// One row r [W] of an image read at the columns of 16 tiles from tile t0 on: a[l], b[l], c[l], d[l] =
// r[j - 1], r[j], r[j + 1], r[j + 2] at j = 2 (t0 + l), zero outside [0, W) (the padding).
inline void tile_columns(const float* r, int W, int t0, __m512& a, __m512& b, __m512& c, __m512& d) {
  const int j0 = 2 * t0;
  const __m512 lo = _mm512_maskz_loadu_ps(lanes(W - j0), r + j0), hi = _mm512_maskz_loadu_ps(lanes(W - j0 - 16), r + j0 + 16);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i one = _mm512_set1_epi32(1);
  b = _mm512_permutex2var_ps(lo, even, hi);
  c = _mm512_permutex2var_ps(lo, _mm512_add_epi32(even, one), hi);
  d = _mm512_permutex2var_ps(lo, _mm512_add_epi32(even, _mm512_set1_epi32(2)), hi);  // lane 15 wraps: set below
  a = _mm512_permutex2var_ps(lo, _mm512_sub_epi32(even, one), hi);                   // lane 0 wraps: set below
  d = _mm512_mask_mov_ps(d, __mmask16(0x8000), _mm512_set1_ps(j0 + 32 < W ? r[j0 + 32] : 0.0f));
  a = _mm512_mask_mov_ps(a, __mmask16(1), _mm512_set1_ps(j0 > 0 ? r[j0 - 1] : 0.0f));
}

// V_xi[tx] = (B^T d B)_xi of the tiles (ty, tx), tx < TW, of the channel plane x [H, W]; the V_xi
// planes `vs` apart. The tile reads image rows 2ty-1 .. 2ty+2 and columns 2tx-1 .. 2tx+2.
inline void input_tile_row(float* v, size_t vs, const float* x, int H, int W, int ty, int TW) {
  for (int t0 = 0; t0 < TW; t0 += 16) {
    const __mmask16 k = lanes(TW - t0);
    __m512 h[4][4];  // h[i][j]: row i of the patch after the horizontal transform (d B)
    for (int i = 0; i < 4; ++i) {
      const int row = 2 * ty - 1 + i;
      if (row < 0 || row >= H) {
        h[i][0] = h[i][1] = h[i][2] = h[i][3] = _mm512_setzero_ps();
        continue;
      }
      __m512 a, b, c, d;
      tile_columns(x + static_cast<size_t>(row) * W, W, t0, a, b, c, d);
      h[i][0] = _mm512_sub_ps(a, c);
      h[i][1] = _mm512_add_ps(b, c);
      h[i][2] = _mm512_sub_ps(c, b);
      h[i][3] = _mm512_sub_ps(b, d);
    }
    for (int j = 0; j < 4; ++j) {  // B^T (d B), column j
      _mm512_mask_storeu_ps(v + static_cast<size_t>(0 + j) * vs + t0, k, _mm512_sub_ps(h[0][j], h[2][j]));
      _mm512_mask_storeu_ps(v + static_cast<size_t>(4 + j) * vs + t0, k, _mm512_add_ps(h[1][j], h[2][j]));
      _mm512_mask_storeu_ps(v + static_cast<size_t>(8 + j) * vs + t0, k, _mm512_sub_ps(h[2][j], h[1][j]));
      _mm512_mask_storeu_ps(v + static_cast<size_t>(12 + j) * vs + t0, k, _mm512_sub_ps(h[1][j], h[3][j]));
    }
  }
}

// Where one output row goes: y, and y2 / res of the epilogue (null when unused).
struct OutRow {
  float* y;
  float* y2;
  const float* res;
};

// The epilogue of detail::finish_row on 16 values at column `col` (mask k), the same operations in
// the same order: y = relu(v + bias), y2 = y + add + res.
inline void finish16(__m512 v, const OutRow& o, size_t col, __mmask16 k, __m512 bias, __m512 add, bool relu) {
  v = _mm512_add_ps(v, bias);
  if (relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);  // std::max(v, 0): v when v is NaN
  _mm512_mask_storeu_ps(o.y + col, k, v);
  if (!o.y2) return;
  v = _mm512_add_ps(v, add);
  if (o.res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, o.res + col));
  _mm512_mask_storeu_ps(o.y2 + col, k, v);
}

// Output rows 2ty and 2ty+1 (nrows of them: the second is dropped at the bottom of an odd H) of one
// channel: A^T M A from M_xi[tx] (planes `ms` apart), columns interleaved, through the epilogue.
inline void output_tile_row(const float* m, size_t ms, int TW, int W, const OutRow* rows, int nrows, float bias,
                            float add, bool relu) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  const __m512 vb = _mm512_set1_ps(bias), va = _mm512_set1_ps(add);
  for (int t0 = 0; t0 < TW; t0 += 16) {
    const __mmask16 k = lanes(TW - t0);
    __m512 s[2][4];  // A^T M: rows 0 and 1, columns j
    for (int j = 0; j < 4; ++j) {
      const __m512 m0 = _mm512_maskz_loadu_ps(k, m + static_cast<size_t>(0 + j) * ms + t0);
      const __m512 m1 = _mm512_maskz_loadu_ps(k, m + static_cast<size_t>(4 + j) * ms + t0);
      const __m512 m2 = _mm512_maskz_loadu_ps(k, m + static_cast<size_t>(8 + j) * ms + t0);
      const __m512 m3 = _mm512_maskz_loadu_ps(k, m + static_cast<size_t>(12 + j) * ms + t0);
      s[0][j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
      s[1][j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    const int col = 2 * t0;
    for (int r = 0; r < nrows; ++r) {  // (A^T M) A: columns 2tx and 2tx + 1
      const __m512 y0 = _mm512_add_ps(_mm512_add_ps(s[r][0], s[r][1]), s[r][2]);
      const __m512 y1 = _mm512_sub_ps(_mm512_sub_ps(s[r][1], s[r][2]), s[r][3]);
      finish16(_mm512_permutex2var_ps(y0, lo, y1), rows[r], col, lanes(W - col), vb, va, relu);
      if (W - col > 16) finish16(_mm512_permutex2var_ps(y0, hi, y1), rows[r], col + 16, lanes(W - col - 16), vb, va, relu);
    }
  }
}

// y [N, cout, H, W] = the 3x3 convolution (padding 1) of x [N, cin, H, W] with the transformed
// weights U [16][cout][cin] (transform_weights), plus bias b [cout] (null: none), through the
// epilogue (conv.hpp).
inline void forward(int N, int cin, int cout, int H, int W, float* y, const float* x, const float* U, const float* b,
                    const Epilogue<float>& ep, std::vector<Scratch>& work) {
  const Plan plan(N, H, W);
  const int TH = plan.TH, TW = plan.TW;
  const size_t plane = static_cast<size_t>(H) * W;
#pragma omp parallel for schedule(static)
  for (int chunk = 0; chunk < plan.chunks; ++chunk) {
    Scratch& sc = work[omp_get_thread_num()];
    const int r0 = chunk * plan.rows, r1 = std::min(plan.R, r0 + plan.rows);  // tile rows r = n * TH + ty
    const size_t cols = static_cast<size_t>(r1 - r0) * TW;
    float* v = sc.v.get(16 * static_cast<size_t>(cin) * cols);
    float* m = sc.m.get(16 * static_cast<size_t>(cout) * cols);
    for (int c = 0; c < cin; ++c)  // V_xi [cin, cols]
      for (int r = r0; r < r1; ++r)
        input_tile_row(v + static_cast<size_t>(c) * cols + static_cast<size_t>(r - r0) * TW, cin * cols,
                       x + (static_cast<size_t>(r / TH) * cin + c) * plane, H, W, r % TH, TW);
    for (int xi = 0; xi < 16; ++xi)  // M_xi = U_xi V_xi [cout, cols]
      gemm::kernel(cout, static_cast<int>(cols), cin,
                   gemm::Rows<float>{U + static_cast<size_t>(xi) * cout * cin, static_cast<size_t>(cin)},
                   gemm::Rows<float>{v + static_cast<size_t>(xi) * cin * cols, cols},
                   m + static_cast<size_t>(xi) * cout * cols, cols);
    for (int r = r0; r < r1; ++r) {  // Y = A^T M A through the epilogue
      const int n = r / TH, ty = r % TH, nrows = std::min(2, H - 2 * ty);
      for (int o = 0; o < cout; ++o) {
        OutRow rows[2];
        for (int e = 0; e < nrows; ++e) {
          const size_t at = (static_cast<size_t>(n) * cout + o) * plane + static_cast<size_t>(2 * ty + e) * W;
          rows[e] = {y + at, ep.y2 ? ep.y2 + at : nullptr, ep.res ? ep.res + at : nullptr};
        }
        output_tile_row(m + static_cast<size_t>(o) * cols + static_cast<size_t>(r - r0) * TW, cout * cols, TW, W, rows,
                        nrows, b ? b[o] : 0.0f, ep.chan ? ep.chan[static_cast<size_t>(n) * cout + o] : 0.0f, ep.relu);
      }
    }
  }
}

#else

inline void transform_weights(float*, const float*, int, int, bool) {
  throw std::logic_error("the Winograd convolution needs AVX-512 (winograd::applies is false without it)");
}
inline void forward(int, int, int, int, int, float*, const float*, const float*, const float*, const Epilogue<float>&,
                    std::vector<Scratch>&) {
  throw std::logic_error("the Winograd convolution needs AVX-512 (winograd::applies is false without it)");
}

#endif

}  // namespace qdiff::nn::winograd
