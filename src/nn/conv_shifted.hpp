// Float Conv2d without im2col (internal to src/nn; on the AVX-512 GEMM kernel, or in bf16 on the
// AVX512_BF16 one).
//
// The zero-padded image xpad [C, Hp, Wp] (Hp = H + 2p) split into its s x s stride phases,
//   xp[c][a][b][i][j] = xpad[c][s*i + a][s*j + b]   (planes of Hs x Ws, Hs = ceil(Hp / s)),
// already holds every row of the im2col matrix: row (c, ki, kj) at output (oh, ow) is
// xpad[c][s*oh + ki][s*ow + kj] = xp[c][ki%s][kj%s][oh + ki/s][ow + kj/s], i.e. the plane
// (c, ki%s, kj%s) read from offset (ki/s)*Ws + kj/s over an output grid Ws wide (Ho rows), whose
// columns ow >= Wo are computed and dropped. So the GEMM reads its operand rows in place
// (gemm::RowOffsets) instead of a copied [C*k*k, Ho*Wo] matrix (stride 1: one phase, the padded
// image itself, in rows narrower than W + 2p: see Layout):
//   forward     y[o, q]  = b[o] + sum_r W[o, r] xp_row(r)[q]
//   weight grad dW^T[r, o] += sum_q xp_row(r)[q] dy[o, q]     (dy on the Ws-wide grid, zeros in
//               the dropped columns)
//   input grad  stride 1: dx[c, q] = sum_r' Wflip[c, r'] dyp_row(r')[q] (dy padded by k-1-p, the
//               kernel flipped and transposed: a stride-1 convolution again);
//               stride > 1: dcol = W^T dy [K, L], each row added back at its offset into the
//               phases of dxpad (the adjoint of the read), then dx taken out of the phases.
// bf16 (precision.hpp): the same GEMMs on bfloat16 operands. The forward and the stride-1 input
// gradient pair up channels (c, c+1): an image of Pairs [C/2][planes] read at the same offsets,
// against weights in channel pairs; the weight gradient pairs up neighbouring grid positions q:
// the image as bfloat16 read at the row offsets, against rows of dy in pairs.
// The forward spreads images over the OpenMP threads. The backward spreads the leaves of the
// batch's gradient tree (core/reduce.hpp) over them: each leaf's weight-gradient partial is
// accumulated image by image in order, and the caller sums the partials in the tree, so results do
// not depend on the thread count.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_blocks.hpp"
#include "gemm.hpp"
#include "gemm_bf16.hpp"
#include "qdiff/core/reduce.hpp"
#include "qdiff/nn/conv.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::nn::shifted {

inline bool disabled_by_env() {
  static const bool v = gemm::env_is("QDIFF_NN_CONV", "im2col");
  return v;
}

// Whether a Conv2d with kernel k, stride s, padding p takes this path (QDIFF_NN_CONV=im2col
// forces the im2col path, for A/B timing). bf16 needs no AVX-512 float kernel.
inline bool applies(int k, int s, int p, Precision prec) {
  return (prec == Precision::BF16 || gemm::has_kernel()) && !disabled_by_env() && p <= k - 1 && s <= k;
}

// How an image [C, H, W] is laid out for a k x k convolution of stride s with padding p, and the
// wide output grid read from it.
//   s = 1: rows Ws = W + max(p, k-1-p) wide: the W values, then zeros that serve both as this
//          row's right padding and the next row's left padding (a row read from column -p starts
//          in the previous row's zeros); p zero rows above and below; `lead` = p zeros before the
//          first channel. (Rows W + 2p wide would waste 2p/(W+2p) of the GEMM: 22% at 7x7.)
//   s > 1: the s x s phases, planes of Hs x Ws = ceil(Hp/s) x ceil(Wp/s).
// Then `slack` zeros: the wide grid reads up to k-1 past the last plane, the bf16 weight gradient
// one more pair.
struct Layout {
  int C, H, W, k, s, p;
  int Hp() const { return H + 2 * p; }
  int Hs() const { return (Hp() + s - 1) / s; }
  int Ws() const { return s == 1 ? W + std::max(p, k - 1 - p) : (W + 2 * p + s - 1) / s; }
  int lead() const { return s == 1 ? p : 0; }
  size_t plane() const { return static_cast<size_t>(Hs()) * Ws(); }
  size_t per() const { return static_cast<size_t>(s) * s * plane(); }  // one channel's planes
  static constexpr int slack(int k) { return k + 2; }
  size_t size() const { return lead() + C * per() + slack(k); }
  int Ho() const { return (Hp() - k) / s + 1; }
  int Wo() const { return (W + 2 * p - k) / s + 1; }
  int L() const { return Ho() * Ws(); }  // the wide output grid: Ho rows of Ws (columns >= Wo dropped)
};

