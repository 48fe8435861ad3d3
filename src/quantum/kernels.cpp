// Statevector kernels (see kernels.hpp). Complex arithmetic is written out on re/im doubles:
// std::complex multiplication without -ffast-math calls __muldc3 for NaN handling.
#include "qdiff/quantum/kernels.hpp"

#include <algorithm>
#include <bit>
#include <cassert>

#include "qdiff/core/error.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace qdiff::quantum {
namespace {

inline uint64_t insert_zero_bit(uint64_t i, int q) {
  const uint64_t mask_low = (uint64_t{1} << q) - 1, mask_high = ~mask_low;
  return ((i & mask_high) << 1) | (i & mask_low);
}

// Calls f(i0, i1) for every pair of indices differing only in bit q (i0 has bit q = 0).
// Inner loops run over contiguous i0 so that the compiler can vectorise f.
template <class F>
inline void for_pairs(int n, int q, F&& f) {
  const uint64_t dim = uint64_t{1} << n, s = uint64_t{1} << q;
  if (q == 0) {
    for (uint64_t i = 0; i < dim; i += 2) f(i, i + 1);
    return;
  }
  for (uint64_t hi = 0; hi < dim; hi += 2 * s)
#pragma omp simd
    for (uint64_t k = hi; k < hi + s; ++k) f(k, k + s);
}

// Pairs differing in bit t whose bit c is 1.
template <class F>
inline void for_controlled_pairs(int n, int c, int t, F&& f) {
  const uint64_t quarter = uint64_t{1} << (n - 2);
  const int lo = std::min(c, t), hi = std::max(c, t);
  const uint64_t cbit = uint64_t{1} << c, tbit = uint64_t{1} << t;
  for (uint64_t i = 0; i < quarter; ++i) {
    const uint64_t i0 = insert_zero_bit(insert_zero_bit(i, lo), hi) | cbit;
    f(i0, i0 | tbit);
  }
}

// Quadruples of indices for qubits (q0, q1): i + {0, b0, b1, b0|b1}.
template <class F>
inline void for_quads(int n, int q0, int q1, F&& f) {
  const uint64_t quarter = uint64_t{1} << (n - 2);
  const int lo = std::min(q0, q1), hi = std::max(q0, q1);
  const uint64_t b0 = uint64_t{1} << q0, b1 = uint64_t{1} << q1;
  for (uint64_t i = 0; i < quarter; ++i) {
    const uint64_t i0 = insert_zero_bit(insert_zero_bit(i, lo), hi);
    f(i0, i0 | b0, i0 | b1, i0 | b0 | b1);
  }
}

struct M2 {  // a Mat2 split into re/im doubles for the hot loops
  double r00, i00, r01, i01, r10, i10, r11, i11;
  explicit M2(const Mat2& m)
      : r00(m[0].real()), i00(m[0].imag()), r01(m[1].real()), i01(m[1].imag()),
        r10(m[2].real()), i10(m[2].imag()), r11(m[3].real()), i11(m[3].imag()) {}
};

// (x, y) <- m (x, y) on amplitude pointer p (interleaved re/im) at indices a, b.
inline void mat2_pair(double* p, uint64_t a, uint64_t b, const M2& m) {
  const double xr = p[2 * a], xi = p[2 * a + 1], yr = p[2 * b], yi = p[2 * b + 1];
  p[2 * a] = m.r00 * xr - m.i00 * xi + m.r01 * yr - m.i01 * yi;
  p[2 * a + 1] = m.r00 * xi + m.i00 * xr + m.r01 * yi + m.i01 * yr;
  p[2 * b] = m.r10 * xr - m.i10 * xi + m.r11 * yr - m.i11 * yi;
  p[2 * b + 1] = m.r10 * xi + m.i10 * xr + m.r11 * yi + m.i11 * yr;
}

void check_qubit(int n, int q, const char* what) {
  if (q < 0 || q >= n)
    throw InvalidArgument(std::string(what) + ": qubit " + std::to_string(q) + " out of range for " +
                          std::to_string(n) + " qubits");
}
void check_pair(int n, int a, int b, const char* what) {
  check_qubit(n, a, what);
  check_qubit(n, b, what);
  if (a == b) throw InvalidArgument(std::string(what) + ": the two qubits must differ");
}

}  // namespace

