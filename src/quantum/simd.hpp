// Internal to src/quantum: the AVX-512 register layer of the statevector kernels, generic over
// precision (Vec<double>: 4 complex amplitudes per register, Vec<float>: 8), re/im interleaved.
// Defines QDIFF_QUANTUM_AVX512 when the target has AVX-512F; otherwise empty (kernels.cpp then
// uses its scalar paths).
#pragma once
#if defined(__AVX512F__)
// GCC 12's AVX-512 header initialises its "undefined" registers from themselves and warns about
// it at every inlined use (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstdint>
#include <cstring>

#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum {

// ---- AVX-512 path: L complex amplitudes per register, re/im interleaved ------------------------
// L = 4 in double, 8 in float. For a pair (x, y) = amplitudes with bit q = 0 / 1, registers X
// and Y hold L such x's and y's. 2^q >= L: X, Y are contiguous loads 2^q apart. 2^q < L: two
// contiguous registers are shuffled into X, Y (and back on store).
namespace simd {

// Sum of a register's lanes in double, in lane order.
template <class R, int N, class Reg>
double sum_lanes(Reg v) {
  R lanes[N];
  std::memcpy(lanes, &v, sizeof lanes);
  double s = 0;
  for (R x : lanes) s += x;
  return s;
}

// The few register operations the kernels need, for each precision.
template <class R>
struct Vec;
template <>
struct Vec<double> {
  using Reg = __m512d;
  static constexpr int kComplex = 4;  // complex amplitudes per register
  static Reg load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, Reg v) { _mm512_storeu_pd(p, v); }
  static Reg set1(double x) { return _mm512_set1_pd(x); }
  static Reg zero() { return _mm512_setzero_pd(); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_pd(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm512_fmadd_pd(a, b, c); }
  static Reg fmaddsub(Reg a, Reg b, Reg c) { return _mm512_fmaddsub_pd(a, b, c); }
  static Reg swap_ri(Reg v) { return _mm512_permute_pd(v, 0x55); }
  static double sum(Reg v) { return sum_lanes<double, 8>(v); }
  // idx: 2L lane indices into the concatenation (a, b) of two registers
  static __m512i lane_index(const int* idx) {
    int64_t w[8];
    for (int k = 0; k < 8; ++k) w[k] = idx[k];
    return _mm512_loadu_si512(w);
  }
  static Reg permute2(Reg a, __m512i idx, Reg b) { return _mm512_permutex2var_pd(a, idx, b); }
};
template <>
struct Vec<float> {
  using Reg = __m512;
  static constexpr int kComplex = 8;
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static Reg set1(float x) { return _mm512_set1_ps(x); }
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg fmaddsub(Reg a, Reg b, Reg c) { return _mm512_fmaddsub_ps(a, b, c); }
  static Reg swap_ri(Reg v) { return _mm512_permute_ps(v, 0xB1); }
  static double sum(Reg v) { return sum_lanes<float, 16>(v); }
  static __m512i lane_index(const int* idx) {
    int32_t w[16];
    for (int k = 0; k < 16; ++k) w[k] = idx[k];
    return _mm512_loadu_si512(w);
  }
  static Reg permute2(Reg a, __m512i idx, Reg b) { return _mm512_permutex2var_ps(a, idx, b); }
};

// (a, b, a, b, ...) over all lanes
template <class R>
typename Vec<R>::Reg alternating(R a, R b) {
  R lanes[2 * Vec<R>::kComplex];
  for (int k = 0; k < Vec<R>::kComplex; ++k) lanes[2 * k] = a, lanes[2 * k + 1] = b;
  return Vec<R>::load(lanes);
}

template <class R>
struct CM {  // a complex matrix element broadcast over all lanes
  typename Vec<R>::Reg r, i;
};
template <class R>
CM<R> bcast(cplx c) {
  return {Vec<R>::set1(static_cast<R>(c.real())), Vec<R>::set1(static_cast<R>(c.imag()))};
}
// a X + b Y, complex, lane-wise
template <class R, class Reg = typename Vec<R>::Reg>
inline Reg mac2(const CM<R>& a, Reg x, Reg xs, const CM<R>& b, Reg y, Reg ys) {
  using V = Vec<R>;
  const Reg c = V::fmadd(a.i, xs, V::mul(b.i, ys));
  return V::fmadd(b.r, y, V::fmaddsub(a.r, x, c));
}
// The matrix's structure picks the cheapest exact update (per output register):
//  Real  — all four elements real (RY, H, X, Z, ...): 2 FMA-class ops, no shuffles;
//  XType — real diagonal, imaginary off-diagonal (RX, Y up to phase): 2 ops + 1 shuffle, since
//          (i b) y = b (-Im y, Re y) is a lane swap times a sign pattern;
//  General — 4 ops + shared shuffles.
template <class R>
struct VM2 {
  using V = Vec<R>;
  using Reg = typename V::Reg;
  enum class Kind { Real, XType, General };
  CM<R> m00, m01, m10, m11;
  Reg s01, s10;  // XType: (-b, b, -b, b, ...) for off-diagonal elements i*b
  Kind kind;
  explicit VM2(const Mat2& m)
      : m00(bcast<R>(m[0])), m01(bcast<R>(m[1])), m10(bcast<R>(m[2])), m11(bcast<R>(m[3])),
        s01(alternating<R>(-m[1].imag(), m[1].imag())), s10(alternating<R>(-m[2].imag(), m[2].imag())) {
    const bool diag_real = m[0].imag() == 0 && m[3].imag() == 0;
    if (diag_real && m[1].imag() == 0 && m[2].imag() == 0)
      kind = Kind::Real;
    else if (diag_real && m[1].real() == 0 && m[2].real() == 0)
      kind = Kind::XType;
    else
      kind = Kind::General;
  }
  void apply(Reg& x, Reg& y) const {
    if (kind == Kind::Real) {
      const Reg nx = V::fmadd(m01.r, y, V::mul(m00.r, x));
      y = V::fmadd(m11.r, y, V::mul(m10.r, x));
      x = nx;
      return;
    }
    const Reg xs = V::swap_ri(x), ys = V::swap_ri(y);
    if (kind == Kind::XType) {
      const Reg nx = V::fmadd(s01, ys, V::mul(m00.r, x));
      y = V::fmadd(s10, xs, V::mul(m11.r, y));
      x = nx;
      return;
    }
    const Reg nx = mac2<R>(m00, x, xs, m01, y, ys);
    y = mac2<R>(m10, x, xs, m11, y, ys);
    x = nx;
  }
};

// Pair loads/stores. base indexes complex amplitudes.
template <class R>
struct FarIO {  // 2^q >= L
  using V = Vec<R>;
  uint64_t s;
  void load(const R* p, uint64_t base, typename V::Reg& x, typename V::Reg& y) const {
    x = V::load(p + 2 * base);
    y = V::load(p + 2 * (base + s));
  }
  void store(R* p, uint64_t base, typename V::Reg x, typename V::Reg y) const {
    V::store(p + 2 * base, x);
    V::store(p + 2 * (base + s), y);
  }
};
template <class R>
struct NearIO {  // 2^q < L: 2L consecutive amplitudes (two registers) hold L pairs
  using V = Vec<R>;
  static constexpr int L = V::kComplex;
  __m512i gx, gy, s1, s2;
  explicit NearIO(int q) {
    // xs / ys: the amplitudes (of 0..2L-1) with bit q clear / set, ascending
    int xs[L], ys[L], nx = 0, ny = 0;
    for (int j = 0; j < 2 * L; ++j) ((j >> q) & 1 ? ys[ny++] : xs[nx++]) = j;
    int ix[2 * L], iy[2 * L], o[4 * L];  // lane indices; o: where amplitude j sits in (X, Y)
    for (int k = 0; k < L; ++k) {
      ix[2 * k] = 2 * xs[k], ix[2 * k + 1] = 2 * xs[k] + 1;
      iy[2 * k] = 2 * ys[k], iy[2 * k + 1] = 2 * ys[k] + 1;
      o[2 * xs[k]] = 2 * k, o[2 * xs[k] + 1] = 2 * k + 1;
      o[2 * ys[k]] = 2 * L + 2 * k, o[2 * ys[k] + 1] = 2 * L + 2 * k + 1;
    }
    gx = V::lane_index(ix);
    gy = V::lane_index(iy);
    s1 = V::lane_index(o);
    s2 = V::lane_index(o + 2 * L);
  }
  void load(const R* p, uint64_t base, typename V::Reg& x, typename V::Reg& y) const {
    const typename V::Reg z1 = V::load(p + 2 * base), z2 = V::load(p + 2 * base + 2 * L);
    x = V::permute2(z1, gx, z2);
    y = V::permute2(z1, gy, z2);
  }
  void store(R* p, uint64_t base, typename V::Reg x, typename V::Reg y) const {
    V::store(p + 2 * base, V::permute2(x, s1, y));
    V::store(p + 2 * base + 2 * L, V::permute2(x, s2, y));
  }
};

// Whether the register path applies: at least two registers of amplitudes.
template <class R>
constexpr bool fits(int n) {
  return (uint64_t{1} << n) >= 2 * Vec<R>::kComplex;
}

// Calls body(io, base) over all groups of L pairs; needs fits<R>(n). Order is fixed for given (n, q).
template <class R, class Body>
inline void for_pair_groups(int n, int q, Body&& body) {
  constexpr int L = Vec<R>::kComplex;
  const uint64_t dim = uint64_t{1} << n, s = uint64_t{1} << q;
  if (s >= L) {
    const FarIO<R> io{s};
    for (uint64_t hi = 0; hi < dim; hi += 2 * s)
      for (uint64_t k = hi; k < hi + s; k += L) body(io, k);
  } else {
    // built once: the cache-blocked layers call this per block of 2^10 amplitudes
    static const NearIO<R> near[3] = {NearIO<R>(0), NearIO<R>(1), NearIO<R>(2)};
    static_assert(L <= 8, "near pairs exist for q < log2(L) <= 3");
    const NearIO<R>& io = near[q];
    for (uint64_t b = 0; b < dim; b += 2 * L) body(io, b);
  }
}

// Accumulates a * conj(b) over lanes: re = sum(a.*b), im = sum over odd - even of a.*swap(b).
template <class R>
struct CrossAcc {
  using V = Vec<R>;
  typename V::Reg re = V::zero(), im = V::zero();
  void add(typename V::Reg a, typename V::Reg b) {
    re = V::fmadd(a, b, re);
    im = V::fmadd(a, V::swap_ri(b), im);
  }
  cplx total() const { return {V::sum(re), V::sum(V::mul(im, alternating<R>(-1, 1)))}; }
};

}  // namespace simd
}  // namespace qdiff::quantum

#define QDIFF_QUANTUM_AVX512 1
#endif