struct Geometry {
  int N, cin, cout, k, s, p, H, W;
  Layout in() const { return {cin, H, W, k, s, p}; }
  int K() const { return cin * k * k; }
};

// xp (l.size() floats) <- x [C, H, W] in layout l.
inline void pad_image(float* xp, const float* x, const Layout& l) {
  const int Hs = l.Hs(), Ws = l.Ws(), s = l.s, p = l.p, H = l.H, W = l.W;
  const size_t plane = l.plane();
  std::fill(xp, xp + l.lead(), 0.0f);
  float* img = xp + l.lead();
  for (int c = 0; c < l.C; ++c) {
    const float* xc = x + static_cast<size_t>(c) * H * W;
    for (int a = 0; a < s; ++a)
      for (int b = 0; b < s; ++b) {
        float* dst = img + ((static_cast<size_t>(c) * s + a) * s + b) * plane;
        for (int i = 0; i < Hs; ++i) {
          float* row = dst + static_cast<size_t>(i) * Ws;
          const int h = s * i + a - p;
          if (h < 0 || h >= H) {
            std::fill(row, row + Ws, 0.0f);
            continue;
          }
          const float* src = xc + static_cast<size_t>(h) * W;
          if (s == 1) {  // [W values | zeros]
            for (int w = 0; w < W; ++w) row[w] = src[w];
            std::fill(row + W, row + Ws, 0.0f);
          } else {
            for (int j = 0; j < Ws; ++j) {
              const int w = s * j + b - p;
              row[j] = w >= 0 && w < W ? src[w] : 0.0f;
            }
          }
        }
      }
  }
  std::fill(img + l.C * l.per(), img + l.C * l.per() + Layout::slack(l.k), 0.0f);
}

// off[(c*k + ki)*k + kj] = where row (c, ki, kj) of the im2col matrix starts in an image of
// layout l with C channels (C = l.C, or ceil(l.C / 2) for its channel pairs).
inline void row_offsets(std::vector<int>& off, const Layout& l, int C) {
  const int k = l.k, s = l.s, Ws = l.Ws(), shift = s == 1 ? -l.p : 0;
  off.resize(static_cast<size_t>(C) * k * k);
  for (int c = 0; c < C; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj)
        off[(static_cast<size_t>(c) * k + ki) * k + kj] = static_cast<int>(
            l.lead() + c * l.per() + ((ki % s) * s + kj % s) * l.plane() + (ki / s) * Ws + kj / s + shift);
}

// The channel pairs of an image in layout l: dst (lead, ceil(C/2) x per, slack) with pair
// (c, c+1) of src's channels, the odd last channel paired with zeros.
inline void channel_pairs(bf16::Pair* dst, const float* src, const Layout& l) {
  const int C2 = (l.C + 1) / 2, lead = l.lead();
  const size_t per = l.per();
  std::fill(dst, dst + lead, 0u);
  for (int c2 = 0; c2 < C2; ++c2)
    bf16::to_pairs(dst + lead + c2 * per, src + lead + 2 * c2 * per,
                   2 * c2 + 1 < l.C ? src + lead + (2 * c2 + 1) * per : nullptr, per);
  std::fill(dst + lead + C2 * per, dst + lead + C2 * per + Layout::slack(l.k), 0u);
}

// A weight [M][C][kk] as bfloat16 rows in channel pairs: dst [M][ceil(C/2)][kk][2].
inline void weight_channel_pairs(bf16::Half* dst, const float* w, int M, int C, int kk) {
  const int C2 = (C + 1) / 2;
  for (int m = 0; m < M; ++m)
    for (int c2 = 0; c2 < C2; ++c2)
      for (int r = 0; r < kk; ++r)
        for (int e = 0; e < 2; ++e) {
          const int c = 2 * c2 + e;
          dst[((static_cast<size_t>(m) * C2 + c2) * kk + r) * 2 + e] =
              c < C ? bf16::round_half(w[(static_cast<size_t>(m) * C + c) * kk + r]) : bf16::Half(0);
        }
}

