// Statevector kernels (see kernels.hpp). Complex arithmetic is written out on re/im scalars:
// std::complex multiplication without -ffast-math calls __muldc3 for NaN handling. The
// register paths use simd.hpp; every kernel also has a portable scalar path.
#include "qdiff/quantum/kernels.hpp"

#include <algorithm>
#include <bit>
#include <cassert>

#include "qdiff/core/error.hpp"
#include "simd.hpp"  // the AVX-512 register layer (defines QDIFF_QUANTUM_AVX512 when available)

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

template <class R>
struct M2 {  // a Mat2 split into re/im scalars of the kernel's precision for the hot loops
  R r00, i00, r01, i01, r10, i10, r11, i11;
  explicit M2(const Mat2& m)
      : r00(m[0].real()), i00(m[0].imag()), r01(m[1].real()), i01(m[1].imag()),
        r10(m[2].real()), i10(m[2].imag()), r11(m[3].real()), i11(m[3].imag()) {}
};

// (x, y) <- m (x, y) on amplitude pointer p (interleaved re/im) at indices a, b.
template <class R>
inline void mat2_pair(R* p, uint64_t a, uint64_t b, const M2<R>& m) {
  const R xr = p[2 * a], xi = p[2 * a + 1], yr = p[2 * b], yi = p[2 * b + 1];
  p[2 * a] = m.r00 * xr - m.i00 * xi + m.r01 * yr - m.i01 * yi;
  p[2 * a + 1] = m.r00 * xi + m.i00 * xr + m.r01 * yi + m.i01 * yr;
  p[2 * b] = m.r10 * xr - m.i10 * xi + m.r11 * yr - m.i11 * yi;
  p[2 * b + 1] = m.r10 * xi + m.i10 * xr + m.r11 * yi + m.i11 * yr;
}

// The scalar type of an amplitude type (double for cplx, float for cplxf).
template <class A>
using real_of = typename A::value_type;

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

#ifdef QDIFF_QUANTUM_AVX512
// The register form of mat2_pair: (x, y) <- m (x, y) for the group of pairs at base, through io.
template <class R, class IO>
inline void apply_group(const IO& io, R* p, uint64_t base, const simd::VM2<R>& vm) {
  typename simd::Vec<R>::Reg x, y;
  io.load(p, base, x, y);
  vm.apply(x, y);
  io.store(p, base, x, y);
}
#endif

}  // namespace

template <class A>
void apply_1q(A* amps, int n, int q, const Mat2& m) {
  using R = real_of<A>;
  assert(q >= 0 && q < n);
  R* p = reinterpret_cast<R*>(amps);
#ifdef QDIFF_QUANTUM_AVX512
  if (simd::fits<R>(n)) {
    const simd::VM2<R> vm(m);
    simd::for_pair_groups<R>(n, q, [&](const auto& io, uint64_t base) { apply_group(io, p, base, vm); });
    return;
  }
#endif
  const M2<R> mm(m);
  for_pairs(n, q, [&](uint64_t a, uint64_t b) { mat2_pair(p, a, b, mm); });
}

template <class A>
void apply_controlled_1q(A* amps, int n, int c, int t, const Mat2& m) {
  using R = real_of<A>;
  check_pair(n, c, t, "apply_controlled_1q");
  R* p = reinterpret_cast<R*>(amps);
  const M2<R> mm(m);
  for_controlled_pairs(n, c, t, [&](uint64_t a, uint64_t b) { mat2_pair(p, a, b, mm); });
}

template <class A>
void apply_2q(A* amps, int n, int q0, int q1, const Mat4& m) {
  check_pair(n, q0, q1, "apply_2q");
  for_quads(n, q0, q1, [&](uint64_t i0, uint64_t i1, uint64_t i2, uint64_t i3) {
    const cplx v[4] = {cplx(amps[i0]), cplx(amps[i1]), cplx(amps[i2]), cplx(amps[i3])};
    const uint64_t idx[4] = {i0, i1, i2, i3};
    for (int r = 0; r < 4; ++r)
      amps[idx[r]] = A(m[r * 4 + 0] * v[0] + m[r * 4 + 1] * v[1] + m[r * 4 + 2] * v[2] + m[r * 4 + 3] * v[3]);
  });
}

template <class A>
void apply_cnot(A* amps, int n, int c, int t) {
  check_pair(n, c, t, "apply_cnot");
  for_controlled_pairs(n, c, t, [&](uint64_t a, uint64_t b) { std::swap(amps[a], amps[b]); });
}

template <class A>
void apply_cz(A* amps, int n, int q0, int q1) {
  check_pair(n, q0, q1, "apply_cz");
  for_quads(n, q0, q1, [&](uint64_t, uint64_t, uint64_t, uint64_t i3) { amps[i3] = -amps[i3]; });
}

