// Stride-1 Conv2d without im2col (internal to src/nn; float on the AVX-512 GEMM kernel).
//
// A zero-padded image xp [C, Hp, Wp] (Hp = H + 2p, Wp = W + 2p) already holds every k x k shifted
// view of the input: the im2col row (c, ki, kj) is xp + c*Hp*Wp + ki*Wp + kj read over an output
// grid Wp wide (Ho rows), whose columns ow >= Wo are computed and dropped. So the GEMM reads its
// operand rows in place (gemm::RowOffsets) instead of a copied [C*k*k, Ho*Wo] matrix:
//   forward     y[o, q]  = b[o] + sum_r W[o, r] xp_row(r)[q]
//   input grad  dx[c, q] = sum_r' Wflip[c, r'] dyp_row(r')[q]   (dy padded by k-1-p; the kernel
//               flipped and transposed: a stride-1 convolution again)
//   weight grad dW^T[r, o] += sum_q xp_row(r)[q] dy[o, q]       (dy on the Wp-wide grid, zeros in
//               the dropped columns)
// The forward spreads images over the OpenMP threads. The backward spreads the leaves of the
// batch's gradient tree (core/reduce.hpp) over them: each leaf's weight-gradient partial is
// accumulated image by image in order, and the caller sums the partials in the tree, so results do
// not depend on the thread count.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.hpp"
#include "qdiff/core/reduce.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::nn::shifted {

inline bool disabled_by_env() {
  static const bool v = gemm::env_is("QDIFF_NN_CONV", "im2col");
  return v;
}

// Whether a Conv2d with kernel k, stride s, padding p takes this path (QDIFF_NN_CONV=im2col
// forces the im2col path, for A/B timing).
inline bool applies(int k, int s, int p) { return gemm::has_kernel() && !disabled_by_env() && s == 1 && p <= k - 1; }

struct Geometry {
  int N, cin, cout, k, p, H, W;
  int Hp() const { return H + 2 * p; }
  int Wp() const { return W + 2 * p; }
  int Ho() const { return Hp() - k + 1; }
  int Wo() const { return Wp() - k + 1; }
  int K() const { return cin * k * k; }
};

// xp [C, H + 2p, W + 2p] followed by `slack` zeros <- x [C, H, W].
inline void pad_planes(float* xp, const float* x, int C, int H, int W, int p, int slack) {
  const int Hp = H + 2 * p, Wp = W + 2 * p;
  std::fill(xp, xp + static_cast<size_t>(C) * Hp * Wp + slack, 0.0f);
  for (int c = 0; c < C; ++c)
    for (int h = 0; h < H; ++h)
      std::memcpy(xp + (static_cast<size_t>(c) * Hp + h + p) * Wp + p, x + (static_cast<size_t>(c) * H + h) * W,
                  W * sizeof(float));
}

// off[(c*k + ki)*k + kj] = offset of the shifted view (c, ki, kj) in a padded [C, Hp, Wp] image.
inline void shifted_offsets(std::vector<int>& off, int C, int Hp, int Wp, int k) {
  off.resize(static_cast<size_t>(C) * k * k);
  for (int c = 0; c < C; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj) off[(static_cast<size_t>(c) * k + ki) * k + kj] = (c * Hp + ki) * Wp + kj;
}

// y: [N,cout,Ho,Wo] <- x: [N,cin,H,W]; w: [cout, cin*k*k], b: [cout].
inline void forward(const Geometry& g, float* y, const float* x, const float* w, const float* b,
                    std::vector<Buf<float>>& pad_buf, std::vector<Buf<float>>& out_buf, std::vector<int>& off) {
  const int Hp = g.Hp(), Wp = g.Wp(), Ho = g.Ho(), Wo = g.Wo(), K = g.K(), L = Ho * Wp;
  shifted_offsets(off, g.cin, Hp, Wp, g.k);
#pragma omp parallel for schedule(static)
  for (int n = 0; n < g.N; ++n) {
    const int tid = omp_get_thread_num();
    float* xp = pad_buf[tid].get(static_cast<size_t>(g.cin) * Hp * Wp + g.k);
    float* out = out_buf[tid].get(static_cast<size_t>(g.cout) * L);  // [cout, Ho*Wp]
    pad_planes(xp, x + static_cast<size_t>(n) * g.cin * g.H * g.W, g.cin, g.H, g.W, g.p, g.k);
    gemm::kernel(g.cout, L, K, gemm::Rows<float>{w, static_cast<size_t>(K)}, gemm::RowOffsets<float>{xp, off.data()},
                 out, static_cast<size_t>(L));
    for (int o = 0; o < g.cout; ++o)
      for (int oh = 0; oh < Ho; ++oh) {
        const float* src = out + static_cast<size_t>(o) * L + oh * Wp;
        float* dst = y + ((static_cast<size_t>(n) * g.cout + o) * Ho + oh) * Wo;
        for (int ow = 0; ow < Wo; ++ow) dst[ow] = src[ow] + b[o];
      }
  }
}