// out [M, l.L()] = W [M][C*kk] x (rows of the image `img` in layout l at `off`), in float or in
// bf16 (`wh` the weight in channel pairs, `pairs` scratch for the image's channel pairs, `off2`
// their offsets).
inline void conv_gemm(Precision prec, int M, const Layout& l, const float* w, const bf16::Half* wh, const float* img,
                      const std::vector<int>& off, const std::vector<int>& off2, Buf<uint32_t>& pairs, float* out) {
  const int L = l.L(), C = l.C, kk = l.k * l.k;
  if (prec == Precision::BF16) {
    const int C2 = (C + 1) / 2;
    bf16::Pair* ip = pairs.get(l.lead() + C2 * l.per() + Layout::slack(l.k));
    channel_pairs(ip, img, l);
    thread_local std::vector<int> aoff;
    aoff.resize(M);
    for (int m = 0; m < M; ++m) aoff[m] = m * 2 * C2 * kk;
    bf16::gemm(M, L, C2 * kk, {wh, aoff.data()}, {ip, off2.data()}, out, static_cast<size_t>(L), false);
  } else {
    const int K = C * kk;
    gemm::kernel(M, L, K, gemm::Rows<float>{w, static_cast<size_t>(K)}, gemm::RowOffsets<float>{img, off.data()}, out,
                 static_cast<size_t>(L));
  }
}

// y: [N,cout,Ho,Wo] <- x: [N,cin,H,W]; w: [cout, cin*k*k], b: [cout]; wh: scratch for bf16 weights.
inline void forward(const Geometry& g, Precision prec, float* y, const float* x, const float* w, const float* b,
                    const Epilogue<float>& ep, std::vector<ShiftedScratch>& work, Buf<uint16_t>& wh,
                    std::vector<int>& off, std::vector<int>& off2) {
  const Layout in = g.in();
  const int Ws = in.Ws(), Ho = in.Ho(), Wo = in.Wo(), L = in.L(), kk = g.k * g.k;
  row_offsets(off, in, g.cin);
  bf16::Half* whp = nullptr;
  if (prec == Precision::BF16) {
    row_offsets(off2, in, (g.cin + 1) / 2);
    whp = wh.get(static_cast<size_t>(g.cout) * ((g.cin + 1) / 2) * kk * 2);
    weight_channel_pairs(whp, w, g.cout, g.cin, kk);
  }
#pragma omp parallel for schedule(static)
  for (int n = 0; n < g.N; ++n) {
    ShiftedScratch& sc = work[omp_get_thread_num()];
    float* xp = sc.img.get(in.size());
    float* out = sc.out.get(static_cast<size_t>(g.cout) * L);  // [cout, Ho*Ws]
    pad_image(xp, x + static_cast<size_t>(n) * g.cin * g.H * g.W, in);
    conv_gemm(prec, g.cout, in, w, whp, xp, off, off2, sc.img_pairs, out);
    for (int o = 0; o < g.cout; ++o) {
      const size_t at = (static_cast<size_t>(n) * g.cout + o) * Ho * Wo;
      const float add = ep.chan ? ep.chan[static_cast<size_t>(n) * g.cout + o] : 0.0f;
      for (int oh = 0; oh < Ho; ++oh) {
        const size_t r = at + static_cast<size_t>(oh) * Wo;
        detail::finish_row(y + r, out + static_cast<size_t>(o) * L + oh * Ws, Wo, b[o], ep, ep.y2 ? ep.y2 + r : nullptr, add,
                   ep.res ? ep.res + r : nullptr);
      }
    }
  }
}

