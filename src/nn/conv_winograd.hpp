// Float Conv2d 3x3, stride 1, padding 1 by Winograd's minimal filtering F(m x m, 3x3), m = 2 or 4
// (internal to src/nn; Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// Each m x m block of outputs ("tile" (ty, tx), output rows m ty .. m ty + m - 1, likewise columns) is
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
// where d is the a x a patch (a = m + 2) of the zero-padded input that the tile reads (padded rows
// m ty .. m ty + a - 1, columns likewise) and g the 3x3 kernel. F(2x2, 3x3):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
// F(4x4, 3x3) (interpolation points 0, 1, -1, 2, -2, infinity):
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
//   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1],
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
// Summed over input channels, the a^2 elementwise products become a^2 GEMMs, one per position xi of
// the transformed tile: M_xi [cout, tiles] = U_xi [cout, cin] V_xi [cin, tiles], with U = G g G^T
// (the weight transform) and V = B^T d B (the input transform). Per output and channel pair that is
// a^2 / m^2 multiply-adds where the direct convolution needs 9: 4 for F(2x2, 3x3) (2.25x fewer),
// 2.25 for F(4x4, 3x3) (4x fewer), whose transformed input is also 2.25x the input's size instead
// of 4x. F(4x4, 3x3) rounds more (its transforms scale by up to 8 and divide by 24): up to about
// 5e-6 of the output's scale in float (measured), 10x F(2x2, 3x3). A size that is not a multiple of m computes one
// more row or column of tiles and drops what lies outside.
//
// The batch's tile rows (image n, tile row ty) are cut into chunks of about 256 (m = 2) or 64
// (m = 4) columns (tiles), spread over the OpenMP threads; every output is the same sum in the
// same order whatever the chunk, so results do not depend on the thread count. The transforms run
// on blocks of 16 consecutive tiles of a chunk, one per vector lane, across tile rows and images
// (Block), so that small images fill the lanes: a tile row has only 7, 4 and 2 tiles at the
// U-Net's 28, 14 and 7 pixels. The GEMMs run on the AVX-512 kernel
// (gemm.hpp); without AVX-512 this path is never taken (applies()).
//
// The stride-1 input gradient is the same convolution of dy with the kernel flipped and transposed
// (conv_shifted.hpp), so it runs here too: convolve(..., flip = true).
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

// The output tile m: 4 (F(4x4, 3x3)), or 2 with QDIFF_NN_WINOGRAD=2; read on every call, like
// QDIFF_NN_CONV.
inline int tile_size() {
  const char* e = std::getenv("QDIFF_NN_WINOGRAD");
  return e && std::strcmp(e, "2") == 0 ? 2 : 4;
}

// Whether a Conv2d with kernel k, stride s, padding p takes this path.
inline bool applies(int k, int s, int p, Precision prec) {
  return k == 3 && s == 1 && p == 1 && prec == Precision::Float32 && gemm::has_kernel() && !disabled_by_env();
}

using Scratch = WinogradScratch;  // per thread (conv.hpp)

// How the batch's N * TH tile rows of m x m tiles are cut: chunks of `rows` tile rows (the last may
// be shorter), about `target` tiles each (fewer for the larger transformed tiles of m = 4).
struct Plan {
  int TH, TW, R, rows, chunks;
  Plan(int N, int H, int W, int m) : TH((H + m - 1) / m), TW((W + m - 1) / m), R(N * TH), rows(1), chunks(0) {
    if (R <= 0 || TW <= 0) return;  // an empty batch or image: nothing to compute
    const int nt = omp_get_max_threads();
    const int target = m == 2 ? 256 : 64;  // tiles a chunk: measured (bench/RESULTS.md)
    rows = std::max(1, target / TW);
    chunks = (R + rows - 1) / rows;
    chunks = std::min(R, (chunks + nt - 1) / nt * nt);  // a multiple of the thread count where possible
    rows = (R + chunks - 1) / chunks;
    chunks = (R + rows - 1) / rows;
  }
};

#if defined(__AVX512F__)