#if defined(__AVX512F__)
// ---- AVX-512 path: 4 complex amplitudes per register, re/im interleaved --------------------------
// For a pair (x, y) = amplitudes with bit q = 0 / 1, registers X and Y hold 4 such x's and y's.
// q >= 2: X, Y are contiguous loads 2^q apart. q = 0, 1: two contiguous registers are shuffled
// into X, Y (and back on store).
namespace simd {

struct CM {  // a complex matrix element broadcast over all lanes
  __m512d r, i;
};
inline CM bcast(cplx c) { return {_mm512_set1_pd(c.real()), _mm512_set1_pd(c.imag())}; }
inline __m512d swap_ri(__m512d v) { return _mm512_permute_pd(v, 0x55); }
// a X + b Y, complex, lane-wise
inline __m512d mac2(const CM& a, __m512d x, __m512d xs, const CM& b, __m512d y, __m512d ys) {
  const __m512d c = _mm512_fmadd_pd(a.i, xs, _mm512_mul_pd(b.i, ys));
  return _mm512_fmadd_pd(b.r, y, _mm512_fmaddsub_pd(a.r, x, c));
}
// The matrix's structure picks the cheapest exact update (per output register):
//  Real  — all four elements real (RY, H, X, Z, ...): 2 FMA-class ops, no shuffles;
//  XType — real diagonal, imaginary off-diagonal (RX, Y up to phase): 2 ops + 1 shuffle, since
//          (i b) y = b (-Im y, Re y) is a lane swap times a sign pattern;
//  General — 4 ops + shared shuffles.
struct VM2 {
  enum class Kind { Real, XType, General };
  CM m00, m01, m10, m11;
  __m512d s01, s10;  // XType: (-b, b, -b, b, ...) for off-diagonal elements i*b
  Kind kind;
  static __m512d imag_pattern(cplx c) {
    const double b = c.imag();
    return _mm512_setr_pd(-b, b, -b, b, -b, b, -b, b);
  }
  explicit VM2(const Mat2& m)
      : m00(bcast(m[0])), m01(bcast(m[1])), m10(bcast(m[2])), m11(bcast(m[3])),
        s01(imag_pattern(m[1])), s10(imag_pattern(m[2])) {
    const bool diag_real = m[0].imag() == 0 && m[3].imag() == 0;
    if (diag_real && m[1].imag() == 0 && m[2].imag() == 0)
      kind = Kind::Real;
    else if (diag_real && m[1].real() == 0 && m[2].real() == 0)
      kind = Kind::XType;
    else
      kind = Kind::General;
  }
  void apply(__m512d& x, __m512d& y) const {
    if (kind == Kind::Real) {
      const __m512d nx = _mm512_fmadd_pd(m01.r, y, _mm512_mul_pd(m00.r, x));
      y = _mm512_fmadd_pd(m11.r, y, _mm512_mul_pd(m10.r, x));
      x = nx;
      return;
    }
    const __m512d xs = swap_ri(x), ys = swap_ri(y);
    if (kind == Kind::XType) {
      const __m512d nx = _mm512_fmadd_pd(s01, ys, _mm512_mul_pd(m00.r, x));
      y = _mm512_fmadd_pd(s10, xs, _mm512_mul_pd(m11.r, y));
      x = nx;
      return;
    }
    const __m512d nx = mac2(m00, x, xs, m01, y, ys);
    y = mac2(m10, x, xs, m11, y, ys);
    x = nx;
  }
};

// Pair loads/stores. base indexes complex amplitudes.
struct FarIO {  // q >= 2
  uint64_t s;
  void load(const double* p, uint64_t base, __m512d& x, __m512d& y) const {
    x = _mm512_loadu_pd(p + 2 * base);
    y = _mm512_loadu_pd(p + 2 * (base + s));
  }
  void store(double* p, uint64_t base, __m512d x, __m512d y) const {
    _mm512_storeu_pd(p + 2 * base, x);
    _mm512_storeu_pd(p + 2 * (base + s), y);
  }
};
struct NearIO {  // q = 0 or 1: 8 consecutive amplitudes hold 4 pairs
  __m512i gx, gy, s1, s2;
  explicit NearIO(int q) {
    if (q == 0) {  // [x0 y0 x1 y1][x2 y2 x3 y3]
      gx = _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13);
      gy = _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15);
      s1 = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
      s2 = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    } else {  // [x0 x1 y0 y1][x2 x3 y2 y3]
      gx = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
      gy = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
      s1 = gx;
      s2 = gy;
    }
  }
  void load(const double* p, uint64_t base, __m512d& x, __m512d& y) const {
    const __m512d z1 = _mm512_loadu_pd(p + 2 * base), z2 = _mm512_loadu_pd(p + 2 * base + 8);
    x = _mm512_permutex2var_pd(z1, gx, z2);
    y = _mm512_permutex2var_pd(z1, gy, z2);
  }
  void store(double* p, uint64_t base, __m512d x, __m512d y) const {
    _mm512_storeu_pd(p + 2 * base, _mm512_permutex2var_pd(x, s1, y));
    _mm512_storeu_pd(p + 2 * base + 8, _mm512_permutex2var_pd(x, s2, y));
  }
};

