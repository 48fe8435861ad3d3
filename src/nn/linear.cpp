// Linear layer (linear.hpp).
// GCC 12 reports hundreds of false "may be used uninitialized" warnings inside Eigen's AVX-512
// packet code; they hide real ones.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "qdiff/nn/linear.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "gemm.hpp"
#include "gemm_bf16.hpp"
#include "qdiff/core/reduce.hpp"

namespace qdiff::nn {

using gemm::CMap;
using gemm::Map;

template <class T>
Linear<T>::Linear(ParamRegistryT<T>& reg, const std::string& name, int in_, int out_)
    : in(in_), out(out_), reg_(&reg) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  w = reg.add(name + ".weight", {out, in}, Init::Uniform, bound);
  b = reg.add(name + ".bias", {out}, Init::Uniform, bound);
}

namespace {
// Whether this layer runs its products in bf16 (float layers only).
template <class T>
bool in_bf16(Precision p) {
  return std::is_same_v<T, float> && p == Precision::BF16;
}
// dst [cols, rows] = src [rows, cols]^T, in per-thread scratch.
template <class T>
const T* transposed(const T* src, int rows, int cols) {
  thread_local std::vector<T> t;
  t.resize(static_cast<size_t>(rows) * cols);
  Map<T>(t.data(), cols, rows) = CMap<T>(src, rows, cols).transpose();
  return t.data();
}
}  // namespace

template <class T>
void Linear<T>::forward(T* y, const T* x, int N) const {
  // x: [N,in], W: [out,in] -> y: [N,out]
  CMap<T> X(x, N, in), Wm(reg_->param(w), out, in);
  Map<T> Y(y, N, out);
  if constexpr (std::is_same_v<T, float>) {
    if (in_bf16<T>(precision)) bf16::gemm_f32(N, out, in, x, in, transposed(reg_->param(w), out, in), out, y, out, false);
  }
  if (!in_bf16<T>(precision)) Y.noalias() = X.lazyProduct(Wm.transpose());  // tiny: no Eigen-internal threading
  const T* bb = reg_->param(b);
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < out; ++o) y[n * out + o] += bb[o];
}

template <class T>
void Linear<T>::backward(T* dx, const T* x, const T* dy, int N) {
  // dy: [N,out]; dW += dy^T x; db += sum_n dy; dx = dy W. The sums over n run per leaf of the
  // batch's gradient tree (rows in order), then in the tree (core/reduce.hpp).
  const std::vector<TreeLeaf> leaves = tree_leaves(N, kBatchLeaf);
  const size_t nw = static_cast<size_t>(out) * in;
  if (dw_.size() < leaves.size()) dw_.resize(leaves.size());
  std::vector<T*> parts(leaves.size());
  for (size_t l = 0; l < leaves.size(); ++l) {
    T* part = parts[l] = dw_[l].get(nw + out);  // [dW: out x in | db]
    std::fill(part, part + nw + out, T(0));
    const int64_t n0 = leaves[l].begin, nl = leaves[l].end - n0;
    if constexpr (std::is_same_v<T, float>) {
      if (in_bf16<T>(precision))  // dW = dy^T x over the leaf's rows
        bf16::gemm_f32(out, in, static_cast<int>(nl), transposed(dy + n0 * out, static_cast<int>(nl), out),
                       static_cast<size_t>(nl), x + n0 * in, in, part, in, false);
    }
    for (int64_t n = n0; n < n0 + nl; ++n)
      for (int o = 0; o < out; ++o) {
        const T g = dy[n * out + o];
        const T* xn = x + n * in;
        T* row = part + static_cast<size_t>(o) * in;
        if (!in_bf16<T>(precision))
          for (int i = 0; i < in; ++i) row[i] += g * xn[i];
        part[nw + o] += g;
      }
  }
  tree_sum_buffers(parts.data(), N, kBatchLeaf, nw + out);
  if (N > 0) {
    T* gw = reg_->grad(w);
    T* gb = reg_->grad(b);
    for (size_t i = 0; i < nw; ++i) gw[i] += parts[0][i];
    for (int o = 0; o < out; ++o) gb[o] += parts[0][nw + o];
  }
  if (dx) {
    CMap<T> dY(dy, N, out), Wm(reg_->param(w), out, in);
    Map<T> dX(dx, N, in);
    if constexpr (std::is_same_v<T, float>) {
      if (in_bf16<T>(precision)) bf16::gemm_f32(N, in, out, dy, out, reg_->param(w), in, dx, in, false);
    }
    if (!in_bf16<T>(precision)) dX.noalias() = dY.lazyProduct(Wm);
  }
}

template class Linear<float>;
template class Linear<double>;

}  // namespace qdiff::nn