#if defined(__AVX512F__)
// r[i][j] <- r[j][i] for a 16 x 16 block of floats held in 16 registers.
inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {  // per 128-bit lane: t[i] = elements 0-1 of rows i, i+1 interleaved, t[i+1] = 2-3
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {  // u[i + e]: element e of each 128-bit lane, rows i..i+3
    for (int h = 0; h < 2; ++h) {
      const __m512d a = _mm512_castps_pd(t[i + h]), b = _mm512_castps_pd(t[i + 2 + h]);
      u[i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
      u[i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    }
  }
  for (int e = 0; e < 4; ++e) {  // gather lane l of u[e], u[4+e], u[8+e], u[12+e] into row 4l + e
    const __m512 v = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x88), w = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xDD);
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x88), w2 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xDD);
    r[e] = _mm512_shuffle_f32x4(v, v2, 0x88);
    r[8 + e] = _mm512_shuffle_f32x4(v, v2, 0xDD);
    r[4 + e] = _mm512_shuffle_f32x4(w, w2, 0x88);
    r[12 + e] = _mm512_shuffle_f32x4(w, w2, 0xDD);
  }
}
#endif

// dy [cout, Ho, Wo] of one image on the wide grid L = Ho*Ws, zeros in the dropped columns:
// transposed dyt [L, cout] (the weight-gradient GEMM's B) and/or as rows dyr [cout, L].
inline void wide_dy(float* dyt, float* dyr, const float* dy, int cout, int Ho, int Wo, int Ws) {
  const int L = Ho * Ws;
  if (dyr)
    for (int o = 0; o < cout; ++o)
      for (int oh = 0; oh < Ho; ++oh) {
        float* d = dyr + static_cast<size_t>(o) * L + oh * Ws;
        const float* s = dy + (static_cast<size_t>(o) * Ho + oh) * Wo;
        for (int ow = 0; ow < Wo; ++ow) d[ow] = s[ow];
        std::fill(d + Wo, d + Ws, 0.0f);
      }
  if (dyt) {  // in blocks of 16 channels: 16 contiguous writes per grid position, 16 read streams
    const size_t P = static_cast<size_t>(Ho) * Wo;
    auto at = [&](size_t q) { return dyt + (q / Wo * Ws + q % Wo) * cout; };  // grid position q's row
    for (int o0 = 0; o0 < cout; o0 += 16) {
      const int o1 = std::min(cout, o0 + 16);
      size_t q = 0;
#if defined(__AVX512F__)
      if (o1 - o0 == 16)  // 16 positions x 16 channels at a time, transposed in registers
        for (; q + 16 <= P; q += 16) {
          __m512 r[16];
          for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(dy + static_cast<size_t>(o0 + i) * P + q);
          transpose16(r);
          for (int i = 0; i < 16; ++i) _mm512_storeu_ps(at(q + i) + o0, r[i]);
        }
#endif
      for (; q < P; ++q) {
        float* d = at(q);
        for (int o = o0; o < o1; ++o) d[o] = dy[o * P + q];
      }
    }
    for (int oh = 0; oh < Ho; ++oh)  // the dropped columns
      std::fill(dyt + (static_cast<size_t>(oh) * Ws + Wo) * cout, dyt + (static_cast<size_t>(oh) + 1) * Ws * cout, 0.0f);
  }
}

// The per-thread scratch and tables of a backward call.
struct BackwardState {
  std::vector<ShiftedScratch>& work;
  Buf<float>& wflip;      // the flipped kernel (stride 1) or W^T (stride > 1)
  Buf<uint16_t>& wh;      // bf16: the flipped kernel in channel pairs
  std::vector<int>& off;  // rows of the image phases
  std::vector<int>& doff; // rows of the padded dy (stride 1)
};