// The a rows of G x for one column x = (x0, x1, x2) of the kernel (a = m + 2).
template <int M>
inline void apply_g(__m512 x0, __m512 x1, __m512 x2, __m512* out) {
  if constexpr (M == 2) {
    const __m512 half = _mm512_set1_ps(0.5f);
    out[0] = x0;
    out[1] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_add_ps(x0, x1), x2));
    out[2] = _mm512_mul_ps(half, _mm512_add_ps(_mm512_sub_ps(x0, x1), x2));
    out[3] = x2;
  } else {
    const __m512 even = _mm512_add_ps(x0, x2);  // x0 + x2, then the points +-1 and +-2
    out[0] = _mm512_mul_ps(_mm512_set1_ps(0.25f), x0);
    out[1] = _mm512_mul_ps(_mm512_set1_ps(-1.0f / 6), _mm512_add_ps(even, x1));
    out[2] = _mm512_mul_ps(_mm512_set1_ps(-1.0f / 6), _mm512_sub_ps(even, x1));
    const __m512 e2 = _mm512_fmadd_ps(_mm512_set1_ps(1.0f / 24), x0, _mm512_mul_ps(_mm512_set1_ps(1.0f / 6), x2));
    out[3] = _mm512_fmadd_ps(_mm512_set1_ps(1.0f / 12), x1, e2);
    out[4] = _mm512_fnmadd_ps(_mm512_set1_ps(1.0f / 12), x1, e2);
    out[5] = x2;
  }
}

// U [a^2][co][ci] = G g G^T for every (o, c), from w [cout][cin][3][3]. flip = false: co = cout,
// ci = cin, g = w[o][c]. flip = true (the input gradient): co = cin, ci = cout, and the kernel of
// (c, o) is w[o][c] rotated by 180 degrees.
template <int M>
inline void transform_weights(float* U, const float* w, int cout, int cin, bool flip) {
  constexpr int A = M + 2;
  const int co = flip ? cin : cout, ci = flip ? cout : cin;
  const size_t n = static_cast<size_t>(co) * ci;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
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
      __m512 t[3][A];  // G g, column by column: t[s][r] = (G g)[r][s]
      for (int s = 0; s < 3; ++s) apply_g<M>(g[s], g[3 + s], g[6 + s], t[s]);
      float* dst = U + static_cast<size_t>(a) * ci + b0;
      for (int r = 0; r < A; ++r) {  // (G g) G^T, row r
        __m512 u[A];
        apply_g<M>(t[0][r], t[1][r], t[2][r], u);
        for (int j = 0; j < A; ++j) _mm512_mask_storeu_ps(dst + static_cast<size_t>(A * r + j) * n, k, u[j]);
      }
    }
}

inline __mmask16 lanes(int n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

// out = B^T x for one column x [a] of a patch.
template <int M>
inline void apply_bt(const __m512* x, __m512* out) {
  if constexpr (M == 2) {
    out[0] = _mm512_sub_ps(x[0], x[2]);
    out[1] = _mm512_add_ps(x[1], x[2]);
    out[2] = _mm512_sub_ps(x[2], x[1]);
    out[3] = _mm512_sub_ps(x[1], x[3]);
  } else {
    const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f), two = _mm512_set1_ps(2.0f);
    const __m512 d13 = _mm512_sub_ps(x[1], x[3]), d42 = _mm512_sub_ps(x[4], x[2]);
    out[0] = _mm512_fmadd_ps(four, x[0], _mm512_fnmadd_ps(five, x[2], x[4]));
    out[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(x[1], x[2]), _mm512_add_ps(x[3], x[4]));
    out[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(x[1], x[2]), _mm512_sub_ps(x[4], x[3]));
    out[3] = _mm512_fnmadd_ps(two, d13, d42);
    out[4] = _mm512_fmadd_ps(two, d13, d42);
    out[5] = _mm512_fmadd_ps(four, x[1], _mm512_fnmadd_ps(five, x[3], x[5]));
  }
}