// Calls body(io, base) over all groups of 4 pairs. Needs n >= 3. Order is fixed for given (n, q).
template <class Body>
inline void for_pair_groups(int n, int q, Body&& body) {
  const uint64_t dim = uint64_t{1} << n;
  if (q >= 2) {
    const uint64_t s = uint64_t{1} << q;
    const FarIO io{s};
    for (uint64_t hi = 0; hi < dim; hi += 2 * s)
      for (uint64_t k = hi; k < hi + s; k += 4) body(io, k);
  } else {
    const NearIO io(q);
    for (uint64_t b = 0; b < dim; b += 8) body(io, b);
  }
}

// Accumulates a * conj(b) over lanes: re = sum(a.*b), im = sum over odd - even of a.*swap(b).
struct CrossAcc {
  __m512d re = _mm512_setzero_pd(), im = _mm512_setzero_pd();
  void add(__m512d a, __m512d b) {
    re = _mm512_fmadd_pd(a, b, re);
    im = _mm512_fmadd_pd(a, swap_ri(b), im);
  }
  cplx total() const {
    const __m512d sign = _mm512_setr_pd(-1, 1, -1, 1, -1, 1, -1, 1);
    return {_mm512_reduce_add_pd(re), _mm512_reduce_add_pd(_mm512_mul_pd(im, sign))};
  }
};

}  // namespace simd
#define QDIFF_QUANTUM_AVX512 1
#endif

void apply_1q(cplx* amps, int n, int q, const Mat2& m) {
  assert(q >= 0 && q < n);
  double* p = reinterpret_cast<double*>(amps);
#ifdef QDIFF_QUANTUM_AVX512
  if (n >= 3) {
    const simd::VM2 vm(m);
    simd::for_pair_groups(n, q, [&](const auto& io, uint64_t base) {
      __m512d x, y;
      io.load(p, base, x, y);
      vm.apply(x, y);
      io.store(p, base, x, y);
    });
    return;
  }
#endif
  const M2 mm(m);
  for_pairs(n, q, [&](uint64_t a, uint64_t b) { mat2_pair(p, a, b, mm); });
}

void apply_controlled_1q(cplx* amps, int n, int c, int t, const Mat2& m) {
  check_pair(n, c, t, "apply_controlled_1q");
  double* p = reinterpret_cast<double*>(amps);
  const M2 mm(m);
  for_controlled_pairs(n, c, t, [&](uint64_t a, uint64_t b) { mat2_pair(p, a, b, mm); });
}

void apply_2q(cplx* amps, int n, int q0, int q1, const Mat4& m) {
  check_pair(n, q0, q1, "apply_2q");
  for_quads(n, q0, q1, [&](uint64_t i0, uint64_t i1, uint64_t i2, uint64_t i3) {
    const cplx v[4] = {amps[i0], amps[i1], amps[i2], amps[i3]};
    const uint64_t idx[4] = {i0, i1, i2, i3};
    for (int r = 0; r < 4; ++r)
      amps[idx[r]] = m[r * 4 + 0] * v[0] + m[r * 4 + 1] * v[1] + m[r * 4 + 2] * v[2] + m[r * 4 + 3] * v[3];
  });
}

void apply_cnot(cplx* amps, int n, int c, int t) {
  check_pair(n, c, t, "apply_cnot");
  for_controlled_pairs(n, c, t, [&](uint64_t a, uint64_t b) { std::swap(amps[a], amps[b]); });
}

