// Layout transforms under the convolutions (internal to src/nn): im2col / col2im with a row
// stride, so that several images share one column matrix, and the moves between per-image
// channel planes and the block matrices the GEMMs read.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace qdiff::nn::detail {

// Output columns ow whose input column iw = ow*s + off lies in [0, W): [lo, hi).
inline void valid_range(int off, int s, int W, int Wo, int& lo, int& hi) {
  lo = off >= 0 ? 0 : std::min(Wo, (-off + s - 1) / s);
  hi = W - off <= 0 ? 0 : std::min(Wo, (W - off + s - 1) / s);
  if (hi < lo) hi = lo;
}

// im2col writing rows of length Ho*Wo at stride `ld` (so several images can share one col matrix).
template <class T>
void im2col_ld(T* col, size_t ld, const T* x, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  // x: [C,H,W] -> col: [C*k*k, ld] (first Ho*Wo columns)
  for (int c = 0; c < C; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj) {
        T* row = col + (static_cast<size_t>(c * k + ki) * k + kj) * ld;
        const int off = kj - p;  // iw = ow*s + off
        int lo, hi;
        valid_range(off, s, W, Wo, lo, hi);
        for (int oh = 0; oh < Ho; ++oh) {
          const int ih = oh * s - p + ki;
          T* r = row + oh * Wo;
          if (ih < 0 || ih >= H) {
            std::fill(r, r + Wo, T(0));
            continue;
          }
          const T* xr = x + (static_cast<size_t>(c) * H + ih) * W;
          for (int ow = 0; ow < lo; ++ow) r[ow] = T(0);
          if (s == 1) {
#pragma omp simd
            for (int ow = lo; ow < hi; ++ow) r[ow] = xr[ow + off];
          } else {
            for (int ow = lo; ow < hi; ++ow) r[ow] = xr[ow * s + off];
          }
          for (int ow = hi; ow < Wo; ++ow) r[ow] = T(0);
        }
      }
}

// Adjoint of im2col_ld: x: [C,H,W] += scatter(col: [C*k*k, ld]).
template <class T>
void col2im_add_ld(T* x, const T* col, size_t ld, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  for (int c = 0; c < C; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj) {
        const T* row = col + (static_cast<size_t>(c * k + ki) * k + kj) * ld;
        const int off = kj - p;  // iw = ow*s + off
        int lo, hi;
        valid_range(off, s, W, Wo, lo, hi);
        for (int oh = 0; oh < Ho; ++oh) {
          const int ih = oh * s - p + ki;
          if (ih < 0 || ih >= H) continue;
          T* xr = x + (static_cast<size_t>(c) * H + ih) * W;
          const T* r = row + oh * Wo;
          if (s == 1) {
#pragma omp simd
            for (int ow = lo; ow < hi; ++ow) xr[ow + off] += r[ow];
          } else {
            for (int ow = lo; ow < hi; ++ow) xr[ow * s + off] += r[ow];
          }
        }
      }
}

// im2col of m consecutive images [m, C, H, W] side by side: col [C*k*k, m*Ho*Wo].
template <class T>
void im2col_block(T* col, const T* x, int m, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  const size_t P = static_cast<size_t>(Ho) * Wo;
  for (int j = 0; j < m; ++j)
    im2col_ld(col + j * P, m * P, x + static_cast<size_t>(j) * C * H * W, C, H, W, k, s, p, Ho, Wo);
}

// Channel planes of m consecutive images as rows: src [m, C, P] -> dst [m*P, C].
template <class T>
void planes_to_rows(T* dst, const T* src, int m, int C, int P) {
  for (int j = 0; j < m; ++j)
    for (int c = 0; c < C; ++c) {
      const T* s = src + (static_cast<size_t>(j) * C + c) * P;
      T* d = dst + static_cast<size_t>(j) * P * C + c;
      for (int q = 0; q < P; ++q) d[static_cast<size_t>(q) * C] = s[q];
    }
}

// Channel planes of m consecutive images into one block matrix: src [m, C, P] -> dst [C, m*P].
template <class T>
void images_to_block(T* dst, const T* src, int m, int C, int P) {
  const size_t cols = static_cast<size_t>(m) * P;
  for (int j = 0; j < m; ++j)
    for (int c = 0; c < C; ++c)
      std::memcpy(dst + c * cols + static_cast<size_t>(j) * P, src + (static_cast<size_t>(j) * C + c) * P, P * sizeof(T));
}
// And back: src [C, m*P] -> dst [m, C, P].
template <class T>
void block_to_images(T* dst, const T* src, int m, int C, int P) {
  const size_t cols = static_cast<size_t>(m) * P;
  for (int j = 0; j < m; ++j)
    for (int c = 0; c < C; ++c)
      std::memcpy(dst + (static_cast<size_t>(j) * C + c) * P, src + c * cols + static_cast<size_t>(j) * P, P * sizeof(T));
}

}  // namespace qdiff::nn::detail