// out = A^T x for one column x [a] of a transformed tile: m values.
template <int M>
inline void apply_at(const __m512* x, __m512* out) {
  if constexpr (M == 2) {
    out[0] = _mm512_add_ps(_mm512_add_ps(x[0], x[1]), x[2]);
    out[1] = _mm512_sub_ps(_mm512_sub_ps(x[1], x[2]), x[3]);
  } else {
    const __m512 s12 = _mm512_add_ps(x[1], x[2]), d12 = _mm512_sub_ps(x[1], x[2]);
    const __m512 s34 = _mm512_add_ps(x[3], x[4]), d34 = _mm512_sub_ps(x[3], x[4]);
    out[0] = _mm512_add_ps(_mm512_add_ps(x[0], s12), s34);
    out[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d34, d12);
    out[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), s34, s12);
    out[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d34, d12), x[5]);
  }
}

// A block: 16 consecutive tiles of a chunk, lanes l0 .. l0 + 15 of the chunk's tile sequence (its
// tile rows one after another, TW tiles each), so that small images fill the vector lanes too (at
// 7 x 7 pixels a tile row has only 2 tiles). The tile rows a block covers are its segments; lane l
// of a segment is its row's tile tx = l0 + l - (r - r0) TW, whose columns start at shift + m l.
struct Segment {
  int n, ty;           // image and tile row of the chunk's tile row r
  int shift;           // m (l0 - (r - r0) TW): column of lane 0's tile (may lie outside the image)
  __mmask16 part[4];   // part[k]: elements e of the columns shift + 16 k + e that lie in [0, W)
};
struct Block {
  int l0, n_lanes, n_seg;
  Segment seg[17];         // at most 16 rows of one tile, and one more cut at each end
  __mmask16 first, last;   // lanes whose tile is the first / last of its tile row
  int before, after;       // columns of lane 0's left and lane 15's right neighbour in their rows, or -1
};

inline __mmask16 columns_in(int from, int W) {  // elements e < 16 with 0 <= from + e < W
  const int lo = std::max(0, -from), hi = std::min(16, W - from);
  return hi > lo ? __mmask16(((1u << hi) - 1) & ~((1u << lo) - 1)) : __mmask16(0);
}

// The blocks of a chunk: tile rows r0 .. r1 - 1 (r = n TH + ty), TW tiles of m columns each.
inline std::vector<Block> make_blocks(int r0, int r1, int TH, int TW, int W, int m) {
  std::vector<Block> blocks;
  const int cols = (r1 - r0) * TW;
  for (int l0 = 0; l0 < cols; l0 += 16) {
    Block b{};
    b.l0 = l0;
    b.n_lanes = std::min(16, cols - l0);
    for (int r = r0 + l0 / TW; r < r1 && (r - r0) * TW < l0 + b.n_lanes; ++r) {
      Segment& sg = b.seg[b.n_seg++];
      sg.n = r / TH;
      sg.ty = r % TH;
      sg.shift = m * (l0 - (r - r0) * TW);
      for (int k = 0; k < m; ++k) sg.part[k] = columns_in(sg.shift + 16 * k, W);
      const int head = (r - r0) * TW - l0, tail = head + TW - 1;  // lanes of tiles 0 and TW - 1
      if (head >= 0 && head < 16) b.first |= __mmask16(1u << head);
      if (tail >= 0 && tail < 16) b.last |= __mmask16(1u << tail);
    }
    const int tx0 = b.seg[0].shift / m, tx15 = 15 + b.seg[b.n_seg - 1].shift / m;  // lane 0's and lane 15's tiles
    b.before = tx0 > 0 ? m * tx0 - 1 : -1;
    b.after = b.n_lanes == 16 && tx15 < TW - 1 ? m * (tx15 + 1) : -1;
    blocks.push_back(b);
  }
  return blocks;
}