void apply_cz(cplx* amps, int n, int q0, int q1) {
  check_pair(n, q0, q1, "apply_cz");
  for_quads(n, q0, q1, [&](uint64_t, uint64_t, uint64_t, uint64_t i3) { amps[i3] = -amps[i3]; });
}

void apply_swap(cplx* amps, int n, int q0, int q1) {
  check_pair(n, q0, q1, "apply_swap");
  for_quads(n, q0, q1, [&](uint64_t, uint64_t i1, uint64_t i2, uint64_t) { std::swap(amps[i1], amps[i2]); });
}

// ---- linear permutations ----------------------------------------------------------------------

namespace {
// Inverse of the GF(2) matrix with columns cols (n <= 63), Gauss-Jordan on rows.
std::vector<uint64_t> invert_gf2(const std::vector<uint64_t>& cols, int n) {
  // rows[i] bit j = A[i][j];  aug[i] bit j = (A^-1 in progress)[i][j]
  std::vector<uint64_t> rows(n, 0), aug(n, 0);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i)
      if ((cols[j] >> i) & 1) rows[i] |= uint64_t{1} << j;
  for (int i = 0; i < n; ++i) aug[i] = uint64_t{1} << i;
  for (int col = 0; col < n; ++col) {
    int piv = col;
    while (piv < n && !((rows[piv] >> col) & 1)) ++piv;
    if (piv == n) throw InvalidArgument("linear permutation: matrix is singular over GF(2)");
    std::swap(rows[piv], rows[col]);
    std::swap(aug[piv], aug[col]);
    for (int i = 0; i < n; ++i)
      if (i != col && ((rows[i] >> col) & 1)) {
        rows[i] ^= rows[col];
        aug[i] ^= aug[col];
      }
  }
  std::vector<uint64_t> inv_cols(n, 0);  // back to columns
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if ((aug[i] >> j) & 1) inv_cols[j] |= uint64_t{1} << i;
  return inv_cols;
}

std::vector<uint64_t> xor_table(const uint64_t* cols, int bits) {
  std::vector<uint64_t> t(uint64_t{1} << bits, 0);
  for (uint64_t x = 1; x < t.size(); ++x) t[x] = t[x & (x - 1)] ^ cols[std::countr_zero(x)];
  return t;
}
}  // namespace

LinearPermutation make_linear_permutation(const std::vector<uint64_t>& cols, int n, bool inverse) {
  if (n < 1 || n > 63 || static_cast<int>(cols.size()) != n)
    throw InvalidArgument("make_linear_permutation: need n in [1,63] columns");
  // gather needs in-index as a function of out-index: A^-1 for forward, A to undo.
  const std::vector<uint64_t> g = inverse ? cols : invert_gf2(cols, n);
  LinearPermutation p;
  p.n = n;
  p.lo_bits = std::min(n, (n + 1) / 2 + 1);
  p.lo = xor_table(g.data(), p.lo_bits);
  p.hi = xor_table(g.data() + p.lo_bits, n - p.lo_bits);
  return p;
}

void apply_permutation(const LinearPermutation& p, const cplx* __restrict in, cplx* __restrict out) {
  const uint64_t lo_size = uint64_t{1} << p.lo_bits, hi_size = p.hi.size();
  const uint64_t* lo = p.lo.data();
  for (uint64_t h = 0; h < hi_size; ++h) {
    const uint64_t base = p.hi[h];
    cplx* o = out + h * lo_size;
    for (uint64_t l = 0; l < lo_size; ++l) o[l] = in[base ^ lo[l]];
  }
}

// ---- product states ---------------------------------------------------------------------------

void write_product_state(cplx* amps, int n, const cplx (*v)[2]) {
  // Doubling: after step q, amps[0 .. 2^(q+1)) holds the product of qubits 0..q.
  amps[0] = 1.0;
  for (int q = 0; q < n; ++q) {
    const uint64_t s = uint64_t{1} << q;
    const double v0r = v[q][0].real(), v0i = v[q][0].imag(), v1r = v[q][1].real(), v1i = v[q][1].imag();
    double* lo = reinterpret_cast<double*>(amps);
    double* hi = lo + 2 * s;
#pragma omp simd
    for (uint64_t k = 0; k < s; ++k) {
      const double ar = lo[2 * k], ai = lo[2 * k + 1];
      hi[2 * k] = ar * v1r - ai * v1i;
      hi[2 * k + 1] = ar * v1i + ai * v1r;
      lo[2 * k] = ar * v0r - ai * v0i;
      lo[2 * k + 1] = ar * v0i + ai * v0r;
    }
  }
}

