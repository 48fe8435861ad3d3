// Layers of the U-Net, each a forward/backward pair (llm.c style), NCHW, templated on the scalar
// (float for training, double for the finite-difference gradient checks).
//
// Conventions:
//  - forward writes its output; backward WRITES the input gradient (dx) and ADDS into parameter
//    gradients (the registry's flat grad buffer). One zero_grad per step.
//  - dx may be nullptr when the input gradient is not needed.
//  - Caches are explicit: what backward needs is either an argument (x, y) or stored in the
//    layer (GroupNorm's mean/rstd). Scratch is grow-only (no allocation once sizes are stable).
//  - Convolutions are im2col + Eigen GEMM per image, parallel over the batch with OpenMP.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/nn/params.hpp"

namespace qdiff::nn {

// ---- element-wise ops and small reshaping ops (free functions) --------------------------------
// y = max(x, 0); dx = dy * (y > 0). In-place (y == x) is allowed.
template <class T> void relu_forward(T* y, const T* x, size_t n);
template <class T> void relu_backward(T* dx, const T* y, const T* dy, size_t n);
// y = x * sigmoid(x); backward needs x.
template <class T> void silu_forward(T* y, const T* x, size_t n);
template <class T> void silu_backward(T* dx, const T* x, const T* dy, size_t n);
// y = tanh(x); backward needs y.
template <class T> void tanh_forward(T* y, const T* x, size_t n);
template <class T> void tanh_backward(T* dx, const T* y, const T* dy, size_t n);
// y = a + b (residual add); its backward is the identity on both inputs.
template <class T> void add_forward(T* y, const T* a, const T* b, size_t n);

// Sinusoidal timestep embedding. t: [N] -> out: [N,dim]; out[:, k] = sin(t f_k) for k < dim/2,
// out[:, dim/2 + k] = cos(t f_k), f_k = exp(-ln(10000) k / (dim/2 - 1)). No parameters.
template <class T> void timestep_embedding(T* out, const int* t, int N, int dim);

// Global average pool. x: [N,C,HW] -> y: [N,C]; dx[n,c,:] = dy[n,c] / HW.
template <class T> void avgpool_forward(T* y, const T* x, int N, int C, int HW);
template <class T> void avgpool_backward(T* dx, const T* dy, int N, int C, int HW);

// Channel concat. a: [N,Ca,HW], b: [N,Cb,HW] -> y: [N,Ca+Cb,HW]; backward splits dy.
template <class T> void concat_forward(T* y, const T* a, const T* b, int N, int Ca, int Cb, int HW);
template <class T> void concat_backward(T* da, T* db, const T* dy, int N, int Ca, int Cb, int HW);

// Channel-wise scale. x: [N,C,HW], s: [N,C] -> y[n,c,:] = x[n,c,:] * s[n,c].
// dx = dy * s; ds[n,c] = sum_hw dy * x. dx or ds may be nullptr.
template <class T> void chscale_forward(T* y, const T* x, const T* s, int N, int C, int HW);
template <class T> void chscale_backward(T* dx, T* ds, const T* x, const T* s, const T* dy, int N, int C, int HW);

// Per-channel broadcast add. x: [N,C,HW] += e: [N,C]; backward de[n,c] = sum_hw dy.
template <class T> void bcast_add_forward(T* x, const T* e, int N, int C, int HW);
template <class T> void bcast_add_backward(T* de, const T* dy, int N, int C, int HW);

// im2col for a [C,H,W] image with square kernel k, stride s, padding p -> col: [C*k*k, Ho*Wo].
template <class T> void im2col(T* col, const T* x, int C, int H, int W, int k, int s, int p, int Ho, int Wo);
// Adjoint of im2col: x += scatter(col).
template <class T> void col2im_add(T* x, const T* col, int C, int H, int W, int k, int s, int p, int Ho, int Wo);

// ---- layers with parameters --------------------------------------------------------------------
// Linear: x: [N,in] -> y: [N,out]; weight [out,in], bias [out] (PyTorch layout and init).
template <class T>
class Linear {
 public:
  Linear() = default;
  Linear(ParamRegistryT<T>& reg, const std::string& name, int in, int out);
  void forward(T* y, const T* x, int N) const;
  void backward(T* dx, const T* x, const T* dy, int N);
  int in = 0, out = 0;
  ParamRef w, b;

