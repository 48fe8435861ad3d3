// Convolutions: Conv2d and ConvTranspose2d (square kernels, NCHW), and the im2col/col2im
// transforms they are built on. Conventions: see layers.hpp.
//
// How they compute (src/nn): float Conv2d reads shifted views of the zero-padded image, split
// into its stride phases, one image per GEMM (src/nn/conv_shifted.hpp); ConvTranspose2d, the
// padding > k-1 case and double cut batches into blocks of whole images, im2col + one GEMM per
// block (src/nn/gemm.hpp: an AVX-512 kernel for float, Eigen otherwise). Images and blocks are
// spread over the OpenMP threads. Float layers can run their GEMMs in bf16 (precision.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/nn/params.hpp"
#include "qdiff/nn/precision.hpp"

namespace qdiff::nn {

// What Conv2d::forward does to each output value v = (W x)[n,o,q] + b[o] on its way out, fused
// into the pass that writes y (saves separate passes of the ResBlock over memory):
//   y = relu ? max(v, 0) : v;   and when y2: y2 = y + chan[n,o] (if chan) + res[n,o,q] (if res).
// res may alias y2 (y2 += y).
template <class T>
struct Epilogue {
  bool relu = false;
  T* y2 = nullptr;          // [N,cout,Ho,Wo]
  const T* chan = nullptr;  // [N,cout]
  const T* res = nullptr;   // [N,cout,Ho,Wo]
};

// Per-thread scratch of the shifted-view path (src/nn/conv_shifted.hpp), grow-only.
struct ShiftedScratch {
  Buf<float> img, out;                  // the padded phases of x, a GEMM's output
  Buf<float> dyt, dyr, dyp, dcol;       // dy on the wide grid (transposed, rows), padded; W^T dy
  Buf<uint16_t> img_half;               // bf16: the padded image as bfloat16
  Buf<uint32_t> img_pairs, dy_pairs;    // bf16: channel pairs of images, row pairs of dy
};

// Per-thread scratch of the Winograd path (src/nn/conv_winograd.hpp), grow-only.
struct WinogradScratch {
  Buf<float> v, m;  // the transformed input V [a^2][cin][cols] and the GEMMs' output M [a^2][cout][cols]
};

// im2col for a [C,H,W] image with square kernel k, stride s, padding p -> col: [C*k*k, Ho*Wo].
template <class T> void im2col(T* col, const T* x, int C, int H, int W, int k, int s, int p, int Ho, int Wo);
// Adjoint of im2col: x += scatter(col).
template <class T> void col2im_add(T* x, const T* col, int C, int H, int W, int k, int s, int p, int Ho, int Wo);

// Conv2d: x: [N,Cin,H,W] -> y: [N,Cout,Ho,Wo], Ho = (H + 2p - k)/s + 1; weight [Cout,Cin,k,k].
template <class T>
class Conv2d {
 public:
  Conv2d() = default;
  Conv2d(ParamRegistryT<T>& reg, const std::string& name, int cin, int cout, int k, int stride, int pad);
  int out_size(int h) const { return (h + 2 * pad - k) / stride + 1; }
  void forward(T* y, const T* x, int N, int H, int W, const Epilogue<T>& ep = {});
  void backward(T* dx, const T* x, const T* dy, int N, int H, int W);
  // Multiply-adds per image (for FLOP counts).
  int64_t macs(int H, int W) const;
  int cin = 0, cout = 0, k = 1, stride = 1, pad = 0;
  ParamRef w, b;
  Precision precision = Precision::Float32;  // bf16: float layers only

 private:
  ParamRegistryT<T>* reg_ = nullptr;
  std::vector<Buf<T>> col_, dcol_, dy_, dyt_;  // per OpenMP thread (im2col path)
  std::vector<ShiftedScratch> work_;           // per OpenMP thread (shifted-view path)
  std::vector<WinogradScratch> wino_;          // per OpenMP thread (Winograd path)
  Buf<float> wu_;                              // Winograd path: the transformed (or flipped) kernel
  std::vector<Buf<T>> dw_;                     // per leaf of the batch's tree: dW^T, db partials
  Buf<T> wt_;                                  // W^T (or the flipped kernel) for the input gradient
  Buf<uint16_t> wh_;                           // bf16: W (or the flipped kernel) in channel pairs
  std::vector<int> row_off_, drow_off_;        // shifted-view path: offsets of the shifted views
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
  Precision precision = Precision::Float32;  // bf16: float layers only

 private:
  ParamRegistryT<T>* reg_ = nullptr;
  std::vector<Buf<T>> col_, xb_, xbt_;  // per OpenMP thread
  std::vector<Buf<T>> dw_;              // per block of images: dW^T, db partials
  Buf<T> wt_;                           // W^T for the forward GEMM
};

}  // namespace qdiff::nn
