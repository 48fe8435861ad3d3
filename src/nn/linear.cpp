// Linear layer (linear.hpp).
// GCC 12 reports hundreds of false "may be used uninitialized" warnings inside Eigen's AVX-512
// packet code; they hide real ones.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "qdiff/nn/linear.hpp"

#include <cmath>

#include "gemm.hpp"

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

template <class T>
void Linear<T>::forward(T* y, const T* x, int N) const {
  // x: [N,in], W: [out,in] -> y: [N,out]
  CMap<T> X(x, N, in), Wm(reg_->param(w), out, in);
  Map<T> Y(y, N, out);
  Y.noalias() = X.lazyProduct(Wm.transpose());  // tiny: no Eigen-internal threading
  const T* bb = reg_->param(b);
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < out; ++o) y[n * out + o] += bb[o];
}

template <class T>
void Linear<T>::backward(T* dx, const T* x, const T* dy, int N) {
  // dy: [N,out]; dW += dy^T x; db += sum_n dy; dx = dy W
  CMap<T> X(x, N, in), dY(dy, N, out), Wm(reg_->param(w), out, in);
  Map<T> dW(reg_->grad(w), out, in);
  dW.noalias() += dY.transpose().lazyProduct(X);
  T* db = reg_->grad(b);
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < out; ++o) db[o] += dy[n * out + o];
  if (dx) {
    Map<T> dX(dx, N, in);
    dX.noalias() = dY.lazyProduct(Wm);
  }
}

template class Linear<float>;
template class Linear<double>;

}  // namespace qdiff::nn