// Writes the per-leaf weight-gradient partials parts[l] ([K, cout] transposed, then `cout` bias sums;
// leaves of tree_leaves(N, kBatchLeaf)) and dx (if not null) from dy: [N,cout,Ho,Wo]. The caller
// sums the partials in the tree.
inline void backward(const Geometry& g, float* dx, const float* x, const float* w, const float* dy,
                     std::vector<Buf<float>>& parts, std::vector<Buf<float>>& pad_buf, std::vector<Buf<float>>& dyp_buf,
                     std::vector<Buf<float>>& dyw_buf, std::vector<Buf<float>>& out_buf, Buf<float>& wflip,
                     std::vector<int>& off, std::vector<int>& doff) {
  const int Hp = g.Hp(), Wp = g.Wp(), Ho = g.Ho(), Wo = g.Wo(), K = g.K(), k = g.k, L = Ho * Wp;
  const int pd = k - 1 - g.p, Hq = Ho + 2 * pd, Wq = Wo + 2 * pd, Kd = g.cout * k * k, Ld = g.H * Wq;
  const bool thick = g.cout >= gemm::kThickRows;  // weight gradient on the kernel (else row dot products)
  shifted_offsets(off, g.cin, Hp, Wp, k);
  float* wf = nullptr;
  if (dx) {  // wf[c, (o, ki, kj)] = w[o, c, k-1-ki, k-1-kj]
    shifted_offsets(doff, g.cout, Hq, Wq, k);
    wf = wflip.get(static_cast<size_t>(g.cin) * Kd);
    for (int o = 0; o < g.cout; ++o)
      for (int c = 0; c < g.cin; ++c)
        for (int ki = 0; ki < k; ++ki)
          for (int kj = 0; kj < k; ++kj)
            wf[static_cast<size_t>(c) * Kd + (o * k + ki) * k + kj] =
                w[((static_cast<size_t>(o) * g.cin + c) * k + (k - 1 - ki)) * k + (k - 1 - kj)];
  }
  const std::vector<TreeLeaf> leaves = tree_leaves(g.N, kBatchLeaf);
#pragma omp parallel for schedule(static)
  for (size_t leaf = 0; leaf < leaves.size(); ++leaf) {
    const int tid = omp_get_thread_num();
    float* part = parts[leaf].get(static_cast<size_t>(K) * g.cout + g.cout);  // [dW^T: K x cout | db]
    float* xp = pad_buf[tid].get(static_cast<size_t>(g.cin) * Hp * Wp + k);
    float* dyw = dyw_buf[tid].get(static_cast<size_t>(g.cout) * L);  // dy on the Wp-wide grid
    for (int n = static_cast<int>(leaves[leaf].begin); n < leaves[leaf].end; ++n) {
      const bool first = n == leaves[leaf].begin;  // the leaf's first image writes its partial
      const float* dyn = dy + static_cast<size_t>(n) * g.cout * Ho * Wo;
      pad_planes(xp, x + static_cast<size_t>(n) * g.cin * g.H * g.W, g.cin, g.H, g.W, g.p, k);
      // dyw: thick: [L, cout] (transposed, the kernel's B); thin: [cout, L]
      for (int o = 0; o < g.cout; ++o)
        for (int oh = 0; oh < Ho; ++oh)
          for (int ow = 0; ow < Wp; ++ow) {
            const float v = ow < Wo ? dyn[(static_cast<size_t>(o) * Ho + oh) * Wo + ow] : 0.0f;
            const size_t q = static_cast<size_t>(oh) * Wp + ow;
            dyw[thick ? q * g.cout + o : static_cast<size_t>(o) * L + q] = v;
          }
      if (thick) {
        const gemm::RowOffsets<float> a{xp, off.data()};
        const gemm::Rows<float> b{dyw, static_cast<size_t>(g.cout)};
        if (first)
          gemm::kernel(K, g.cout, L, a, b, part, static_cast<size_t>(g.cout));
        else
          gemm::kernel<true>(K, g.cout, L, a, b, part, static_cast<size_t>(g.cout));
      } else {
        for (int r = 0; r < K; ++r) {
          const float* a = xp + off[r];
          for (int o = 0; o < g.cout; ++o) {
            const float* d = dyw + static_cast<size_t>(o) * L;
            float s = 0;
#pragma omp simd reduction(+ : s)
            for (int q = 0; q < L; ++q) s += a[q] * d[q];
            float& p = part[static_cast<size_t>(r) * g.cout + o];
            p = first ? s : p + s;
          }
        }
      }
      for (int o = 0; o < g.cout; ++o) {
        float s = 0;
        for (int q = 0; q < Ho * Wo; ++q) s += dyn[static_cast<size_t>(o) * Ho * Wo + q];
        float& p = part[static_cast<size_t>(K) * g.cout + o];
        p = first ? s : p + s;
      }
      if (dx) {
        float* dyp = dyp_buf[tid].get(static_cast<size_t>(g.cout) * Hq * Wq + k);
        float* out = out_buf[tid].get(static_cast<size_t>(g.cin) * Ld);  // [cin, H*Wq]
        pad_planes(dyp, dyn, g.cout, Ho, Wo, pd, k);
        gemm::kernel(g.cin, Ld, Kd, gemm::Rows<float>{wf, static_cast<size_t>(Kd)},
                     gemm::RowOffsets<float>{dyp, doff.data()}, out, static_cast<size_t>(Ld));
        float* dxn = dx + static_cast<size_t>(n) * g.cin * g.H * g.W;
        for (int c = 0; c < g.cin; ++c)
          for (int h = 0; h < g.H; ++h)
            std::memcpy(dxn + (static_cast<size_t>(c) * g.H + h) * g.W, out + static_cast<size_t>(c) * Ld + h * Wq,
                        g.W * sizeof(float));
      }
    }
  }
}

}  // namespace qdiff::nn::shifted