namespace {
// t: tensor over qubits [lo, hi), size 2^(hi-lo), already conjugated unless conj_t.
void contract_rec(const cplx* t, bool conj_t, int lo, int hi, const cplx (*v)[2], cplx (*env)[2]) {
  const int w = hi - lo;
  if (w == 1) {
    env[lo][0] = conj_t ? std::conj(t[0]) : t[0];
    env[lo][1] = conj_t ? std::conj(t[1]) : t[1];
    return;
  }
  const int mid = lo + w / 2;
  const uint64_t nl = uint64_t{1} << (mid - lo), nh = uint64_t{1} << (hi - mid);
  std::vector<cplx> wl(nl), wh(nh), a(nl, 0.0), b(nh, 0.0);
  write_product_state(wl.data(), mid - lo, v + lo);  // weights of the low qubits
  write_product_state(wh.data(), hi - mid, v + mid);
  const double* tp = reinterpret_cast<const double*>(t);
  double* ap = reinterpret_cast<double*>(a.data());
  const double* wlp = reinterpret_cast<const double*>(wl.data());
  const double sgn = conj_t ? -1.0 : 1.0;
  for (uint64_t h = 0; h < nh; ++h) {
    const double whr = wh[h].real(), whi = wh[h].imag();
    double accr = 0, acci = 0;
    const double* row = tp + 2 * h * nl;
#pragma omp simd reduction(+ : accr, acci)
    for (uint64_t l = 0; l < nl; ++l) {
      const double tr = row[2 * l], ti = sgn * row[2 * l + 1];
      ap[2 * l] += tr * whr - ti * whi;  // a[l] += t * wh[h]   (keep the low qubits)
      ap[2 * l + 1] += tr * whi + ti * whr;
      const double ur = wlp[2 * l], ui = wlp[2 * l + 1];
      accr += tr * ur - ti * ui;  // b[h] += t * wl[l]       (keep the high qubits)
      acci += tr * ui + ti * ur;
    }
    b[h] = cplx{accr, acci};
  }
  contract_rec(a.data(), false, lo, mid, v, env);
  contract_rec(b.data(), false, mid, hi, v, env);
}
}  // namespace

void contract_all_but_one(const cplx* lam, int n, const cplx (*v)[2], cplx (*env)[2]) {
  contract_rec(lam, true, 0, n, v, env);
}

// ---- adjoint sweep ----------------------------------------------------------------------------

namespace {
// One pair of the backward step: psi <- u psi, r += psi_new[s] conj(lam_old[t]), lam <- u lam.
template <class Pairs>
void backward_pairs(cplx* psi, cplx* lam, const Mat2& uinv, Mat2& r, Pairs&& pairs) {
  double* p = reinterpret_cast<double*>(psi);
  double* l = reinterpret_cast<double*>(lam);
  const M2 u(uinv);
  double r00 = 0, i00 = 0, r01 = 0, i01 = 0, r10 = 0, i10 = 0, r11 = 0, i11 = 0;
  pairs([&](uint64_t a, uint64_t b) {
    mat2_pair(p, a, b, u);
    const double p0r = p[2 * a], p0i = p[2 * a + 1], p1r = p[2 * b], p1i = p[2 * b + 1];
    const double l0r = l[2 * a], l0i = l[2 * a + 1], l1r = l[2 * b], l1i = l[2 * b + 1];
    // psi_s * conj(lam_t)
    r00 += p0r * l0r + p0i * l0i; i00 += p0i * l0r - p0r * l0i;
    r01 += p0r * l1r + p0i * l1i; i01 += p0i * l1r - p0r * l1i;
    r10 += p1r * l0r + p1i * l0i; i10 += p1i * l0r - p1r * l0i;
    r11 += p1r * l1r + p1i * l1i; i11 += p1i * l1r - p1r * l1i;
    mat2_pair(l, a, b, u);
  });
  r[0] += cplx{r00, i00};
  r[1] += cplx{r01, i01};
  r[2] += cplx{r10, i10};
  r[3] += cplx{r11, i11};
}
}  // namespace