template <class A>
void apply_swap(A* amps, int n, int q0, int q1) {
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

template <class A>
void apply_permutation(const LinearPermutation& p, const A* __restrict in, A* __restrict out) {
  const uint64_t lo_size = uint64_t{1} << p.lo_bits, hi_size = p.hi.size();
  const uint64_t* lo = p.lo.data();
  for (uint64_t h = 0; h < hi_size; ++h) {
    const uint64_t base = p.hi[h];
    A* o = out + h * lo_size;
    for (uint64_t l = 0; l < lo_size; ++l) o[l] = in[base ^ lo[l]];
  }
}

// ---- product states ---------------------------------------------------------------------------

template <class A>
void write_product_state(A* amps, int n, const cplx (*v)[2]) {
  using R = real_of<A>;
  // Doubling: after step q, amps[0 .. 2^(q+1)) holds the product of qubits 0..q.
  amps[0] = 1.0;
  for (int q = 0; q < n; ++q) {
    const uint64_t s = uint64_t{1} << q;
    const R v0r = v[q][0].real(), v0i = v[q][0].imag(), v1r = v[q][1].real(), v1i = v[q][1].imag();
    R* lo = reinterpret_cast<R*>(amps);
    R* hi = lo + 2 * s;
#pragma omp simd
    for (uint64_t k = 0; k < s; ++k) {
      const R ar = lo[2 * k], ai = lo[2 * k + 1];
      hi[2 * k] = ar * v1r - ai * v1i;
      hi[2 * k + 1] = ar * v1i + ai * v1r;
      lo[2 * k] = ar * v0r - ai * v0i;
      lo[2 * k + 1] = ar * v0i + ai * v0r;
    }
  }
}

namespace {
// t: tensor over qubits [lo, hi), size 2^(hi-lo), already conjugated unless conj_t. The
// contraction runs in double whatever the precision of t.
template <class T>
void contract_rec(const T* t, bool conj_t, int lo, int hi, const cplx (*v)[2], cplx (*env)[2]) {
  const int w = hi - lo;
  if (w == 1) {
    env[lo][0] = conj_t ? std::conj(cplx(t[0])) : cplx(t[0]);
    env[lo][1] = conj_t ? std::conj(cplx(t[1])) : cplx(t[1]);
    return;
  }
  const int mid = lo + w / 2;
  const uint64_t nl = uint64_t{1} << (mid - lo), nh = uint64_t{1} << (hi - mid);
  std::vector<cplx> wl(nl), wh(nh), a(nl, 0.0), b(nh, 0.0);
  write_product_state(wl.data(), mid - lo, v + lo);  // weights of the low qubits
  write_product_state(wh.data(), hi - mid, v + mid);
  const auto* tp = reinterpret_cast<const real_of<T>*>(t);
  double* ap = reinterpret_cast<double*>(a.data());
  const double* wlp = reinterpret_cast<const double*>(wl.data());
  const double sgn = conj_t ? -1.0 : 1.0;
  for (uint64_t h = 0; h < nh; ++h) {
    const double whr = wh[h].real(), whi = wh[h].imag();
    double accr = 0, acci = 0;
    const auto* row = tp + 2 * h * nl;
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

template <class A>
void contract_all_but_one(const A* lam, int n, const cplx (*v)[2], cplx (*env)[2]) {
  contract_rec(lam, true, 0, n, v, env);
}

// ---- adjoint sweep ----------------------------------------------------------------------------

namespace {
// One pair of the backward step: psi <- u psi, r += psi_new[s] conj(lam_old[t]), lam <- u lam.
// Scalar path; the cross sums run in double.
template <class A, class Pairs>
void backward_pairs(A* psi, A* lam, const Mat2& uinv, Mat2& r, Pairs&& pairs) {
  using R = real_of<A>;
  R* p = reinterpret_cast<R*>(psi);
  R* l = reinterpret_cast<R*>(lam);
  const M2<R> u(uinv);
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

#ifdef QDIFF_QUANTUM_AVX512
// The register form of backward_pairs over pair groups. Loads (x, y) of psi and lam at a group
// through io, updates them and adds the four cross sums into acc.
template <class R, class IO>
inline void backward_group(const IO& io, R* p, R* l, uint64_t base, const simd::VM2<R>& vm,
                           simd::CrossAcc<R> (&acc)[4]) {
  typename simd::Vec<R>::Reg x, y, lx, ly;
  io.load(p, base, x, y);
  io.load(l, base, lx, ly);
  vm.apply(x, y);
  acc[0].add(x, lx);  // psi_new[s] * conj(lam_old[t])
  acc[1].add(x, ly);
  acc[2].add(y, lx);
  acc[3].add(y, ly);
  vm.apply(lx, ly);
  io.store(p, base, x, y);
  io.store(l, base, lx, ly);
}
template <class R>
void add_totals(const simd::CrossAcc<R> (&acc)[4], Mat2& r) {
  for (int e = 0; e < 4; ++e) r[e] += acc[e].total();
}
#endif
}  // namespace

template <class A>
void backward_1q(A* psi, A* lam, int n, int q, const Mat2& uinv, Mat2& r) {
  assert(q >= 0 && q < n);
#ifdef QDIFF_QUANTUM_AVX512
  using R = real_of<A>;
  if (simd::fits<R>(n)) {
    R* p = reinterpret_cast<R*>(psi);
    R* l = reinterpret_cast<R*>(lam);
    const simd::VM2<R> vm(uinv);
    simd::CrossAcc<R> acc[4];
    simd::for_pair_groups<R>(n, q, [&](const auto& io, uint64_t base) { backward_group(io, p, l, base, vm, acc); });
    add_totals(acc, r);
    return;
  }
#endif
  const uint64_t dim = uint64_t{1} << n, s = uint64_t{1} << q;
  backward_pairs(psi, lam, uinv, r, [&](auto&& f) {
    for (uint64_t hi = 0; hi < dim; hi += 2 * s)
      for (uint64_t k = hi; k < hi + s; ++k) f(k, k + s);
  });
}

template <class A>
void backward_controlled_1q(A* psi, A* lam, int n, int c, int t, const Mat2& uinv, Mat2& r) {
  check_pair(n, c, t, "backward_controlled_1q");
  backward_pairs(psi, lam, uinv, r, [&](auto&& f) { for_controlled_pairs(n, c, t, f); });
}

template <class A>
void backward_2q(A* psi, A* lam, int n, int q0, int q1, const Mat4& uinv, Mat4& r) {
  check_pair(n, q0, q1, "backward_2q");
  for_quads(n, q0, q1, [&](uint64_t i0, uint64_t i1, uint64_t i2, uint64_t i3) {
    const uint64_t idx[4] = {i0, i1, i2, i3};
    cplx pv[4], lv[4];
    for (int k = 0; k < 4; ++k) pv[k] = cplx(psi[idx[k]]), lv[k] = cplx(lam[idx[k]]);
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
    for (int k = 0; k < 4; ++k) psi[idx[k]] = A(pa[k]), lam[idx[k]] = A(la[k]);
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
// (x, y) <- m (x, y) elementwise over `len` amplitudes of two rows of one state.
template <class A>
void rows_apply(A* x, A* y, uint64_t len, const Mat2& m) {
  using R = real_of<A>;
  R* xp = reinterpret_cast<R*>(x);
  const uint64_t off = y - x;  // both paths index from x
#ifdef QDIFF_QUANTUM_AVX512
  constexpr int L = simd::Vec<R>::kComplex;
  if (len % L == 0) {
    const simd::VM2<R> vm(m);
    const simd::FarIO<R> io{off};
    for (uint64_t k = 0; k < len; k += L) apply_group(io, xp, k, vm);
    return;
  }
#endif
  const M2<R> mm(m);
  for (uint64_t k = 0; k < len; ++k) mat2_pair(xp, k, k + off, mm);
}

// backward_1q on a row pair: psi rows (px, py), lam rows (lx, ly) at the same offsets.
template <class A>
void rows_backward(A* px, A* py, A* lx, A* ly, uint64_t len, const Mat2& uinv, Mat2& r) {
  const uint64_t off = py - px;
  assert(ly - lx == static_cast<std::ptrdiff_t>(off));
#ifdef QDIFF_QUANTUM_AVX512
  using R = real_of<A>;
  constexpr int L = simd::Vec<R>::kComplex;
  if (len % L == 0) {
    const simd::VM2<R> vm(uinv);
    const simd::FarIO<R> io{off};
    simd::CrossAcc<R> acc[4];
    R* p = reinterpret_cast<R*>(px);
    R* l = reinterpret_cast<R*>(lx);
    for (uint64_t k = 0; k < len; k += L) backward_group(io, p, l, k, vm, acc);
    add_totals(acc, r);
    return;
  }
#endif
  backward_pairs(px, lx, uinv, r, [&](auto&& f) {
    for (uint64_t k = 0; k < len; ++k) f(k, k + off);
  });
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

template <class A>
void apply_1q_layer(A* amps, int n, int count, const int* qubits, const Mat2* mats) {
  run_layer(
      n, count, qubits, [&](uint64_t off, int k, int g) { apply_1q(amps + off, k, qubits[g], mats[g]); },
      [&](uint64_t a, uint64_t b, uint64_t len, int g) { rows_apply(amps + a, amps + b, len, mats[g]); });
}

template <class A>
void backward_1q_layer(A* psi, A* lam, int n, int count, const int* qubits, const Mat2* uinv, Mat2* r) {
  run_layer(
      n, count, qubits,
      [&](uint64_t off, int k, int g) { backward_1q(psi + off, lam + off, k, qubits[g], uinv[g], r[g]); },
      [&](uint64_t a, uint64_t b, uint64_t len, int g) {
        rows_backward(psi + a, psi + b, lam + a, lam + b, len, uinv[g], r[g]);
      });
}

// ---- readout ----------------------------------------------------------------------------------

template <class A>
void expectation_z_all(const A* amps, int n, double* z) {
  // Probabilities summed (in double) into a histogram over the low bits and one over the high bits.
  const int lo_bits = std::min(n, 10);
  const uint64_t nl = uint64_t{1} << lo_bits, nh = uint64_t{1} << (n - lo_bits);
  std::vector<double> lo(nl, 0.0), hi(nh, 0.0);
  const auto* p = reinterpret_cast<const real_of<A>*>(amps);
  for (uint64_t h = 0; h < nh; ++h) {
    const auto* row = p + 2 * h * nl;
    double acc = 0;
#pragma omp simd reduction(+ : acc)
    for (uint64_t l = 0; l < nl; ++l) {
      const double re = row[2 * l], im = row[2 * l + 1];
      const double pr = re * re + im * im;
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

template <class A>
void apply_z_observable(const A* psi, A* lam, int n, const double* c) {
  using R = real_of<A>;
  const int lo_bits = std::min(n, 10);
  const uint64_t nl = uint64_t{1} << lo_bits, nh = uint64_t{1} << (n - lo_bits);
  std::vector<double> dlo(nl, 0.0), dhi(nh, 0.0);
  for (uint64_t k = 0; k < nl; ++k)
    for (int q = 0; q < lo_bits; ++q) dlo[k] += ((k >> q) & 1) ? -c[q] : c[q];
  for (uint64_t k = 0; k < nh; ++k)
    for (int q = lo_bits; q < n; ++q) dhi[k] += ((k >> (q - lo_bits)) & 1) ? -c[q] : c[q];
  const R* p = reinterpret_cast<const R*>(psi);
  R* l = reinterpret_cast<R*>(lam);
  for (uint64_t h = 0; h < nh; ++h) {
    const double dh = dhi[h];
    const R* pr = p + 2 * h * nl;
    R* lr = l + 2 * h * nl;
#pragma omp simd
    for (uint64_t k = 0; k < nl; ++k) {
      const double d = dh + dlo[k];
      lr[2 * k] = static_cast<R>(d * pr[2 * k]);
      lr[2 * k + 1] = static_cast<R>(d * pr[2 * k + 1]);
    }
  }
}

template <class A>
double norm_squared(const A* amps, int n) {
  const auto* p = reinterpret_cast<const real_of<A>*>(amps);
  const uint64_t m = uint64_t{2} << n;
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (uint64_t k = 0; k < m; ++k) s += double(p[k]) * p[k];
  return s;
}

// Both precisions of every kernel.
#define QDIFF_KERNELS_FOR(A)                                                                            \
  template void apply_1q(A*, int, int, const Mat2&);                                                    \
  template void apply_controlled_1q(A*, int, int, int, const Mat2&);                                   \
  template void apply_2q(A*, int, int, int, const Mat4&);                                               \
  template void apply_cnot(A*, int, int, int);                                                          \
  template void apply_cz(A*, int, int, int);                                                            \
  template void apply_swap(A*, int, int, int);                                                          \
  template void apply_permutation(const LinearPermutation&, const A*, A*);                              \
  template void write_product_state(A*, int, const cplx (*)[2]);                                        \
  template void contract_all_but_one(const A*, int, const cplx (*)[2], cplx (*)[2]);                    \
  template void backward_1q(A*, A*, int, int, const Mat2&, Mat2&);                                      \
  template void backward_controlled_1q(A*, A*, int, int, int, const Mat2&, Mat2&);                     \
  template void backward_2q(A*, A*, int, int, int, const Mat4&, Mat4&);                                 \
  template void apply_1q_layer(A*, int, int, const int*, const Mat2*);                                  \
  template void backward_1q_layer(A*, A*, int, int, const int*, const Mat2*, Mat2*);                    \
  template void expectation_z_all(const A*, int, double*);                                              \
  template void apply_z_observable(const A*, A*, int, const double*);                                   \
  template double norm_squared(const A*, int);
QDIFF_KERNELS_FOR(cplx)
QDIFF_KERNELS_FOR(cplxf)
#undef QDIFF_KERNELS_FOR

}  // namespace qdiff::quantum