 private:
  ParamRegistryT<T>* reg_ = nullptr;
};

// Conv2d: x: [N,Cin,H,W] -> y: [N,Cout,Ho,Wo], Ho = (H + 2p - k)/s + 1; weight [Cout,Cin,k,k].
// Float stride-1 convolutions read shifted views of a zero-padded image (src/nn/conv_shifted.hpp);
// other strides and double use im2col + GEMM (src/nn/gemm.hpp).
template <class T>
class Conv2d {
 public:
  Conv2d() = default;
  Conv2d(ParamRegistryT<T>& reg, const std::string& name, int cin, int cout, int k, int stride, int pad);
  int out_size(int h) const { return (h + 2 * pad - k) / stride + 1; }
  void forward(T* y, const T* x, int N, int H, int W);
  void backward(T* dx, const T* x, const T* dy, int N, int H, int W);
  // Multiply-adds per image (for FLOP counts).
  int64_t macs(int H, int W) const;
  int cin = 0, cout = 0, k = 1, stride = 1, pad = 0;
  ParamRef w, b;

 private:
  ParamRegistryT<T>* reg_ = nullptr;
  std::vector<Buf<T>> col_, dcol_, dy_, dyt_;  // per OpenMP thread
  std::vector<Buf<T>> dw_;                     // per block of images (or thread): dW^T, db partials
  Buf<T> wt_;                                  // W^T (or the flipped kernel) for the input gradient
  std::vector<int> row_off_, drow_off_;        // stride-1 path: offsets of the shifted views
};

// ConvTranspose2d: x: [N,Cin,H,W] -> y: [N,Cout,Ho,Wo], Ho = (H-1)s - 2p + k; weight [Cin,Cout,k,k]
// (PyTorch layout; init bound uses PyTorch's fan_in = Cout*k*k).
template <class T>
class ConvTranspose2d {
 public:
  ConvTranspose2d() = default;
  ConvTranspose2d(ParamRegistryT<T>& reg, const std::string& name, int cin, int cout, int k, int stride, int pad);
  int out_size(int h) const { return (h - 1) * stride - 2 * pad + k; }
  void forward(T* y, const T* x, int N, int H, int W);
  void backward(T* dx, const T* x, const T* dy, int N, int H, int W);
  int64_t macs(int H, int W) const;
  int cin = 0, cout = 0, k = 2, stride = 2, pad = 0;
  ParamRef w, b;

 private:
  ParamRegistryT<T>* reg_ = nullptr;
  std::vector<Buf<T>> col_, xb_, xbt_;  // per OpenMP thread
  std::vector<Buf<T>> dw_;              // per block of images: dW^T, db partials
  Buf<T> wt_;                     // W^T for the forward GEMM
};

// GroupNorm: x: [N,C,HW] -> y, per (n, group) statistics over (C/G)*HW values, eps 1e-5,
// per-channel affine gamma (init 1), beta (init 0). Caches mean and rstd for backward.
template <class T>
class GroupNorm {
 public:
  GroupNorm() = default;
  GroupNorm(ParamRegistryT<T>& reg, const std::string& name, int groups, int channels);
  void forward(T* y, const T* x, int N, int HW);
  void backward(T* dx, const T* x, const T* dy, int N, int HW);
  int groups = 1, channels = 0;
  double eps = 1e-5;
  ParamRef gamma, beta;

 private:
  ParamRegistryT<T>* reg_ = nullptr;
  Buf<T> mean_, rstd_;  // [N*G]
};

// ---- ResBlock with time conditioning ------------------------------------------------------------
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