// Patch row i of the block's tiles in one channel (x: that channel of image 0; images `img` floats
// apart): c[j][l] = the value at column j - 1 of lane l's tile in its row m ty - 1 + i, j < a =
// m + 2, zero outside the image (the padding).
template <int M>
inline void block_columns(const Block& b, const float* x, size_t img, int H, int W, int i, __m512* c) {
  __m512 q[M];  // columns shift + 16 k .. + 15 of each segment's row, merged over the segments
  for (int k = 0; k < M; ++k) q[k] = _mm512_setzero_ps();
  float before = 0.0f, after = 0.0f;
  for (int s = 0; s < b.n_seg; ++s) {
    const Segment& sg = b.seg[s];
    const int row = M * sg.ty - 1 + i;
    if (row < 0 || row >= H) continue;
    const float* r = x + sg.n * img + static_cast<size_t>(row) * W;
    for (int k = 0; k < M; ++k)
      if (sg.part[k]) q[k] = _mm512_mask_loadu_ps(q[k], sg.part[k], r + (sg.shift + 16 * k));
    if (s == 0 && b.before >= 0) before = r[b.before];
    if (s == b.n_seg - 1 && b.after >= 0) after = r[b.after];
  }
  if constexpr (M == 2) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i one = _mm512_set1_epi32(1);
    c[1] = _mm512_permutex2var_ps(q[0], even, q[1]);
    c[2] = _mm512_permutex2var_ps(q[0], _mm512_add_epi32(even, one), q[1]);
    c[3] = _mm512_permutex2var_ps(q[0], _mm512_add_epi32(even, _mm512_set1_epi32(2)), q[1]);  // lane 15 wraps: set below
    c[0] = _mm512_permutex2var_ps(q[0], _mm512_sub_epi32(even, one), q[1]);                   // lane 0 wraps: set below
    c[3] = _mm512_mask_mov_ps(c[3], __mmask16(0x8000), _mm512_set1_ps(after));
    c[0] = _mm512_mask_mov_ps(c[0], __mmask16(1), _mm512_set1_ps(before));
  } else {
    // The four phases p_s[l] = column shift + 4 l + s: lanes 0-7 from q[0], q[1], lanes 8-15 from
    // q[2], q[3].
    const __m512i by4 = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
    for (int s = 0; s < 4; ++s) {
      const __m512i idx = _mm512_add_epi32(by4, _mm512_set1_epi32(s));
      c[1 + s] = _mm512_shuffle_f32x4(_mm512_permutex2var_ps(q[0], idx, q[1]), _mm512_permutex2var_ps(q[2], idx, q[3]), 0x44);
    }
    // c[0][l] = p_3[l - 1] (lane 0: before); c[5][l] = p_0[l + 1] (lane 15: after)
    c[0] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(c[4]), _mm512_castps_si512(_mm512_set1_ps(before)), 15));
    c[5] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(after)), _mm512_castps_si512(c[1]), 1));
  }
  // a tile's left neighbour column of its first tile and right one of its last are padding, not the
  // neighbouring lane's row
  c[0] = _mm512_maskz_mov_ps(__mmask16(~b.first), c[0]);
  c[M + 1] = _mm512_maskz_mov_ps(__mmask16(~b.last), c[M + 1]);
}

