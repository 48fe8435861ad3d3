// Conv2d (conv.hpp): float 3x3 convolutions of stride 1 and padding 1 by Winograd's minimal
// filtering, F(4x4, 3x3) or F(2x2, 3x3) (conv_winograd.hpp; their weight gradient on the shifted
// views), the other float ones on shifted views of the stride phases (conv_shifted.hpp), im2col +
// GEMM for the rest (double, padding > k-1, stride > k).
// GCC 12 reports hundreds of false "may be used uninitialized" warnings inside Eigen's AVX-512
// packet code; they hide real ones.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "qdiff/nn/conv.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "conv_blocks.hpp"
#include "conv_shifted.hpp"
#include "conv_winograd.hpp"
#include "im2col.hpp"
#include "qdiff/core/error.hpp"

namespace qdiff::nn {

using namespace detail;

template <class T>
Conv2d<T>::Conv2d(ParamRegistryT<T>& reg, const std::string& name, int cin_, int cout_, int k_, int stride_,
                  int pad_)
    : cin(cin_), cout(cout_), k(k_), stride(stride_), pad(pad_), reg_(&reg) {
  if (k < 1 || stride < 1 || pad < 0) throw InvalidArgument("Conv2d '" + name + "': bad kernel/stride/padding");
  const double bound = 1.0 / std::sqrt(static_cast<double>(cin * k * k));
  w = reg.add(name + ".weight", {cout, cin, k, k}, Init::Uniform, bound);
  b = reg.add(name + ".bias", {cout}, Init::Uniform, bound);
}

template <class T>
int64_t Conv2d<T>::macs(int H, int W) const {
  return int64_t(cout) * cin * k * k * out_size(H) * out_size(W);
}

template <class T>
void Conv2d<T>::forward(T* y, const T* x, int N, int H, int W, const Epilogue<T>& ep) {
  // x: [N,cin,H,W] -> y: [N,cout,Ho,Wo]. Per block of m images: col: [K, m*P], Yb = W col: [cout, m*P]
  if constexpr (std::is_same_v<T, float>) {
    if (winograd::applies(k, stride, pad, precision)) {  // Winograd F(4x4, 3x3) or F(2x2, 3x3)
      ensure_threads(wino_);
      winograd::convolve(N, cout, cin, false, H, W, y, x, reg_->param(w), reg_->param(b), ep, wu_, wino_);
      return;
    }
    if (shifted::applies(k, stride, pad, precision)) {  // no im2col (conv_shifted.hpp)
      ensure_threads(work_);
      shifted::forward({N, cin, cout, k, stride, pad, H, W}, precision, y, x, reg_->param(w), reg_->param(b), ep, work_,
                       wh_, row_off_, drow_off_);
      return;
    }
  }
  const int Ho = out_size(H), Wo = out_size(W), P = Ho * Wo, K = cin * k * k;
  const BatchBlocks plan(N, P);
  ensure_threads(col_);
  ensure_threads(dcol_);
  const T* bb = reg_->param(b);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < plan.blocks.size(); ++i) {
    const auto [n0, m, cols] = plan.blocks[i];
    const int tid = omp_get_thread_num();
    T* col = col_[tid].get(static_cast<size_t>(K) * cols);
    T* yb = dcol_[tid].get(static_cast<size_t>(cout) * cols);
    im2col_block(col, x + static_cast<size_t>(n0) * cin * H * W, m, cin, H, W, k, stride, pad, Ho, Wo);
    gemm_in(precision, cout, static_cast<int>(cols), K, reg_->param(w), col, yb);
    for (int j = 0; j < m; ++j)
      for (int o = 0; o < cout; ++o) {
        const size_t at = (static_cast<size_t>(n0 + j) * cout + o) * P;
        finish_row(y + at, yb + o * cols + static_cast<size_t>(j) * P, P, bb[o], ep, ep.y2 ? ep.y2 + at : nullptr,
                   ep.chan ? ep.chan[static_cast<size_t>(n0 + j) * cout + o] : T(0), ep.res ? ep.res + at : nullptr);
      }
  }
}

