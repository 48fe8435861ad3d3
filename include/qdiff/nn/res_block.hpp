// The U-Net's residual block with time conditioning, in the paper's form (ReLU) and the large
// form (GroupNorm + SiLU). Conventions: see layers.hpp.
#pragma once
#include <cstdint>
#include <string>

#include "qdiff/nn/conv.hpp"
#include "qdiff/nn/group_norm.hpp"
#include "qdiff/nn/linear.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::nn {

enum class BlockKind {
  Paper,  // h = relu(conv1(x)); h += relu(temb_proj(temb)); h = relu(conv2(h)); out = h + skip(x)
  Large   // h = conv1(silu(gn1(x))); h += temb_proj(temb); h = conv2(silu(gn2(h))); out = h + skip(x)
};

// x: [N,in,H,W], temb: [N,temb_dim] -> y: [N,out,H,W]. skip = conv1x1 when in != out, else identity.
// Parameter names: <name>.conv1.*, <name>.temb.*, <name>.conv2.*, [<name>.skip.*], [<name>.norm1/2.*].
template <class T>
class ResBlock {
 public:
  ResBlock() = default;
  ResBlock(ParamRegistryT<T>& reg, const std::string& name, BlockKind kind, int in, int out, int temb_dim,
           int groups = 8);
  void forward(T* y, const T* x, const T* temb, int N, int H, int W);
  // dx written; temb gets no gradient (the embedding has no parameters upstream).
  void backward(T* dx, const T* x, const T* temb, const T* dy, int N, int H, int W);
  int64_t macs(int H, int W) const;
  // The arithmetic of the convolutions and the time projection (precision.hpp).
  void set_precision(Precision p);
  BlockKind kind = BlockKind::Paper;
  int in = 0, out = 0, temb_dim = 128;
  bool has_skip = false;

 private:
  Conv2d<T> conv1_, conv2_, skip_;
  Linear<T> temb_;
  GroupNorm<T> gn1_, gn2_;
  // caches, each [N,out,H,W] unless noted
  Buf<T> g1_, s1_;  // Large: gn1(x), silu(gn1(x)) [N,in,H,W]
  Buf<T> h1_;       // Paper: relu(conv1 x); Large: conv1(.)
  Buf<T> e_;        // [N,out] temb projection (after relu for Paper)
  Buf<T> h2_;       // h1 + e broadcast
  Buf<T> g2_, s2_;  // Large: gn2(h2), silu(.)
  Buf<T> h3_;       // Paper: relu(conv2 h2); Large: conv2(s2)
  // backward scratch
  Buf<T> dA_, dB_, dIn_, de_;
};

}  // namespace qdiff::nn
