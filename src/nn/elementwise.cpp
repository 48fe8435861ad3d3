// Parameter-free ops (ops.hpp): activations, residual add, pooling, concat, channel scale and
// broadcast add.
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "qdiff/nn/ops.hpp"

namespace qdiff::nn {

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
void add_backward(T* da, T* db, const T* dy, size_t n) {
  for (T* d : {da, db}) {
    if (!d) continue;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (size_t i = 0; i < n; ++i) d[i] += dy[i];
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

#define QDIFF_INSTANTIATE(T) \
  template void relu_forward<T>(T*, const T*, size_t); \
  template void relu_backward<T>(T*, const T*, const T*, size_t); \
  template void silu_forward<T>(T*, const T*, size_t); \
  template void silu_backward<T>(T*, const T*, const T*, size_t); \
  template void tanh_forward<T>(T*, const T*, size_t); \
  template void tanh_backward<T>(T*, const T*, const T*, size_t); \
  template void add_forward<T>(T*, const T*, const T*, size_t); \
  template void add_backward<T>(T*, T*, const T*, size_t); \
  template void avgpool_forward<T>(T*, const T*, int, int, int); \
  template void avgpool_backward<T>(T*, const T*, int, int, int); \
  template void concat_forward<T>(T*, const T*, const T*, int, int, int, int); \
  template void concat_backward<T>(T*, T*, const T*, int, int, int, int); \
  template void chscale_forward<T>(T*, const T*, const T*, int, int, int); \
  template void chscale_backward<T>(T*, T*, const T*, const T*, const T*, int, int, int); \
  template void bcast_add_forward<T>(T*, const T*, int, int, int); \
  template void bcast_add_backward<T>(T*, const T*, int, int, int);

QDIFF_INSTANTIATE(float)
QDIFF_INSTANTIATE(double)

}  // namespace qdiff::nn
