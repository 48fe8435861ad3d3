// ConvTranspose2d (conv.hpp): a GEMM against W^T, then col2im, per block of images.
// GCC 12 reports hundreds of false "may be used uninitialized" warnings inside Eigen's AVX-512
// packet code; they hide real ones.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "qdiff/nn/conv.hpp"

#include <algorithm>
#include <cmath>

#include "conv_blocks.hpp"
#include "im2col.hpp"
#include "qdiff/core/error.hpp"

namespace qdiff::nn {

using namespace detail;

template <class T>
ConvTranspose2d<T>::ConvTranspose2d(ParamRegistryT<T>& reg, const std::string& name, int cin_, int cout_, int k_,
                                    int stride_, int pad_)
    : cin(cin_), cout(cout_), k(k_), stride(stride_), pad(pad_), reg_(&reg) {
  if (k < 1 || stride < 1 || pad < 0)
    throw InvalidArgument("ConvTranspose2d '" + name + "': bad kernel/stride/padding");
  const double bound = 1.0 / std::sqrt(static_cast<double>(cout * k * k));  // PyTorch: fan_in = weight.size(1)*k*k
  w = reg.add(name + ".weight", {cin, cout, k, k}, Init::Uniform, bound);
  b = reg.add(name + ".bias", {cout}, Init::Uniform, bound);
}

template <class T>
int64_t ConvTranspose2d<T>::macs(int H, int W) const {
  return int64_t(cin) * cout * k * k * H * W;
}

template <class T>
void ConvTranspose2d<T>::forward(T* y, const T* x, int N, int H, int W) {
  // x: [N,cin,H,W] -> y: [N,cout,Ho,Wo]. Per block: Xb: [cin, m*P]; col = W^T Xb: [cout*k*k, m*P];
  // y_n = bias + col2im(col_n)
  const int Ho = out_size(H), Wo = out_size(W), P = H * W, K = cout * k * k;
  const BatchBlocks plan(N, P);
  ensure_threads(col_);
  ensure_threads(xb_);
  T* wt = wt_.get(static_cast<size_t>(K) * cin);  // W^T: [cout*k*k, cin]
  transpose_into(wt, reg_->param(w), cin, K);
  const T* bb = reg_->param(b);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < plan.blocks.size(); ++i) {
    const auto [n0, m, cols] = plan.blocks[i];
    const int tid = omp_get_thread_num();
    T* xb = xb_[tid].get(static_cast<size_t>(cin) * cols);
    T* c = col_[tid].get(static_cast<size_t>(K) * cols);
    images_to_block(xb, x + static_cast<size_t>(n0) * cin * P, m, cin, P);
    gemm_in(precision, K, static_cast<int>(cols), cin, wt, xb, c);
    for (int j = 0; j < m; ++j) {
      T* yn = y + static_cast<size_t>(n0 + j) * cout * Ho * Wo;
      for (int o = 0; o < cout; ++o)
        std::fill(yn + static_cast<size_t>(o) * Ho * Wo, yn + static_cast<size_t>(o + 1) * Ho * Wo, bb[o]);
      col2im_add_ld(yn, c + static_cast<size_t>(j) * P, cols, cout, Ho, Wo, k, stride, pad, H, W);
    }
  }
}

template <class T>
void ConvTranspose2d<T>::backward(T* dx, const T* x, const T* dy, int N, int H, int W) {
  // Per block: dcol = im2col(dy): [cout*k*k, m*P]; its leaf's partial dW^T += dcol Xb^T, db += sum dy;
  // dXb = W dcol. The leaf partials are summed in the batch's tree (conv_blocks.hpp).
  const int Ho = out_size(H), Wo = out_size(W), P = H * W, K = cout * k * k;
  const BatchBlocks plan(N, P);
  ensure_threads(col_);
  ensure_threads(xb_);
  ensure_threads(xbt_);
  if (dw_.size() < static_cast<size_t>(plan.leaves())) dw_.resize(plan.leaves());
#pragma omp parallel for schedule(static)
  for (int leaf = 0; leaf < plan.leaves(); ++leaf) {
    const int tid = omp_get_thread_num();
    T* part = dw_[leaf].get(static_cast<size_t>(cin) * K + cout);  // [dW^T: K x cin | db]
    T* dbp = part + static_cast<size_t>(cin) * K;
    std::fill(dbp, dbp + cout, T(0));
    for (int i = plan.first[leaf]; i < plan.first[leaf + 1]; ++i) {
      const auto [n0, m, cols] = plan.blocks[i];
      T* xb = xb_[tid].get(static_cast<size_t>(cin) * cols);
      T* dc = col_[tid].get(static_cast<size_t>(K) * cols);
      im2col_block(dc, dy + static_cast<size_t>(n0) * cout * Ho * Wo, m, cout, Ho, Wo, k, stride, pad, H, W);
      for (int j = 0; j < m; ++j) {
        const T* dyn = dy + static_cast<size_t>(n0 + j) * cout * Ho * Wo;
        for (int o = 0; o < cout; ++o) {
          T s = 0;
          for (int q = 0; q < Ho * Wo; ++q) s += dyn[static_cast<size_t>(o) * Ho * Wo + q];
          dbp[o] += s;
        }
      }
      images_to_block(xb, x + static_cast<size_t>(n0) * cin * P, m, cin, P);
      T* xbt = nullptr;  // Xb^T: [m*P, cin], for the weight-gradient GEMM
      if (thick_weight(cin, precision)) {
        xbt = xbt_[tid].get(static_cast<size_t>(cin) * cols);
        planes_to_rows(xbt, x + static_cast<size_t>(n0) * cin * P, m, cin, P);
      }
      weight_grad_t(precision, part, dc, xb, xbt, K, cin, cols, i > plan.first[leaf]);
      if (dx) {
        gemm_in(precision, cin, static_cast<int>(cols), K, reg_->param(w), dc, xb);  // xb reused for dXb
        block_to_images(dx + static_cast<size_t>(n0) * cin * P, xb, m, cin, P);
      }
    }
  }
  add_leaf_partials(reg_->grad(w), reg_->grad(b), dw_, N, cin, K, cout);
}

template class ConvTranspose2d<float>;
template class ConvTranspose2d<double>;

}  // namespace qdiff::nn