// Writes the per-leaf weight-gradient partials parts[l] ([K, cout] transposed, then `cout` bias sums;
// leaves of tree_leaves(N, kBatchLeaf)) and dx (if not null) from dy: [N,cout,Ho,Wo]. The caller
// sums the partials in the tree.
inline void backward(const Geometry& g, Precision prec, float* dx, const float* x, const float* w, const float* dy,
                     std::vector<Buf<float>>& parts, BackwardState st) {
  const Layout in = g.in();
  const int Ws = in.Ws(), Ho = in.Ho(), Wo = in.Wo(), K = g.K(), k = g.k, s = g.s, L = in.L(), kk = k * k;
  const size_t per = in.per();
  const bool bf = prec == Precision::BF16;
  const bool thick = bf || g.cout >= gemm::kThickRows;  // weight gradient on a kernel (else row dot products)
  const int L2 = (L + 1) / 2;                           // bf16: pairs of grid positions
  // stride 1: dx = conv(dy padded by k-1-p, flipped kernel): output grid H x Wq
  const Layout dl{g.cout, Ho, Wo, k, 1, k - 1 - g.p};
  const int Wq = dl.Ws(), Ld = dl.L();
  row_offsets(st.off, in, g.cin);
  float* wf = nullptr;
  bf16::Half* wfh = nullptr;
  // Weight transposes run in blocks of kTile rows of the destination, so that neither side jumps
  // a page per element.
  constexpr int kTile = 16;
  if (dx && s == 1) {  // wf[c, (o, ki, kj)] = w[o, c, k-1-ki, k-1-kj]  (kk-1-r reverses (ki, kj))
    row_offsets(st.doff, dl, bf ? (g.cout + 1) / 2 : g.cout);
    wf = st.wflip.get(static_cast<size_t>(g.cin) * g.cout * kk);
    for (int c0 = 0; c0 < g.cin; c0 += kTile)
      for (int o = 0; o < g.cout; ++o)
        for (int c = c0; c < std::min(g.cin, c0 + kTile); ++c) {
          float* d = wf + (static_cast<size_t>(c) * g.cout + o) * kk;
          const float* src = w + (static_cast<size_t>(o) * g.cin + c) * kk;
          for (int r = 0; r < kk; ++r) d[r] = src[kk - 1 - r];
        }
    if (bf) {
      wfh = st.wh.get(static_cast<size_t>(g.cin) * ((g.cout + 1) / 2) * kk * 2);
      weight_channel_pairs(wfh, wf, g.cin, g.cout, kk);
    }
  } else if (dx) {  // W^T [K, cout]
    wf = st.wflip.get(static_cast<size_t>(K) * g.cout);
    for (int r0 = 0; r0 < K; r0 += kTile)
      for (int o = 0; o < g.cout; ++o)
        for (int r = r0; r < std::min(K, r0 + kTile); ++r) wf[static_cast<size_t>(r) * g.cout + o] = w[static_cast<size_t>(o) * K + r];
  }
  const std::vector<TreeLeaf> leaves = tree_leaves(g.N, kBatchLeaf);
#pragma omp parallel for schedule(static)
  for (size_t leaf = 0; leaf < leaves.size(); ++leaf) {
    ShiftedScratch& sc = st.work[omp_get_thread_num()];
    float* part = parts[leaf].get(static_cast<size_t>(K) * g.cout + g.cout);  // [dW^T: K x cout | db]
    float* xp = sc.img.get(in.size());
    // dy on the wide grid: transposed [2*L2, cout] for the weight gradient (thick; its last row
    // zero), rows [cout, L] for the thin weight gradient and the stride > 1 input gradient
    float* dyt = thick ? sc.dyt.get(static_cast<size_t>(2 * L2) * g.cout) : nullptr;
    const bool rows = !thick || (dx && s > 1);
    float* dyr = rows ? sc.dyr.get(static_cast<size_t>(g.cout) * L) : nullptr;
    if (dyt) std::fill(dyt + static_cast<size_t>(L) * g.cout, dyt + static_cast<size_t>(2 * L2) * g.cout, 0.0f);
    for (int n = static_cast<int>(leaves[leaf].begin); n < leaves[leaf].end; ++n) {
      const bool first = n == leaves[leaf].begin;  // the leaf's first image writes its partial
      const float* dyn = dy + static_cast<size_t>(n) * g.cout * Ho * Wo;
      pad_image(xp, x + static_cast<size_t>(n) * g.cin * g.H * g.W, in);
      wide_dy(dyt, dyr, dyn, g.cout, Ho, Wo, Ws);
      if (bf) {  // pairs of q: A = the image as bfloat16 at the row offsets, B = row pairs of dy^T
        bf16::Half* xh = sc.img_half.get(in.size());
        bf16::to_half(xh, xp, in.size());
        bf16::Pair* bp = sc.dy_pairs.get(static_cast<size_t>(L2) * g.cout);
        thread_local std::vector<int> boff;
        boff.resize(L2);
        for (int j = 0; j < L2; ++j) {
          bf16::to_pairs(bp + static_cast<size_t>(j) * g.cout, dyt + static_cast<size_t>(2 * j) * g.cout,
                         dyt + static_cast<size_t>(2 * j + 1) * g.cout, g.cout);
          boff[j] = j * g.cout;
        }
        bf16::gemm(K, g.cout, L2, {xh, st.off.data()}, {bp, boff.data()}, part, static_cast<size_t>(g.cout), !first);
      } else if (thick) {
        const gemm::RowOffsets<float> a{xp, st.off.data()};
        const gemm::Rows<float> bm{dyt, static_cast<size_t>(g.cout)};
        if (first)
          gemm::kernel(K, g.cout, L, a, bm, part, static_cast<size_t>(g.cout));
        else
          gemm::kernel<true>(K, g.cout, L, a, bm, part, static_cast<size_t>(g.cout));
      } else {
        for (int r = 0; r < K; ++r) {
          const float* a = xp + st.off[r];
          for (int o = 0; o < g.cout; ++o) {
            const float* d = dyr + static_cast<size_t>(o) * L;
            float sum = 0;
#pragma omp simd reduction(+ : sum)
            for (int q = 0; q < L; ++q) sum += a[q] * d[q];
            float& pv = part[static_cast<size_t>(r) * g.cout + o];
            pv = first ? sum : pv + sum;
          }
        }
      }
      for (int o = 0; o < g.cout; ++o) {  // the bias sum in SIMD lanes (a serial chain cost ~1.5% of a step)
        const float* d = dyn + static_cast<size_t>(o) * Ho * Wo;
        float sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int q = 0; q < Ho * Wo; ++q) sum += d[q];
        float& pv = part[static_cast<size_t>(K) * g.cout + o];
        pv = first ? sum : pv + sum;
      }
      if (!dx) continue;
      float* dxn = dx + static_cast<size_t>(n) * g.cin * g.H * g.W;
      if (s == 1) {
        float* dyp = sc.dyp.get(dl.size());
        float* out = sc.out.get(static_cast<size_t>(g.cin) * Ld);  // [cin, H*Wq]
        pad_image(dyp, dyn, dl);
        conv_gemm(prec, g.cin, dl, wf, wfh, dyp, st.doff, st.doff, sc.img_pairs, out);
        for (int c = 0; c < g.cin; ++c)
          for (int h = 0; h < g.H; ++h) {
            const float* src = out + static_cast<size_t>(c) * Ld + h * Wq;
            float* d = dxn + (static_cast<size_t>(c) * g.H + h) * g.W;
            for (int w2 = 0; w2 < g.W; ++w2) d[w2] = src[w2];
          }
      } else {  // dcol = W^T dy: [K, L]; each row added back into the phases at its offset
        float* dcol = sc.dcol.get(static_cast<size_t>(K) * L);
        if (bf)
          bf16::gemm_f32(K, L, g.cout, wf, g.cout, dyr, L, dcol, L, false);
        else
          gemm::gemm(K, L, g.cout, wf, dyr, dcol);
        std::fill(xp, xp + in.size(), 0.0f);  // reused for d(phases) (s > 1: no lead)
        for (int r = 0; r < K; ++r) {
          float* d = xp + st.off[r];
          const float* c = dcol + static_cast<size_t>(r) * L;
#pragma omp simd
          for (int q = 0; q < L; ++q) d[q] += c[q];
        }
        for (int c = 0; c < g.cin; ++c)  // dx[c][h][w] = phase ((h+p)%s, (w+p)%s) at ((h+p)/s, (w+p)/s)
          for (int h = 0; h < g.H; ++h) {
            const int hp = h + g.p;
            float* d = dxn + (static_cast<size_t>(c) * g.H + h) * g.W;
            for (int b = 0; b < s; ++b) {
              const int w0 = ((b - g.p) % s + s) % s;  // the first w with (w + p) % s == b
              const float* src = xp + c * per + ((hp % s) * s + b) * in.plane() + static_cast<size_t>(hp / s) * Ws;
              for (int w2 = w0, j = (w0 + g.p) / s; w2 < g.W; w2 += s, ++j) d[w2] = src[j];
            }
          }
      }
    }
  }
}

}  // namespace qdiff::nn::shifted