void backward_1q(cplx* psi, cplx* lam, int n, int q, const Mat2& uinv, Mat2& r) {
  assert(q >= 0 && q < n);
#ifdef QDIFF_QUANTUM_AVX512
  if (n >= 3) {
    double* p = reinterpret_cast<double*>(psi);
    double* l = reinterpret_cast<double*>(lam);
    const simd::VM2 vm(uinv);
    simd::CrossAcc a00, a01, a10, a11;  // psi_new[s] * conj(lam_old[t])
    simd::for_pair_groups(n, q, [&](const auto& io, uint64_t base) {
      __m512d x, y, lx, ly;
      io.load(p, base, x, y);
      io.load(l, base, lx, ly);
      vm.apply(x, y);
      a00.add(x, lx);
      a01.add(x, ly);
      a10.add(y, lx);
      a11.add(y, ly);
      vm.apply(lx, ly);
      io.store(p, base, x, y);
      io.store(l, base, lx, ly);
    });
    r[0] += a00.total();
    r[1] += a01.total();
    r[2] += a10.total();
    r[3] += a11.total();
    return;
  }
#endif
  const uint64_t dim = uint64_t{1} << n, s = uint64_t{1} << q;
  if (q == 0) {
    backward_pairs(psi, lam, uinv, r, [&](auto&& f) {
      for (uint64_t i = 0; i < dim; i += 2) f(i, i + 1);
    });
    return;
  }
  // Per-block accumulation keeps the reduction vectorisable and the order fixed.
  backward_pairs(psi, lam, uinv, r, [&](auto&& f) {
    for (uint64_t hi = 0; hi < dim; hi += 2 * s)
      for (uint64_t k = hi; k < hi + s; ++k) f(k, k + s);
  });
}

void backward_controlled_1q(cplx* psi, cplx* lam, int n, int c, int t, const Mat2& uinv, Mat2& r) {
  check_pair(n, c, t, "backward_controlled_1q");
  backward_pairs(psi, lam, uinv, r, [&](auto&& f) { for_controlled_pairs(n, c, t, f); });
}

void backward_2q(cplx* psi, cplx* lam, int n, int q0, int q1, const Mat4& uinv, Mat4& r) {
  check_pair(n, q0, q1, "backward_2q");
  for_quads(n, q0, q1, [&](uint64_t i0, uint64_t i1, uint64_t i2, uint64_t i3) {
    const uint64_t idx[4] = {i0, i1, i2, i3};
    cplx pv[4], lv[4];
    for (int k = 0; k < 4; ++k) pv[k] = psi[idx[k]], lv[k] = lam[idx[k]];
    cplx pa[4], la[4];
    for (int row = 0; row < 4; ++row) {
      pa[row] = la[row] = 0.0;
      for (int k = 0; k < 4; ++k) {
        pa[row] += uinv[row * 4 + k] * pv[k];
        la[row] += uinv[row * 4 + k] * lv[k];
      }
    }
    for (int s = 0; s < 4; ++s)
      for (int t = 0; t < 4; ++t) r[s * 4 + t] += pa[s] * std::conj(lv[t]);
    for (int k = 0; k < 4; ++k) psi[idx[k]] = pa[k], lam[idx[k]] = la[k];
  });
}

double grad_from_cross(const Mat2& d, const Mat2& r) {
  cplx s = 0.0;
  for (int t = 0; t < 2; ++t)
    for (int u = 0; u < 2; ++u) s += d[t * 2 + u] * r[u * 2 + t];
  return 2.0 * s.real();
}
double grad_from_cross(const Mat4& d, const Mat4& r) {
  cplx s = 0.0;
  for (int t = 0; t < 4; ++t)
    for (int u = 0; u < 4; ++u) s += d[t * 4 + u] * r[u * 4 + t];
  return 2.0 * s.real();
}

// ---- cache-blocked layers ---------------------------------------------------------------------

