// Parameter-free ops of the U-Net as forward/backward free functions (NCHW, templated on the
// scalar): activations, the residual add, the timestep embedding, pooling, concatenation and the
// per-channel scale and broadcast add. Conventions: see layers.hpp.
#pragma once
#include <cstddef>

namespace qdiff::nn {

// ---- element-wise ------------------------------------------------------------------------------
// y = max(x, 0); dx = dy * (y > 0). In-place (y == x) is allowed.
template <class T> void relu_forward(T* y, const T* x, size_t n);
template <class T> void relu_backward(T* dx, const T* y, const T* dy, size_t n);
// y = x * sigmoid(x); backward needs x.
template <class T> void silu_forward(T* y, const T* x, size_t n);
template <class T> void silu_backward(T* dx, const T* x, const T* dy, size_t n);
// y = tanh(x); backward needs y.
template <class T> void tanh_forward(T* y, const T* x, size_t n);
template <class T> void tanh_backward(T* dx, const T* y, const T* dy, size_t n);
// y = a + b (residual add). In-place (y == a) is allowed. Its backward passes dy unchanged to both
// inputs and ADDS it into da and db (either may be nullptr): an input of a residual add (the
// block's input x) also receives gradient along the other path.
template <class T> void add_forward(T* y, const T* a, const T* b, size_t n);
template <class T> void add_backward(T* da, T* db, const T* dy, size_t n);

// ---- embedding and reshaping -------------------------------------------------------------------
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

}  // namespace qdiff::nn
