// Convolutions: Conv2d and ConvTranspose2d (square kernels, NCHW), and the im2col/col2im
// transforms they are built on. Conventions: see layers.hpp.
//
// How they compute (src/nn): batches are cut into blocks of whole images, one GEMM per block,
// the blocks spread over the OpenMP threads. Float stride-1 convolutions read shifted views of a
// zero-padded image (src/nn/conv_shifted.hpp); other strides and double use im2col + GEMM
// (src/nn/gemm.hpp: an AVX-512 kernel for float, Eigen otherwise).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/nn/params.hpp"

namespace qdiff::nn {

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
  Buf<T> wt_;                           // W^T for the forward GEMM
};

}  // namespace qdiff::nn