// V_xi[l0 + l] = (B^T d B)_xi of the block's tiles in one channel (x, img: as block_columns); the
// V_xi planes `vs` apart.
template <int M>
inline void input_block(float* v, size_t vs, const Block& b, const float* x, size_t img, int H, int W) {
  constexpr int A = M + 2;
  const __mmask16 k = lanes(b.n_lanes);
  __m512 h[A][A];  // h[j][i]: row i of the patch after the horizontal transform (d B), column j
  for (int i = 0; i < A; ++i) {
    __m512 c[A], t[A];
    block_columns<M>(b, x, img, H, W, i, c);
    apply_bt<M>(c, t);
    for (int j = 0; j < A; ++j) h[j][i] = t[j];
  }
  for (int j = 0; j < A; ++j) {  // B^T (d B), column j
    __m512 out[A];
    apply_bt<M>(h[j], out);
    for (int i = 0; i < A; ++i) _mm512_mask_storeu_ps(v + static_cast<size_t>(A * i + j) * vs + b.l0, k, out[i]);
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
inline void finish16(__m512 v, const OutRow& o, ptrdiff_t col, __mmask16 k, __m512 bias, __m512 add, bool relu) {
  v = _mm512_add_ps(v, bias);
  if (relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);  // std::max(v, 0): v when v is NaN
  _mm512_mask_storeu_ps(o.y + col, k, v);
  if (!o.y2) return;
  v = _mm512_add_ps(v, add);
  if (o.res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, o.res + col));
  _mm512_mask_storeu_ps(o.y2 + col, k, v);
}

// The m values y[c][l] (column c of lane l's tile) interleaved into m vectors w, w[k] holding the
// 16 columns shift + 16 k .. of the lanes' rows (as Segment::part).
template <int M>
inline void interleave_columns(const __m512* y, __m512* w) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  if constexpr (M == 2) {
    w[0] = _mm512_permutex2var_ps(y[0], lo, y[1]);
    w[1] = _mm512_permutex2var_ps(y[0], hi, y[1]);
  } else {
    // pairs (y0, y1) and (y2, y3) interleaved, then the pairs as 64-bit elements
    const __m512d p01[2] = {_mm512_castps_pd(_mm512_permutex2var_ps(y[0], lo, y[1])),
                            _mm512_castps_pd(_mm512_permutex2var_ps(y[0], hi, y[1]))};
    const __m512d p23[2] = {_mm512_castps_pd(_mm512_permutex2var_ps(y[2], lo, y[3])),
                            _mm512_castps_pd(_mm512_permutex2var_ps(y[2], hi, y[3]))};
    const __m512i lo64 = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), hi64 = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    for (int q = 0; q < 4; ++q) w[q] = _mm512_castpd_ps(_mm512_permutex2var_pd(p01[q / 2], q % 2 ? hi64 : lo64, p23[q / 2]));
  }
}

// Output channel o of the block's tiles: Y = A^T M A from M_xi[l0 + l] (m: M_0 of channel o, planes
// `ms` apart), through the epilogue into y [N, cout, H, W] (bias: b[o]).
template <int M>
inline void output_block(const float* m, size_t ms, const Block& b, int o, int cout, int H, int W, float* y,
                         float bias, const Epilogue<float>& ep) {
  constexpr int A = M + 2;
  const size_t plane = static_cast<size_t>(H) * W;
  const __mmask16 k = lanes(b.n_lanes);
  const __m512 vb = _mm512_set1_ps(bias);
  __m512 s[M][A];  // A^T M: rows r, columns j
  for (int j = 0; j < A; ++j) {
    __m512 col[A], out[M];
    for (int i = 0; i < A; ++i) col[i] = _mm512_maskz_loadu_ps(k, m + static_cast<size_t>(A * i + j) * ms + b.l0);
    apply_at<M>(col, out);
    for (int r = 0; r < M; ++r) s[r][j] = out[r];
  }
  for (int e = 0; e < M; ++e) {  // (A^T M) A: output row e of every tile
    __m512 t[M], w[M];
    apply_at<M>(s[e], t);
    interleave_columns<M>(t, w);
    for (int g = 0; g < b.n_seg; ++g) {
      const Segment& sg = b.seg[g];
      if (M * sg.ty + e >= H) continue;  // the bottom tile row of an H that is not a multiple of m
      const size_t nc = static_cast<size_t>(sg.n) * cout + o, at = nc * plane + static_cast<size_t>(M * sg.ty + e) * W;
      const OutRow row{y + at, ep.y2 ? ep.y2 + at : nullptr, ep.res ? ep.res + at : nullptr};
      const __m512 add = _mm512_set1_ps(ep.chan ? ep.chan[nc] : 0.0f);
      for (int q = 0; q < M; ++q)
        if (sg.part[q]) finish16(w[q], row, sg.shift + 16 * q, sg.part[q], vb, add, ep.relu);
    }
  }
}

// The distance between two planes of n floats: n rounded up to 4 KiB, plus one cache line.
inline size_t plane_stride(size_t n) { return (n + 1023) / 1024 * 1024 + 16; }