template <class T>
void Conv2d<T>::backward(T* dx, const T* x, const T* dy, int N, int H, int W) {
  // dy: [N,cout,Ho,Wo]. Per block: dYb: [cout, m*P]; its leaf's partial dW^T += col dYb^T, db += row
  // sums; dcol = W^T dYb: [K, m*P] -> col2im into dx. The leaf partials are summed in the batch's
  // tree (conv_blocks.hpp).
  if (const size_t leaves = tree_leaves(N, kBatchLeaf).size(); dw_.size() < leaves) dw_.resize(leaves);
  if constexpr (std::is_same_v<T, float>) {
    if (shifted::applies(k, stride, pad, precision)) {  // no im2col/col2im (conv_shifted.hpp)
      // Winograd path: dx is the convolution of dy with the flipped, transposed kernel
      const bool wino = dx && winograd::applies(k, stride, pad, precision);
      ensure_threads(work_);
      shifted::backward({N, cin, cout, k, stride, pad, H, W}, precision, wino ? nullptr : dx, x, reg_->param(w), dy, dw_,
                        {work_, wt_, wh_, row_off_, drow_off_});
      add_leaf_partials(reg_->grad(w), reg_->grad(b), dw_, N, cout, cin * k * k, cout);
      if (wino) {
        ensure_threads(wino_);
        winograd::convolve(N, cout, cin, true, H, W, dx, dy, reg_->param(w), nullptr, {}, wu_, wino_);
      }
      return;
    }
  }
  const int Ho = out_size(H), Wo = out_size(W), P = Ho * Wo, K = cin * k * k;
  const BatchBlocks plan(N, P);
  ensure_threads(col_);
  ensure_threads(dcol_);
  ensure_threads(dy_);
  ensure_threads(dyt_);
  T* wt = wt_.get(static_cast<size_t>(K) * cout);  // W^T: [K, cout]
  if (dx) transpose_into(wt, reg_->param(w), cout, K);
#pragma omp parallel for schedule(static)
  for (int leaf = 0; leaf < plan.leaves(); ++leaf) {
    const int tid = omp_get_thread_num();
    T* part = dw_[leaf].get(static_cast<size_t>(cout) * K + cout);  // [dW^T: K x cout | db]
    T* dbp = part + static_cast<size_t>(cout) * K;
    std::fill(dbp, dbp + cout, T(0));
    for (int i = plan.first[leaf]; i < plan.first[leaf + 1]; ++i) {
      const auto [n0, m, cols] = plan.blocks[i];
      T* col = col_[tid].get(static_cast<size_t>(K) * cols);
      T* dyb = dy_[tid].get(static_cast<size_t>(cout) * cols);
      im2col_block(col, x + static_cast<size_t>(n0) * cin * H * W, m, cin, H, W, k, stride, pad, Ho, Wo);
      images_to_block(dyb, dy + static_cast<size_t>(n0) * cout * P, m, cout, P);
      T* dyt = nullptr;  // dYb^T: [m*P, cout], for the weight-gradient GEMM
      if (thick_weight(cout, precision)) {
        dyt = dyt_[tid].get(static_cast<size_t>(cout) * cols);
        planes_to_rows(dyt, dy + static_cast<size_t>(n0) * cout * P, m, cout, P);
      }
      weight_grad_t(precision, part, col, dyb, dyt, K, cout, cols, i > plan.first[leaf]);
      for (int o = 0; o < cout; ++o) {  // plain loop: fixed summation order
        T s = dbp[o];
        for (size_t q = 0; q < cols; ++q) s += dyb[o * cols + q];
        dbp[o] = s;
      }
      if (dx) {
        T* dc = dcol_[tid].get(static_cast<size_t>(K) * cols);
        gemm_in(precision, K, static_cast<int>(cols), cout, wt, dyb, dc);
        for (int j = 0; j < m; ++j) {
          T* dxn = dx + static_cast<size_t>(n0 + j) * cin * H * W;
          std::fill(dxn, dxn + static_cast<size_t>(cin) * H * W, T(0));
          col2im_add_ld(dxn, dc + static_cast<size_t>(j) * P, cols, cin, H, W, k, stride, pad, Ho, Wo);
        }
      }
    }
  }
  add_leaf_partials(reg_->grad(w), reg_->grad(b), dw_, N, cout, K, cout);
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace qdiff::nn
