// ResBlock (res_block.hpp): the paper and large forms over Conv2d, Linear and GroupNorm.
#include "qdiff/nn/res_block.hpp"

#include <algorithm>

#include "qdiff/nn/ops.hpp"

namespace qdiff::nn {

template <class T>
ResBlock<T>::ResBlock(ParamRegistryT<T>& reg, const std::string& name, BlockKind kind_, int in_, int out_,
                      int temb_dim_, int groups)
    : kind(kind_), in(in_), out(out_), temb_dim(temb_dim_), has_skip(in_ != out_) {
  if (kind == BlockKind::Large) gn1_ = GroupNorm<T>(reg, name + ".norm1", groups, in);
  conv1_ = Conv2d<T>(reg, name + ".conv1", in, out, 3, 1, 1);
  temb_ = Linear<T>(reg, name + ".temb", temb_dim, out);
  if (kind == BlockKind::Large) gn2_ = GroupNorm<T>(reg, name + ".norm2", groups, out);
  conv2_ = Conv2d<T>(reg, name + ".conv2", out, out, 3, 1, 1);
  if (has_skip) skip_ = Conv2d<T>(reg, name + ".skip", in, out, 1, 1, 0);
}

template <class T>
int64_t ResBlock<T>::macs(int H, int W) const {
  return conv1_.macs(H, W) + conv2_.macs(H, W) + (has_skip ? skip_.macs(H, W) : 0) + int64_t(temb_dim) * out;
}

template <class T>
void ResBlock<T>::set_precision(Precision p) {
  conv1_.precision = conv2_.precision = skip_.precision = p;
  temb_.precision = p;
}

template <class T>
void ResBlock<T>::forward(T* y, const T* x, const T* temb, int N, int H, int W) {
  // x: [N,in,H,W], temb: [N,temb_dim] -> y: [N,out,H,W]
  const int P = H * W;
  const size_t no = static_cast<size_t>(N) * out * P, ni = static_cast<size_t>(N) * in * P;
  T* h1 = h1_.get(no);
  T* e = e_.get(static_cast<size_t>(N) * out);
  T* h2 = h2_.get(no);
  T* h3 = h3_.get(no);
  // The bias, ReLU, broadcast add and residual add run in the convolutions' output pass (Epilogue).
  temb_.forward(e, temb, N);
  if (has_skip) skip_.forward(y, x, N, H, W);
  const T* res = has_skip ? y : x;
  if (kind == BlockKind::Paper) {
    relu_forward(e, e, static_cast<size_t>(N) * out);
    conv1_.forward(h1, x, N, H, W, {.relu = true, .y2 = h2, .chan = e});   // h1 = relu(.), h2 = h1 + e
    conv2_.forward(h3, h2, N, H, W, {.relu = true, .y2 = y, .res = res});  // h3 = relu(.), y = h3 + res
  } else {
    T* g1 = g1_.get(ni);
    T* s1 = s1_.get(ni);
    T* g2 = g2_.get(no);
    T* s2 = s2_.get(no);
    gn1_.forward(g1, x, N, P);
    silu_forward(s1, g1, ni);
    conv1_.forward(h1, s1, N, H, W, {.y2 = h2, .chan = e});  // h2 = h1 + e
    gn2_.forward(g2, h2, N, P);
    silu_forward(s2, g2, no);
    conv2_.forward(h3, s2, N, H, W, {.y2 = y, .res = res});  // y = h3 + res
  }
}

template <class T>
void ResBlock<T>::backward(T* dx, const T* x, const T* temb, const T* dy, int N, int H, int W) {
  const int P = H * W;
  const size_t no = static_cast<size_t>(N) * out * P, ni = static_cast<size_t>(N) * in * P;
  const size_t nmax = std::max(no, ni);
  T* dA = dA_.get(nmax);
  T* dB = dB_.get(nmax);
  T* de = de_.get(static_cast<size_t>(N) * out);
  if (kind == BlockKind::Paper) {
    relu_backward(dA, h3_.data(), dy, no);            // d(conv2 out)
    conv2_.backward(dB, h2_.data(), dA, N, H, W);     // dh2
    bcast_add_backward(de, dB, N, out, P);            // d(relu(temb proj))
    relu_backward(de, e_.data(), de, static_cast<size_t>(N) * out);
    temb_.backward(nullptr, temb, de, N);
    relu_backward(dA, h1_.data(), dB, no);            // d(conv1 out); dh1 = dh2
    conv1_.backward(dx, x, dA, N, H, W);
  } else {
    conv2_.backward(dA, s2_.data(), dy, N, H, W);     // ds2
    silu_backward(dA, g2_.data(), dA, no);            // dg2
    gn2_.backward(dB, h2_.data(), dA, N, P);          // dh2 (= dh1)
    bcast_add_backward(de, dB, N, out, P);
    temb_.backward(nullptr, temb, de, N);
    conv1_.backward(dA, s1_.data(), dB, N, H, W);     // ds1: [N,in,H,W]
    silu_backward(dA, g1_.data(), dA, ni);            // dg1
    gn1_.backward(dx, x, dA, N, P);
  }
  if (!dx) {
    if (has_skip) skip_.backward(nullptr, x, dy, N, H, W);
    return;
  }
  // out = h3 + skip(x): dy went to h3 above and goes to the skip path here; x feeds both paths.
  if (has_skip) {
    T* dIn = dIn_.get(ni);
    skip_.backward(dIn, x, dy, N, H, W);
    add_forward(dx, dx, dIn, ni);  // dx = main path + skip path
  } else {
    add_backward(dx, static_cast<T*>(nullptr), dy, ni);  // identity skip: dx += dy
  }
}

template class ResBlock<float>;
template class ResBlock<double>;

}  // namespace qdiff::nn