// y [N, cout, H, W] = the 3x3 convolution (padding 1) of x [N, cin, H, W] with the transformed
// weights U [a^2][cout][cin] (transform_weights<M>), plus bias b [cout] (null: none), through the
// epilogue (conv.hpp).
template <int M>
inline void forward(int N, int cin, int cout, int H, int W, float* y, const float* x, const float* U, const float* b,
                    const Epilogue<float>& ep, std::vector<Scratch>& work) {
  constexpr int P = (M + 2) * (M + 2);  // positions of a transformed tile
  const Plan plan(N, H, W, M);
  const int TH = plan.TH, TW = plan.TW;
  const size_t plane = static_cast<size_t>(H) * W;
#pragma omp parallel for schedule(static)
  for (int chunk = 0; chunk < plan.chunks; ++chunk) {
    Scratch& sc = work[omp_get_thread_num()];
    const int r0 = chunk * plan.rows, r1 = std::min(plan.R, r0 + plan.rows);  // tile rows r = n * TH + ty
    const size_t cols = static_cast<size_t>(r1 - r0) * TW;
    // The planes V_xi, M_xi lie vs, ms floats apart: one cache line past a multiple of 4 KiB, so that
    // the transforms' a^2 streams (one per plane) fall in different L1 sets.
    const size_t vs = plane_stride(static_cast<size_t>(cin) * cols), ms = plane_stride(static_cast<size_t>(cout) * cols);
    float* v = sc.v.get(P * vs);
    float* m = sc.m.get(P * ms);
    const std::vector<Block> blocks = make_blocks(r0, r1, TH, TW, W, M);
    for (int c = 0; c < cin; ++c)  // V_xi [cin, cols]
      for (const Block& bl : blocks)
        input_block<M>(v + static_cast<size_t>(c) * cols, vs, bl, x + static_cast<size_t>(c) * plane, cin * plane, H, W);
    for (int xi = 0; xi < P; ++xi)  // M_xi = U_xi V_xi [cout, cols]
      gemm::kernel(cout, static_cast<int>(cols), cin,
                   gemm::Rows<float>{U + static_cast<size_t>(xi) * cout * cin, static_cast<size_t>(cin)},
                   gemm::Rows<float>{v + xi * vs, cols}, m + xi * ms, cols);
    for (int o = 0; o < cout; ++o)  // Y = A^T M A through the epilogue
      for (const Block& bl : blocks)
        output_block<M>(m + static_cast<size_t>(o) * cols, ms, bl, o, cout, H, W, y, b ? b[o] : 0.0f, ep);
  }
}

// The weight transform, then the convolution, with m x m tiles (see convolve).
template <int M>
inline void convolve_tiles(int N, int cout, int cin, bool flip, int H, int W, float* y, const float* x,
                           const float* w, const float* b, const Epilogue<float>& ep, Buf<float>& U,
                           std::vector<Scratch>& work) {
  const int co = flip ? cin : cout, ci = flip ? cout : cin;
  transform_weights<M>(U.get(static_cast<size_t>(M + 2) * (M + 2) * cout * cin), w, cout, cin, flip);
  forward<M>(N, ci, co, H, W, y, x, U.data(), b, ep, work);
}

// y [N, co, H, W] = the 3x3 convolution (padding 1) of x [N, ci, H, W] with w [cout][cin][3][3]
// (flip = false: co = cout, ci = cin; flip = true, the input gradient: co = cin, ci = cout, the
// kernel flipped and transposed), plus bias b [co] (null: none), through the epilogue; U holds the
// transformed weights. The tile size is tile_size().
inline void convolve(int N, int cout, int cin, bool flip, int H, int W, float* y, const float* x, const float* w,
                     const float* b, const Epilogue<float>& ep, Buf<float>& U, std::vector<Scratch>& work) {
  if (tile_size() == 2)
    convolve_tiles<2>(N, cout, cin, flip, H, W, y, x, w, b, ep, U, work);
  else
    convolve_tiles<4>(N, cout, cin, flip, H, W, y, x, w, b, ep, U, work);
}

#else

inline void convolve(int, int, int, bool, int, int, float*, const float*, const float*, const float*,
                     const Epilogue<float>&, Buf<float>&, std::vector<Scratch>&) {
  throw std::logic_error("the Winograd convolution needs AVX-512 (winograd::applies is false without it)");
}

#endif

}  // namespace qdiff::nn::winograd
