// Noisy-simulator kernels (see noise_kernels.hpp). Complex arithmetic on re/im doubles, as in
// kernels.cpp, so that the loops vectorise and std::complex's NaN checks stay out of them.
#include "qdiff/quantum/noise_kernels.hpp"

#include <algorithm>
#include <cassert>

namespace qdiff::quantum {
namespace {

// A dim x dim complex matrix split into re/im parts (row-major).
template <int D>
struct Split {
  double re[D * D], im[D * D];
  explicit Split(const cplx* m) {
    for (int i = 0; i < D * D; ++i) re[i] = m[i].real(), im[i] = m[i].imag();
  }
};

// (yr, yi) = m (xr, xi) for a D-vector.
template <int D>
inline void matvec(const Split<D>& m, const double* xr, const double* xi, double* yr, double* yi) {
  for (int a = 0; a < D; ++a) {
    double sr = 0, si = 0;
    for (int b = 0; b < D; ++b) {
      sr += m.re[a * D + b] * xr[b] - m.im[a * D + b] * xi[b];
      si += m.re[a * D + b] * xi[b] + m.im[a * D + b] * xr[b];
    }
    yr[a] = sr;
    yi[a] = si;
  }
}

// Calls f(i) with i[0..3] = the four indices of every quad on the bit pair (q, q + n) of a 2n-bit
// vector, i[0] with both bits clear, i[1] row bit set, i[2] column bit set, i[3] both.
template <class F>
inline void for_superop_quads(int n, int q, F&& f) {
  const uint64_t bq = uint64_t{1} << q, bc = uint64_t{1} << (q + n), dim = uint64_t{1} << (2 * n);
  for (uint64_t hi = 0; hi < dim; hi += 2 * bc)
    for (uint64_t mid = hi; mid < hi + bc; mid += 2 * bq)
      for (uint64_t k = mid; k < mid + bq; ++k) {
        const uint64_t i[4] = {k, k + bq, k + bc, k + bq + bc};
        f(i);
      }
}

inline void load(const double* p, const uint64_t* idx, int count, double* re, double* im) {
  for (int a = 0; a < count; ++a) re[a] = p[2 * idx[a]], im[a] = p[2 * idx[a] + 1];
}
inline void store(double* p, const uint64_t* idx, int count, const double* re, const double* im) {
  for (int a = 0; a < count; ++a) p[2 * idx[a]] = re[a], p[2 * idx[a] + 1] = im[a];
}

inline uint64_t insert_zero_bit(uint64_t i, int q) {
  const uint64_t low = (uint64_t{1} << q) - 1;
  return ((i & ~low) << 1) | (i & low);
}

// The backward step shared by superoperators (D = 4, quads) and trajectory matrices (D = 2,
// pairs): over every group of D indices, r <- minv r (unless minv is null), x[s*D+t] +=
// r[s] conj(o[t]), o <- madj o. groups(f) calls f(i) with the D indices of every group.
template <int D, class Groups>
void backward_groups(cplx* r, cplx* o, const cplx* minv, const cplx* madj, cplx* x, Groups&& groups) {
  const Split<D> adj(madj);
  const Split<D> inv(minv ? minv : madj);
  double* rp = reinterpret_cast<double*>(r);
  double* op = reinterpret_cast<double*>(o);
  double accr[D * D] = {}, acci[D * D] = {};
  groups([&](const uint64_t* i) {
    double rr[D], ri[D], orr[D], oi[D], tr[D], ti[D];
    load(rp, i, D, rr, ri);
    if (minv) {
      matvec(inv, rr, ri, tr, ti);
      std::copy(tr, tr + D, rr);
      std::copy(ti, ti + D, ri);
      store(rp, i, D, rr, ri);
    }
    load(op, i, D, orr, oi);
    for (int s = 0; s < D; ++s)
      for (int t = 0; t < D; ++t) {  // r[s] * conj(o[t])
        accr[s * D + t] += rr[s] * orr[t] + ri[s] * oi[t];
        acci[s * D + t] += ri[s] * orr[t] - rr[s] * oi[t];
      }
    matvec(adj, orr, oi, tr, ti);
    store(op, i, D, tr, ti);
  });
  for (int e = 0; e < D * D; ++e) x[e] += cplx{accr[e], acci[e]};
}

}  // namespace

void apply_superop_1q(cplx* rho, int n, int q, const Mat4& s) {
  assert(q >= 0 && q < n);
  const Split<4> m(s.data());
  double* p = reinterpret_cast<double*>(rho);
  for_superop_quads(n, q, [&](const uint64_t* i) {
    double xr[4], xi[4], yr[4], yi[4];
    load(p, i, 4, xr, xi);
    matvec(m, xr, xi, yr, yi);
    store(p, i, 4, yr, yi);
  });
}

void backward_superop_1q(cplx* r, cplx* o, int n, int q, const Mat4* sinv, const Mat4& sdag, Mat4& x) {
  assert(q >= 0 && q < n);
  backward_groups<4>(r, o, sinv ? sinv->data() : nullptr, sdag.data(), x.data(),
                     [&](auto&& f) { for_superop_quads(n, q, f); });
}

namespace {
// f(v) on every group of the 16 entries of the pairs (q0, q1): v[r + 4 c] = rho[row r, column c]
// with r, c local indices b_q0 + 2 b_q1 of the row and column bits.
template <class F>
void for_pair_groups(cplx* rho, int n, int q0, int q1, F&& f) {
  assert(q0 != q1 && q0 >= 0 && q1 >= 0 && q0 < n && q1 < n);
  const uint64_t r0 = uint64_t{1} << q0, r1 = uint64_t{1} << q1, c0 = r0 << n, c1 = r1 << n;
  const uint64_t rows[4] = {0, r0, r1, r0 | r1}, cols[4] = {0, c0, c1, c0 | c1};
  int bits[4] = {q0, q1, q0 + n, q1 + n};
  std::sort(bits, bits + 4);
  const uint64_t groups = uint64_t{1} << (2 * n - 4);
  cplx v[16];
  for (uint64_t g = 0; g < groups; ++g) {
    uint64_t base = g;
    for (int b : bits) base = insert_zero_bit(base, b);
    for (int c = 0; c < 4; ++c)
      for (int r = 0; r < 4; ++r) v[r + 4 * c] = rho[base + rows[r] + cols[c]];
    f(v);
    for (int c = 0; c < 4; ++c)
      for (int r = 0; r < 4; ++r) rho[base + rows[r] + cols[c]] = v[r + 4 * c];
  }
}

// (1 - lambda) v + lambda (I/4) tr(v) on one group
inline void depolarize_group(cplx* v, double lambda) {
  const cplx mean = 0.25 * lambda * (v[0] + v[5] + v[10] + v[15]);
  for (int i = 0; i < 16; ++i) v[i] *= 1.0 - lambda;
  for (int a = 0; a < 4; ++a) v[a * 5] += mean;
}
}  // namespace

void depolarize_2q(cplx* rho, int n, int q0, int q1, double lambda) {
  for_pair_groups(rho, n, q0, q1, [&](cplx* v) { depolarize_group(v, lambda); });
}

void permute_depolarize_2q(cplx* rho, int n, int q0, int q1, const int* perm, const double* sign, double lambda,
                           bool depolarize_first) {
  for_pair_groups(rho, n, q0, q1, [&](cplx* v) {
    if (depolarize_first && lambda != 0.0) depolarize_group(v, lambda);
    cplx w[16];
    for (int c = 0; c < 4; ++c)
      for (int r = 0; r < 4; ++r) w[perm[r] + 4 * perm[c]] = sign[r] * sign[c] * v[r + 4 * c];
    if (!depolarize_first && lambda != 0.0) depolarize_group(w, lambda);
    std::copy(w, w + 16, v);
  });
}

void write_density_product(cplx* rho, int n, const cplx (*v)[4]) {
  rho[0] = 1.0;
  for (int q = 0; q < n; ++q) {
    const uint64_t s = uint64_t{1} << q, col = s << n;
    for (uint64_t c = 0; c < s; ++c)
      for (uint64_t r = 0; r < s; ++r) {
        const uint64_t i = r + (c << n);
        const cplx x = rho[i];
        rho[i + s] = x * v[q][1];
        rho[i + col] = x * v[q][2];
        rho[i + s + col] = x * v[q][3];
        rho[i] = x * v[q][0];
      }
  }
}

void density_expectation_z(const cplx* rho, int n, double* z) {
  const uint64_t dim = uint64_t{1} << n;
  std::fill(z, z + n, 0.0);
  for (uint64_t i = 0; i < dim; ++i) {
    const double p = rho[i * (dim + 1)].real();
    for (int q = 0; q < n; ++q) z[q] += ((i >> q) & 1) ? -p : p;
  }
}

double density_trace(const cplx* rho, int n) {
  const uint64_t dim = uint64_t{1} << n;
  double t = 0;
  for (uint64_t i = 0; i < dim; ++i) t += rho[i * (dim + 1)].real();
  return t;
}

void write_z_observable_vec(cplx* o, int n, const double* c) {
  const uint64_t dim = uint64_t{1} << n;
  std::fill(o, o + dim * dim, cplx{0.0});
  for (uint64_t i = 0; i < dim; ++i) {
    double d = 0;
    for (int q = 0; q < n; ++q) d += ((i >> q) & 1) ? -c[q] : c[q];
    o[i * (dim + 1)] = d;
  }
}

void reduced_density_1q(const cplx* psi, int n, int q, Mat2& rho) {
  assert(q >= 0 && q < n);
  const uint64_t dim = uint64_t{1} << n, s = uint64_t{1} << q;
  const double* p = reinterpret_cast<const double*>(psi);
  double p0 = 0, p1 = 0, cr = 0, ci = 0;  // |psi_0|^2, |psi_1|^2, psi_0 conj(psi_1)
  for (uint64_t hi = 0; hi < dim; hi += 2 * s)
    for (uint64_t k = hi; k < hi + s; ++k) {
      const double ar = p[2 * k], ai = p[2 * k + 1], br = p[2 * (k + s)], bi = p[2 * (k + s) + 1];
      p0 += ar * ar + ai * ai;
      p1 += br * br + bi * bi;
      cr += ar * br + ai * bi;
      ci += ai * br - ar * bi;
    }
  rho = {p0, cplx{cr, ci}, cplx{cr, -ci}, p1};
}

void backward_1q_general(cplx* psi, cplx* lam, int n, int q, const Mat2* minv, const Mat2& madj, Mat2& r) {
  assert(q >= 0 && q < n);
  const uint64_t dim = uint64_t{1} << n, s = uint64_t{1} << q;
  backward_groups<2>(psi, lam, minv ? minv->data() : nullptr, madj.data(), r.data(), [&](auto&& f) {
    for (uint64_t hi = 0; hi < dim; hi += 2 * s)
      for (uint64_t k = hi; k < hi + s; ++k) {
        const uint64_t i[2] = {k, k + s};
        f(i);
      }
  });
}

}  // namespace qdiff::quantum