namespace {
// (x, y) <- m (x, y) elementwise over `len` amplitudes of two rows.
void rows_apply(cplx* x, cplx* y, uint64_t len, const Mat2& m) {
  double* xp = reinterpret_cast<double*>(x);
  double* yp = reinterpret_cast<double*>(y);
#ifdef QDIFF_QUANTUM_AVX512
  if (len % 4 == 0) {
    const simd::VM2 vm(m);
    for (uint64_t k = 0; k < 2 * len; k += 8) {
      __m512d vx = _mm512_loadu_pd(xp + k), vy = _mm512_loadu_pd(yp + k);
      vm.apply(vx, vy);
      _mm512_storeu_pd(xp + k, vx);
      _mm512_storeu_pd(yp + k, vy);
    }
    return;
  }
#endif
  const M2 mm(m);
  const uint64_t off = (yp - xp) / 2;  // mat2_pair indexes one base pointer
  for (uint64_t k = 0; k < len; ++k) mat2_pair(xp, k, k + off, mm);
}

// backward_1q on a row pair: psi rows (px, py), lam rows (lx, ly).
void rows_backward(cplx* px, cplx* py, cplx* lx, cplx* ly, uint64_t len, const Mat2& uinv, Mat2& r) {
#ifdef QDIFF_QUANTUM_AVX512
  if (len % 4 == 0) {
    double *a = reinterpret_cast<double*>(px), *b = reinterpret_cast<double*>(py);
    double *c = reinterpret_cast<double*>(lx), *d = reinterpret_cast<double*>(ly);
    const simd::VM2 vm(uinv);
    simd::CrossAcc a00, a01, a10, a11;
    for (uint64_t k = 0; k < 2 * len; k += 8) {
      __m512d x = _mm512_loadu_pd(a + k), y = _mm512_loadu_pd(b + k);
      __m512d l0 = _mm512_loadu_pd(c + k), l1 = _mm512_loadu_pd(d + k);
      vm.apply(x, y);
      a00.add(x, l0);
      a01.add(x, l1);
      a10.add(y, l0);
      a11.add(y, l1);
      vm.apply(l0, l1);
      _mm512_storeu_pd(a + k, x);
      _mm512_storeu_pd(b + k, y);
      _mm512_storeu_pd(c + k, l0);
      _mm512_storeu_pd(d + k, l1);
    }
    r[0] += a00.total();
    r[1] += a01.total();
    r[2] += a10.total();
    r[3] += a11.total();
    return;
  }
#endif
  for (uint64_t k = 0; k < len; ++k) {
    cplx x = px[k], y = py[k];
    px[k] = uinv[0] * x + uinv[1] * y;
    py[k] = uinv[2] * x + uinv[3] * y;
    r[0] += px[k] * std::conj(lx[k]);
    r[1] += px[k] * std::conj(ly[k]);
    r[2] += py[k] * std::conj(lx[k]);
    r[3] += py[k] * std::conj(ly[k]);
    x = lx[k], y = ly[k];
    lx[k] = uinv[0] * x + uinv[1] * y;
    ly[k] = uinv[2] * x + uinv[3] * y;
  }
}

// low(off, k, g): gate g (qubit < k) on the contiguous block [off, off + 2^k).
// high(a, b, len, g): gate g on the row pair starting at amplitudes a and b (bit q clear / set).
template <class Low, class High>
void run_layer(int n, int count, const int* qubits, Low&& low, High&& high) {
  const int k = std::min(n, kLayerBlockBits);
  const uint64_t dim = uint64_t{1} << n, row = uint64_t{1} << k;
  std::vector<int> lows, highs;
  for (int g = 0; g < count; ++g) (qubits[g] < k ? lows : highs).push_back(g);
  if (!lows.empty())
    for (uint64_t off = 0; off < dim; off += row)
      for (int g : lows) low(off, k, g);
  std::sort(highs.begin(), highs.end(), [&](int a, int b) { return qubits[a] < qubits[b]; });
  for (size_t c0 = 0; c0 < highs.size(); c0 += kLayerChunkQubits) {
    const int m = std::min<int>(kLayerChunkQubits, highs.size() - c0);
    std::vector<int> rbits(m);  // row-index bit of each chunk qubit, ascending
    for (int j = 0; j < m; ++j) rbits[j] = qubits[highs[c0 + j]] - k;
    const uint64_t outer = uint64_t{1} << (n - k - m), rows = uint64_t{1} << m;
    std::vector<uint64_t> row_of(rows);
    for (uint64_t t = 0; t < outer; ++t) {
      uint64_t base = t;
      for (int j = 0; j < m; ++j) base = insert_zero_bit(base, rbits[j]);
      for (uint64_t j = 0; j < rows; ++j) {
        uint64_t r = base;
        for (int b = 0; b < m; ++b)
          if ((j >> b) & 1) r |= uint64_t{1} << rbits[b];
        row_of[j] = r;
      }
      // the 2^m rows (2^m * 2^k amplitudes) stay in cache while the m gates mix them
      for (int j = 0; j < m; ++j)
        for (uint64_t r0 = 0; r0 < rows; ++r0)
          if (!((r0 >> j) & 1)) high(row_of[r0] * row, row_of[r0 | (uint64_t{1} << j)] * row, row, highs[c0 + j]);
    }
  }
}
}  // namespace

