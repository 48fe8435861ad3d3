#include "qdiff/nn/layers.hpp"

// GCC 12 reports hundreds of false "may be used uninitialized" warnings inside Eigen's AVX-512
// packet code; they hide real ones.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "conv_shifted.hpp"
#include "gemm.hpp"
#include "qdiff/core/error.hpp"

namespace qdiff::nn {

namespace {
template <class T>
using MatR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Map = Eigen::Map<MatR<T>>;
template <class T>
using CMap = Eigen::Map<const MatR<T>>;

template <class T>
void ensure_threads(std::vector<Buf<T>>& v) {
  const size_t nt = static_cast<size_t>(omp_get_max_threads());
  if (v.size() < nt) v.resize(nt);
}

// Wt[K,M] = W[M,K]^T (row-major), for the GEMMs that need the transposed weight.
template <class T>
void transpose_into(T* Wt, const T* W, int M, int K) {
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k) Wt[static_cast<size_t>(k) * M + m] = W[static_cast<size_t>(m) * K + k];
}
}  // namespace

// ---- element-wise -------------------------------------------------------------------------------
// Loops over whole activations run on all OpenMP threads once they are large enough to pay for
// the fork. Results do not depend on the thread count: each element, and each (n, c) sum, is
// computed by one thread in a fixed order.
namespace {
constexpr size_t kParallelMin = size_t{1} << 15;
}
template <class T>
void relu_forward(T* y, const T* x, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <class T>
void relu_backward(T* dx, const T* y, const T* dy, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}
template <class T>
void silu_forward(T* y, const T* x, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) y[i] = x[i] / (T(1) + std::exp(-x[i]));
}
template <class T>
void silu_backward(T* dx, const T* x, const T* dy, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) {
    const T s = T(1) / (T(1) + std::exp(-x[i]));
    dx[i] = dy[i] * s * (T(1) + x[i] * (T(1) - s));
  }
}
template <class T>
void tanh_forward(T* y, const T* x, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
template <class T>
void tanh_backward(T* dx, const T* y, const T* dy, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
}
template <class T>
void add_forward(T* y, const T* a, const T* b, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

template <class T>
void timestep_embedding(T* out, const int* t, int N, int dim) {
  // out: [N,dim]
  const int half = dim / 2;
  if (half < 2 || dim % 2) throw InvalidArgument("timestep_embedding: dim must be even and >= 4");
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < half; ++k) {
      const double f = std::exp(-std::log(10000.0) * k / (half - 1));
      const double a = static_cast<double>(t[n]) * f;
      out[n * dim + k] = static_cast<T>(std::sin(a));
      out[n * dim + half + k] = static_cast<T>(std::cos(a));
    }
}

template <class T>
void avgpool_forward(T* y, const T* x, int N, int C, int HW) {
#pragma omp parallel for schedule(static) if (size_t(N) * C * HW >= kParallelMin)
  for (int i = 0; i < N * C; ++i) {
    T s = 0;
    for (int j = 0; j < HW; ++j) s += x[static_cast<size_t>(i) * HW + j];
    y[i] = s / T(HW);
  }
}
template <class T>
void avgpool_backward(T* dx, const T* dy, int N, int C, int HW) {
#pragma omp parallel for schedule(static) if (size_t(N) * C * HW >= kParallelMin)
  for (int i = 0; i < N * C; ++i)
    for (int j = 0; j < HW; ++j) dx[static_cast<size_t>(i) * HW + j] = dy[i] / T(HW);
}

template <class T>
void concat_forward(T* y, const T* a, const T* b, int N, int Ca, int Cb, int HW) {
  const size_t sa = static_cast<size_t>(Ca) * HW, sb = static_cast<size_t>(Cb) * HW;
#pragma omp parallel for schedule(static) if (N * (sa + sb) >= kParallelMin)
  for (int n = 0; n < N; ++n) {
    std::memcpy(y + n * (sa + sb), a + n * sa, sa * sizeof(T));
    std::memcpy(y + n * (sa + sb) + sa, b + n * sb, sb * sizeof(T));
  }
}
template <class T>
void concat_backward(T* da, T* db, const T* dy, int N, int Ca, int Cb, int HW) {
  const size_t sa = static_cast<size_t>(Ca) * HW, sb = static_cast<size_t>(Cb) * HW;
#pragma omp parallel for schedule(static) if (N * (sa + sb) >= kParallelMin)
  for (int n = 0; n < N; ++n) {
    if (da) std::memcpy(da + n * sa, dy + n * (sa + sb), sa * sizeof(T));
    if (db) std::memcpy(db + n * sb, dy + n * (sa + sb) + sa, sb * sizeof(T));
  }
}

template <class T>
void chscale_forward(T* y, const T* x, const T* s, int N, int C, int HW) {
#pragma omp parallel for schedule(static) if (size_t(N) * C * HW >= kParallelMin)
  for (int i = 0; i < N * C; ++i)
    for (int j = 0; j < HW; ++j) y[static_cast<size_t>(i) * HW + j] = x[static_cast<size_t>(i) * HW + j] * s[i];
}
template <class T>
void chscale_backward(T* dx, T* ds, const T* x, const T* s, const T* dy, int N, int C, int HW) {
#pragma omp parallel for schedule(static) if (size_t(N) * C * HW >= kParallelMin)
  for (int i = 0; i < N * C; ++i) {
    const size_t o = static_cast<size_t>(i) * HW;
    if (ds) {
      T acc = 0;
      for (int j = 0; j < HW; ++j) acc += dy[o + j] * x[o + j];
      ds[i] = acc;
    }
    if (dx)
      for (int j = 0; j < HW; ++j) dx[o + j] = dy[o + j] * s[i];
  }
}

template <class T>
void bcast_add_forward(T* x, const T* e, int N, int C, int HW) {
#pragma omp parallel for schedule(static) if (size_t(N) * C * HW >= kParallelMin)
  for (int i = 0; i < N * C; ++i)
    for (int j = 0; j < HW; ++j) x[static_cast<size_t>(i) * HW + j] += e[i];
}
template <class T>
void bcast_add_backward(T* de, const T* dy, int N, int C, int HW) {
#pragma omp parallel for schedule(static) if (size_t(N) * C * HW >= kParallelMin)
  for (int i = 0; i < N * C; ++i) {
    T acc = 0;
    for (int j = 0; j < HW; ++j) acc += dy[static_cast<size_t>(i) * HW + j];
    de[i] = acc;
  }
}

namespace {
// Output columns ow whose input column iw = ow*s + off lies in [0, W): [lo, hi).
inline void valid_range(int off, int s, int W, int Wo, int& lo, int& hi) {
  lo = off >= 0 ? 0 : std::min(Wo, (-off + s - 1) / s);
  hi = W - off <= 0 ? 0 : std::min(Wo, (W - off + s - 1) / s);
  if (hi < lo) hi = lo;
}

// im2col writing rows of length Ho*Wo at stride `ld` (so several images can share one col matrix).
template <class T>
void im2col_ld(T* col, size_t ld, const T* x, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  // x: [C,H,W] -> col: [C*k*k, ld] (first Ho*Wo columns)
  for (int c = 0; c < C; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj) {
        T* row = col + (static_cast<size_t>(c * k + ki) * k + kj) * ld;
        const int off = kj - p;  // iw = ow*s + off
        int lo, hi;
        valid_range(off, s, W, Wo, lo, hi);
        for (int oh = 0; oh < Ho; ++oh) {
          const int ih = oh * s - p + ki;
          T* r = row + oh * Wo;
          if (ih < 0 || ih >= H) {
            std::fill(r, r + Wo, T(0));
            continue;
          }
          const T* xr = x + (static_cast<size_t>(c) * H + ih) * W;
          for (int ow = 0; ow < lo; ++ow) r[ow] = T(0);
          if (s == 1) {
#pragma omp simd
            for (int ow = lo; ow < hi; ++ow) r[ow] = xr[ow + off];
          } else {
            for (int ow = lo; ow < hi; ++ow) r[ow] = xr[ow * s + off];
          }
          for (int ow = hi; ow < Wo; ++ow) r[ow] = T(0);
        }
      }
}

template <class T>
void col2im_add_ld(T* x, const T* col, size_t ld, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  for (int c = 0; c < C; ++c)
    for (int ki = 0; ki < k; ++ki)
      for (int kj = 0; kj < k; ++kj) {
        const T* row = col + (static_cast<size_t>(c * k + ki) * k + kj) * ld;
        const int off = kj - p;  // iw = ow*s + off
        int lo, hi;
        valid_range(off, s, W, Wo, lo, hi);
        for (int oh = 0; oh < Ho; ++oh) {
          const int ih = oh * s - p + ki;
          if (ih < 0 || ih >= H) continue;
          T* xr = x + (static_cast<size_t>(c) * H + ih) * W;
          const T* r = row + oh * Wo;
          if (s == 1) {
#pragma omp simd
            for (int ow = lo; ow < hi; ++ow) xr[ow + off] += r[ow];
          } else {
            for (int ow = lo; ow < hi; ++ow) xr[ow * s + off] += r[ow];
          }
        }
      }
}

// Images per GEMM block: about 1024 columns (measured: larger blocks spill the im2col matrix out of L2 and get slower), and at least as
// many blocks as threads. The batch is processed as blocks of whole images: one im2col matrix
// [K, nb*P] and one GEMM per block, blocks spread over the OpenMP threads.
int block_floats() {
  static const int v = [] {
    const char* e = std::getenv("QDIFF_NN_BLOCK");
    return e ? std::atoi(e) : 1024;
  }();
  return v;
}
int images_per_block(int N, int P, int threads) {
  // number of blocks: about N*P/block_floats(), at least `threads`, a multiple of `threads`
  // (balanced static schedule), at most N
  const int64_t want = (static_cast<int64_t>(N) * P + block_floats() - 1) / block_floats();
  int64_t nblk = std::max<int64_t>(want, threads);
  nblk = (nblk + threads - 1) / threads * threads;
  nblk = std::min<int64_t>(nblk, N);
  return static_cast<int>((N + nblk - 1) / nblk);
}
}  // namespace

template <class T>
void im2col(T* col, const T* x, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  im2col_ld(col, static_cast<size_t>(Ho) * Wo, x, C, H, W, k, s, p, Ho, Wo);
}
template <class T>
void col2im_add(T* x, const T* col, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  col2im_add_ld(x, col, static_cast<size_t>(Ho) * Wo, C, H, W, k, s, p, Ho, Wo);
}

// ---- Linear -------------------------------------------------------------------------------------
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

// ---- Conv2d -------------------------------------------------------------------------------------
namespace {
// Channel planes of m consecutive images as rows: src [m, C, P] -> dst [m*P, C].
template <class T>
void planes_to_rows(T* dst, const T* src, int m, int C, int P) {
  for (int j = 0; j < m; ++j)
    for (int c = 0; c < C; ++c) {
      const T* s = src + (static_cast<size_t>(j) * C + c) * P;
      T* d = dst + static_cast<size_t>(j) * P * C + c;
      for (int q = 0; q < P; ++q) d[static_cast<size_t>(q) * C] = s[q];
    }
}

// A block of images [n0, n0 + m) of a batch split into blocks of nb images; its matrices hold
// cols = m*P columns.
struct Block {
  int n0, m;
  size_t cols;
  Block(int blk, int nb, int N, int P) : n0(blk * nb), m(std::min(N, n0 + nb) - n0), cols(size_t(m) * P) {}
};

// Channel planes of m consecutive images into one block matrix: src [m, C, P] -> dst [C, m*P].
template <class T>
void images_to_block(T* dst, const T* src, int m, int C, int P) {
  const size_t cols = static_cast<size_t>(m) * P;
  for (int j = 0; j < m; ++j)
    for (int c = 0; c < C; ++c)
      std::memcpy(dst + c * cols + static_cast<size_t>(j) * P, src + (static_cast<size_t>(j) * C + c) * P, P * sizeof(T));
}
// And back: src [C, m*P] -> dst [m, C, P].
template <class T>
void block_to_images(T* dst, const T* src, int m, int C, int P) {
  const size_t cols = static_cast<size_t>(m) * P;
  for (int j = 0; j < m; ++j)
    for (int c = 0; c < C; ++c)
      std::memcpy(dst + (static_cast<size_t>(j) * C + c) * P, src + c * cols + static_cast<size_t>(j) * P, P * sizeof(T));
}

// im2col of m consecutive images [m, C, H, W] side by side: col [C*k*k, m*Ho*Wo].
template <class T>
void im2col_block(T* col, const T* x, int m, int C, int H, int W, int k, int s, int p, int Ho, int Wo) {
  const size_t P = static_cast<size_t>(Ho) * Wo;
  for (int j = 0; j < m; ++j)
    im2col_ld(col + j * P, m * P, x + static_cast<size_t>(j) * C * H * W, C, H, W, k, s, p, Ho, Wo);
}

// Weight-gradient partial of one block, transposed: gT[K, R] = A[K, L] D[R, L]^T, where R is the
// weight's row count and Dt = D^T [L, R]. R >= gemm::kThickRows runs on the GEMM kernel (it needs
// Dt); thinner weights (e.g. the 1-channel output convolution) use row dot products of A and D.
template <class T>
void weight_grad_t(T* gT, const T* A, const T* D, const T* Dt, int K, int R, size_t L) {
  if (R >= gemm::kThickRows)
    gemm::gemm(K, R, static_cast<int>(L), A, Dt, gT);
  else
    Map<T>(gT, K, R).noalias() = CMap<T>(A, K, L).lazyProduct(CMap<T>(D, R, L).transpose());
}

// Adds per-block partials (each [weight gradient transposed as [K, R] | n_bias biases]) into the
// registry's gradients (weight [R, K]) in block order, so the sum is the same for any thread count.
template <class T>
void add_block_partials(T* gw, T* gb, const std::vector<Buf<T>>& parts, int nblk, int R, int K, int n_bias) {
  for (int blk = 0; blk < nblk; ++blk) {
    const T* part = parts[blk].data();
    for (int k = 0; k < K; ++k)
      for (int r = 0; r < R; ++r) gw[static_cast<size_t>(r) * K + k] += part[static_cast<size_t>(k) * R + r];
    for (int o = 0; o < n_bias; ++o) gb[o] += part[static_cast<size_t>(K) * R + o];
  }
}
}  // namespace

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
void Conv2d<T>::forward(T* y, const T* x, int N, int H, int W) {
  // x: [N,cin,H,W] -> y: [N,cout,Ho,Wo]. Per block of nb images: col: [K, nb*P], Yb = W col: [cout, nb*P]
  if constexpr (std::is_same_v<T, float>) {
    if (shifted::applies(k, stride, pad)) {  // stride 1: no im2col (conv_shifted.hpp)
      ensure_threads(col_);
      ensure_threads(dcol_);
      shifted::forward({N, cin, cout, k, pad, H, W}, y, x, reg_->param(w), reg_->param(b), col_, dcol_, row_off_);
      return;
    }
  }
  const int Ho = out_size(H), Wo = out_size(W), P = Ho * Wo, K = cin * k * k;
  const int nb = images_per_block(N, P, omp_get_max_threads()), nblk = (N + nb - 1) / nb;
  ensure_threads(col_);
  ensure_threads(dcol_);
  const T* bb = reg_->param(b);
#pragma omp parallel for schedule(static)
  for (int blk = 0; blk < nblk; ++blk) {
    const auto [n0, m, cols] = Block(blk, nb, N, P);
    const int tid = omp_get_thread_num();
    T* col = col_[tid].get(static_cast<size_t>(K) * nb * P);
    T* yb = dcol_[tid].get(static_cast<size_t>(cout) * nb * P);
    im2col_block(col, x + static_cast<size_t>(n0) * cin * H * W, m, cin, H, W, k, stride, pad, Ho, Wo);
    gemm::gemm(cout, static_cast<int>(cols), K, reg_->param(w), col, yb);
    for (int j = 0; j < m; ++j)
      for (int o = 0; o < cout; ++o) {
        const T* src = yb + o * cols + static_cast<size_t>(j) * P;
        T* dst = y + (static_cast<size_t>(n0 + j) * cout + o) * P;
        for (int q = 0; q < P; ++q) dst[q] = src[q] + bb[o];
      }
  }
}

template <class T>
void Conv2d<T>::backward(T* dx, const T* x, const T* dy, int N, int H, int W) {
  // dy: [N,cout,Ho,Wo]. Per block: dYb: [cout, nb*P]; dW += dYb col^T; db += row sums;
  // dcol = W^T dYb: [K, nb*P] -> col2im into dx. Block partials are reduced in block order.
  if constexpr (std::is_same_v<T, float>) {
    if (shifted::applies(k, stride, pad)) {  // stride 1: no im2col/col2im (conv_shifted.hpp)
      for (auto* v : {&col_, &dcol_, &dy_, &dyt_, &dw_}) ensure_threads(*v);
      const int threads = shifted::backward({N, cin, cout, k, pad, H, W}, dx, x, reg_->param(w), dy, dw_, col_, dy_,
                                            dyt_, dcol_, wt_, row_off_, drow_off_);
      add_block_partials(reg_->grad(w), reg_->grad(b), dw_, threads, cout, cin * k * k, cout);
      return;
    }
  }
  const int Ho = out_size(H), Wo = out_size(W), P = Ho * Wo, K = cin * k * k;
  const int nb = images_per_block(N, P, omp_get_max_threads()), nblk = (N + nb - 1) / nb;
  ensure_threads(col_);
  ensure_threads(dcol_);
  ensure_threads(dy_);
  ensure_threads(dyt_);
  if (dw_.size() < static_cast<size_t>(nblk)) dw_.resize(nblk);
  T* wt = wt_.get(static_cast<size_t>(K) * cout);  // W^T: [K, cout]
  if (dx) transpose_into(wt, reg_->param(w), cout, K);
#pragma omp parallel for schedule(static)
  for (int blk = 0; blk < nblk; ++blk) {
    const auto [n0, m, cols] = Block(blk, nb, N, P);
    const int tid = omp_get_thread_num();
    T* col = col_[tid].get(static_cast<size_t>(K) * nb * P);
    T* dyb = dy_[tid].get(static_cast<size_t>(cout) * nb * P);
    im2col_block(col, x + static_cast<size_t>(n0) * cin * H * W, m, cin, H, W, k, stride, pad, Ho, Wo);
    images_to_block(dyb, dy + static_cast<size_t>(n0) * cout * P, m, cout, P);
    T* dyt = nullptr;  // dYb^T: [nb*P, cout], for the weight-gradient GEMM
    if (cout >= gemm::kThickRows) {
      dyt = dyt_[tid].get(static_cast<size_t>(cout) * nb * P);
      planes_to_rows(dyt, dy + static_cast<size_t>(n0) * cout * P, m, cout, P);
    }
    T* part = dw_[blk].get(static_cast<size_t>(cout) * K + cout);  // [dW^T: K x cout | db]
    weight_grad_t(part, col, dyb, dyt, K, cout, cols);
    for (int o = 0; o < cout; ++o) {  // plain loop: deterministic summation order
      T s = 0;
      for (size_t q = 0; q < cols; ++q) s += dyb[o * cols + q];
      part[static_cast<size_t>(cout) * K + o] = s;
    }
    if (dx) {
      T* dc = dcol_[tid].get(static_cast<size_t>(K) * nb * P);
      gemm::gemm(K, static_cast<int>(cols), cout, wt, dyb, dc);
      for (int j = 0; j < m; ++j) {
        T* dxn = dx + static_cast<size_t>(n0 + j) * cin * H * W;
        std::fill(dxn, dxn + static_cast<size_t>(cin) * H * W, T(0));
        col2im_add_ld(dxn, dc + static_cast<size_t>(j) * P, cols, cin, H, W, k, stride, pad, Ho, Wo);
      }
    }
  }
  add_block_partials(reg_->grad(w), reg_->grad(b), dw_, nblk, cout, K, cout);
}

// ---- ConvTranspose2d ----------------------------------------------------------------------------
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
  // x: [N,cin,H,W] -> y: [N,cout,Ho,Wo]. Per block: Xb: [cin, nb*P]; col = W^T Xb: [cout*k*k, nb*P];
  // y_n = bias + col2im(col_n)
  const int Ho = out_size(H), Wo = out_size(W), P = H * W, K = cout * k * k;
  const int nb = images_per_block(N, P, omp_get_max_threads()), nblk = (N + nb - 1) / nb;
  ensure_threads(col_);
  ensure_threads(xb_);
  T* wt = wt_.get(static_cast<size_t>(K) * cin);  // W^T: [cout*k*k, cin]
  transpose_into(wt, reg_->param(w), cin, K);
  const T* bb = reg_->param(b);
#pragma omp parallel for schedule(static)
  for (int blk = 0; blk < nblk; ++blk) {
    const auto [n0, m, cols] = Block(blk, nb, N, P);
    const int tid = omp_get_thread_num();
    T* xb = xb_[tid].get(static_cast<size_t>(cin) * nb * P);
    T* c = col_[tid].get(static_cast<size_t>(K) * nb * P);
    images_to_block(xb, x + static_cast<size_t>(n0) * cin * P, m, cin, P);
    gemm::gemm(K, static_cast<int>(cols), cin, wt, xb, c);
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
  // Per block: dcol = im2col(dy): [cout*k*k, nb*P]; dW += Xb dcol^T; dXb = W dcol; db += sum dy
  const int Ho = out_size(H), Wo = out_size(W), P = H * W, K = cout * k * k;
  const int nb = images_per_block(N, P, omp_get_max_threads()), nblk = (N + nb - 1) / nb;
  ensure_threads(col_);
  ensure_threads(xb_);
  ensure_threads(xbt_);
  if (dw_.size() < static_cast<size_t>(nblk)) dw_.resize(nblk);
#pragma omp parallel for schedule(static)
  for (int blk = 0; blk < nblk; ++blk) {
    const auto [n0, m, cols] = Block(blk, nb, N, P);
    const int tid = omp_get_thread_num();
    T* xb = xb_[tid].get(static_cast<size_t>(cin) * nb * P);
    T* dc = col_[tid].get(static_cast<size_t>(K) * nb * P);
    T* part = dw_[blk].get(static_cast<size_t>(cin) * K + cout);
    T* dbp = part + static_cast<size_t>(cin) * K;
    std::fill(dbp, dbp + cout, T(0));
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
    T* xbt = nullptr;  // Xb^T: [nb*P, cin], for the weight-gradient GEMM
    if (cin >= gemm::kThickRows) {
      xbt = xbt_[tid].get(static_cast<size_t>(cin) * nb * P);
      planes_to_rows(xbt, x + static_cast<size_t>(n0) * cin * P, m, cin, P);
    }
    weight_grad_t(part, dc, xb, xbt, K, cin, cols);  // [dW^T: K x cin | db]
    if (dx) {
      gemm::gemm(cin, static_cast<int>(cols), K, reg_->param(w), dc, xb);  // xb reused for dXb
      block_to_images(dx + static_cast<size_t>(n0) * cin * P, xb, m, cin, P);
    }
  }
  add_block_partials(reg_->grad(w), reg_->grad(b), dw_, nblk, cin, K, cout);
}

// ---- GroupNorm ----------------------------------------------------------------------------------
template <class T>
GroupNorm<T>::GroupNorm(ParamRegistryT<T>& reg, const std::string& name, int groups_, int channels_)
    : groups(groups_), channels(channels_), reg_(&reg) {
  if (groups < 1 || channels % groups)
    throw InvalidArgument("GroupNorm '" + name + "': channels " + std::to_string(channels) +
                          " not divisible by groups " + std::to_string(groups));
  gamma = reg.add(name + ".weight", {channels}, Init::Ones);
  beta = reg.add(name + ".bias", {channels}, Init::Zeros);
}

template <class T>
void GroupNorm<T>::forward(T* y, const T* x, int N, int HW) {
  // x: [N,C,HW]; per (n,g): mean, rstd over cg*HW values
  const int cg = channels / groups;
  const size_t M = static_cast<size_t>(cg) * HW;
  T* mean = mean_.get(static_cast<size_t>(N) * groups);
  T* rstd = rstd_.get(static_cast<size_t>(N) * groups);
  const T* g = reg_->param(gamma);
  const T* bt = reg_->param(beta);
#pragma omp parallel for schedule(static)
  for (int ng = 0; ng < N * groups; ++ng) {
    const T* xg = x + static_cast<size_t>(ng) * M;
    double s = 0, ss = 0;
    for (size_t i = 0; i < M; ++i) s += xg[i];
    const double mu = s / M;
    for (size_t i = 0; i < M; ++i) ss += (xg[i] - mu) * (xg[i] - mu);
    const double r = 1.0 / std::sqrt(ss / M + eps);
    mean[ng] = static_cast<T>(mu);
    rstd[ng] = static_cast<T>(r);
    const int c0 = (ng % groups) * cg;
    T* yg = y + static_cast<size_t>(ng) * M;
    for (int c = 0; c < cg; ++c)
      for (int j = 0; j < HW; ++j) {
        const size_t i = static_cast<size_t>(c) * HW + j;
        yg[i] = (xg[i] - mean[ng]) * rstd[ng] * g[c0 + c] + bt[c0 + c];
      }
  }
}

template <class T>
void GroupNorm<T>::backward(T* dx, const T* x, const T* dy, int N, int HW) {
  // xhat = (x-mu) rstd; dxhat = dy gamma;
  // dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)); dgamma += sum dy xhat; dbeta += sum dy
  const int cg = channels / groups;
  const size_t M = static_cast<size_t>(cg) * HW;
  const T* mean = mean_.data();
  const T* rstd = rstd_.data();
  const T* g = reg_->param(gamma);
  T* dg = reg_->grad(gamma);
  T* db = reg_->grad(beta);
  for (int ng = 0; ng < N * groups; ++ng) {
    const T* xg = x + static_cast<size_t>(ng) * M;
    const T* dyg = dy + static_cast<size_t>(ng) * M;
    const int c0 = (ng % groups) * cg;
    T s1 = 0, s2 = 0;
    for (int c = 0; c < cg; ++c) {
      T dgc = 0, dbc = 0;
      for (int j = 0; j < HW; ++j) {
        const size_t i = static_cast<size_t>(c) * HW + j;
        const T xh = (xg[i] - mean[ng]) * rstd[ng];
        const T dxh = dyg[i] * g[c0 + c];
        s1 += dxh;
        s2 += dxh * xh;
        dgc += dyg[i] * xh;
        dbc += dyg[i];
      }
      dg[c0 + c] += dgc;
      db[c0 + c] += dbc;
    }
    if (!dx) continue;
    s1 /= T(M);
    s2 /= T(M);
    T* dxg = dx + static_cast<size_t>(ng) * M;
    for (int c = 0; c < cg; ++c)
      for (int j = 0; j < HW; ++j) {
        const size_t i = static_cast<size_t>(c) * HW + j;
        const T xh = (xg[i] - mean[ng]) * rstd[ng];
        dxg[i] = rstd[ng] * (dyg[i] * g[c0 + c] - s1 - xh * s2);
      }
  }
}

// ---- ResBlock -----------------------------------------------------------------------------------
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
void ResBlock<T>::forward(T* y, const T* x, const T* temb, int N, int H, int W) {
  // x: [N,in,H,W], temb: [N,temb_dim] -> y: [N,out,H,W]
  const int P = H * W;
  const size_t no = static_cast<size_t>(N) * out * P, ni = static_cast<size_t>(N) * in * P;
  T* h1 = h1_.get(no);
  T* e = e_.get(static_cast<size_t>(N) * out);
  T* h2 = h2_.get(no);
  T* h3 = h3_.get(no);
  if (kind == BlockKind::Paper) {
    conv1_.forward(h1, x, N, H, W);
    relu_forward(h1, h1, no);
    temb_.forward(e, temb, N);
    relu_forward(e, e, static_cast<size_t>(N) * out);
    std::memcpy(h2, h1, no * sizeof(T));
    bcast_add_forward(h2, e, N, out, P);
    conv2_.forward(h3, h2, N, H, W);
    relu_forward(h3, h3, no);
  } else {
    T* g1 = g1_.get(ni);
    T* s1 = s1_.get(ni);
    T* g2 = g2_.get(no);
    T* s2 = s2_.get(no);
    gn1_.forward(g1, x, N, P);
    silu_forward(s1, g1, ni);
    conv1_.forward(h1, s1, N, H, W);
    temb_.forward(e, temb, N);
    std::memcpy(h2, h1, no * sizeof(T));
    bcast_add_forward(h2, e, N, out, P);
    gn2_.forward(g2, h2, N, P);
    silu_forward(s2, g2, no);
    conv2_.forward(h3, s2, N, H, W);
  }
  if (has_skip) {
    skip_.forward(y, x, N, H, W);
    add_forward(y, y, h3, no);
  } else {
    add_forward(y, h3, x, no);
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
  if (has_skip) {
    T* dIn = dIn_.get(ni);
    skip_.backward(dIn, x, dy, N, H, W);
    add_forward(dx, dx, dIn, ni);
  } else {
    add_forward(dx, dx, dy, ni);
  }
}

#define QDIFF_NN_INSTANTIATE(T)                                                                   \
  template void relu_forward<T>(T*, const T*, size_t);                                            \
  template void relu_backward<T>(T*, const T*, const T*, size_t);                                 \
  template void silu_forward<T>(T*, const T*, size_t);                                            \
  template void silu_backward<T>(T*, const T*, const T*, size_t);                                 \
  template void tanh_forward<T>(T*, const T*, size_t);                                            \
  template void tanh_backward<T>(T*, const T*, const T*, size_t);                                 \
  template void add_forward<T>(T*, const T*, const T*, size_t);                                   \
  template void timestep_embedding<T>(T*, const int*, int, int);                                  \
  template void avgpool_forward<T>(T*, const T*, int, int, int);                                  \
  template void avgpool_backward<T>(T*, const T*, int, int, int);                                 \
  template void concat_forward<T>(T*, const T*, const T*, int, int, int, int);                    \
  template void concat_backward<T>(T*, T*, const T*, int, int, int, int);                         \
  template void chscale_forward<T>(T*, const T*, const T*, int, int, int);                        \
  template void chscale_backward<T>(T*, T*, const T*, const T*, const T*, int, int, int);         \
  template void bcast_add_forward<T>(T*, const T*, int, int, int);                                \
  template void bcast_add_backward<T>(T*, const T*, int, int, int);                               \
  template void im2col<T>(T*, const T*, int, int, int, int, int, int, int, int);                  \
  template void col2im_add<T>(T*, const T*, int, int, int, int, int, int, int, int);              \
  template class Linear<T>;                                                                       \
  template class Conv2d<T>;                                                                       \
  template class ConvTranspose2d<T>;                                                              \
  template class GroupNorm<T>;                                                                    \
  template class ResBlock<T>;

QDIFF_NN_INSTANTIATE(float)
QDIFF_NN_INSTANTIATE(double)

}  // namespace qdiff::nn