void apply_1q_layer(cplx* amps, int n, int count, const int* qubits, const Mat2* mats) {
  run_layer(
      n, count, qubits, [&](uint64_t off, int k, int g) { apply_1q(amps + off, k, qubits[g], mats[g]); },
      [&](uint64_t a, uint64_t b, uint64_t len, int g) { rows_apply(amps + a, amps + b, len, mats[g]); });
}

void backward_1q_layer(cplx* psi, cplx* lam, int n, int count, const int* qubits, const Mat2* uinv, Mat2* r) {
  run_layer(
      n, count, qubits,
      [&](uint64_t off, int k, int g) { backward_1q(psi + off, lam + off, k, qubits[g], uinv[g], r[g]); },
      [&](uint64_t a, uint64_t b, uint64_t len, int g) {
        rows_backward(psi + a, psi + b, lam + a, lam + b, len, uinv[g], r[g]);
      });
}

// ---- readout ----------------------------------------------------------------------------------

void expectation_z_all(const cplx* amps, int n, double* z) {
  // Probabilities summed into a histogram over the low bits and one over the high bits.
  const int lo_bits = std::min(n, 10);
  const uint64_t nl = uint64_t{1} << lo_bits, nh = uint64_t{1} << (n - lo_bits);
  std::vector<double> lo(nl, 0.0), hi(nh, 0.0);
  const double* p = reinterpret_cast<const double*>(amps);
  for (uint64_t h = 0; h < nh; ++h) {
    const double* row = p + 2 * h * nl;
    double acc = 0;
#pragma omp simd reduction(+ : acc)
    for (uint64_t l = 0; l < nl; ++l) {
      const double pr = row[2 * l] * row[2 * l] + row[2 * l + 1] * row[2 * l + 1];
      lo[l] += pr;
      acc += pr;
    }
    hi[h] = acc;
  }
  for (int q = 0; q < n; ++q) {
    const bool low = q < lo_bits;
    const std::vector<double>& hist = low ? lo : hi;
    const int bit = low ? q : q - lo_bits;
    double s = 0;
    for (uint64_t k = 0; k < hist.size(); ++k) s += ((k >> bit) & 1) ? -hist[k] : hist[k];
    z[q] = s;
  }
}

void apply_z_observable(const cplx* psi, cplx* lam, int n, const double* c) {
  const int lo_bits = std::min(n, 10);
  const uint64_t nl = uint64_t{1} << lo_bits, nh = uint64_t{1} << (n - lo_bits);
  std::vector<double> dlo(nl, 0.0), dhi(nh, 0.0);
  for (uint64_t k = 0; k < nl; ++k)
    for (int q = 0; q < lo_bits; ++q) dlo[k] += ((k >> q) & 1) ? -c[q] : c[q];
  for (uint64_t k = 0; k < nh; ++k)
    for (int q = lo_bits; q < n; ++q) dhi[k] += ((k >> (q - lo_bits)) & 1) ? -c[q] : c[q];
  const double* p = reinterpret_cast<const double*>(psi);
  double* l = reinterpret_cast<double*>(lam);
  for (uint64_t h = 0; h < nh; ++h) {
    const double dh = dhi[h];
    const double* pr = p + 2 * h * nl;
    double* lr = l + 2 * h * nl;
#pragma omp simd
    for (uint64_t k = 0; k < nl; ++k) {
      const double d = dh + dlo[k];
      lr[2 * k] = d * pr[2 * k];
      lr[2 * k + 1] = d * pr[2 * k + 1];
    }
  }
}

double norm_squared(const cplx* amps, int n) {
  const double* p = reinterpret_cast<const double*>(amps);
  const uint64_t m = uint64_t{2} << n;
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (uint64_t k = 0; k < m; ++k) s += p[k] * p[k];
  return s;
}

}  // namespace qdiff::quantum
