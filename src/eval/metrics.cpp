// FID, KID and k-NN precision/recall on feature matrices [N, D]. See metrics.hpp for the
// conventions each function follows.
#include "qdiff/eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "qdiff/core/error.hpp"

namespace qdiff::eval {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument(msg); }

void check_finite_matrix(const Eigen::MatrixXd& m, const std::string& what) {
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      if (!std::isfinite(m(i, j))) {
        std::ostringstream os;
        os << what << " contain NaN/Inf (" << m(i, j) << " at row " << i << ", column " << j << ")";
        fail(os.str());
      }
}

// Symmetric part of a square matrix.
Eigen::MatrixXd symmetrised(const Eigen::MatrixXd& a) { return 0.5 * (a + a.transpose()); }

// Rows of a query matrix are processed in blocks of kBlockRows; for a block we form the Gram
// matrix G = X * Q_block^T ([n_x, rows], column-major), so the distances from one query row to
// all rows of X are one contiguous column: d2(j) = |x_j|^2 + |q|^2 - 2 G(j, i), clamped at 0
// (the Gram form can dip below 0 by rounding).
constexpr Eigen::Index kBlockRows = 128;

// Squared k-th nearest-neighbour distance of every row of x within x, self excluded.
Eigen::VectorXd knn_radii_squared(const Eigen::MatrixXd& x, int k) {
  const Eigen::Index n = x.rows();
  const Eigen::VectorXd norm2 = x.rowwise().squaredNorm();
  Eigen::VectorXd r2(n);
  const Eigen::Index n_blocks = (n + kBlockRows - 1) / kBlockRows;
#pragma omp parallel
  {
    std::vector<double> d2(n);
    Eigen::MatrixXd g;
#pragma omp for schedule(dynamic)
    for (Eigen::Index b = 0; b < n_blocks; ++b) {
      const Eigen::Index i0 = b * kBlockRows, rows = std::min(kBlockRows, n - i0);
      g.noalias() = x * x.middleRows(i0, rows).transpose();
      for (Eigen::Index i = 0; i < rows; ++i) {
        const double* gi = g.col(i).data();
        const double qi = norm2(i0 + i);
        for (Eigen::Index j = 0; j < n; ++j) d2[j] = std::max(0.0, norm2(j) + qi - 2.0 * gi[j]);
        d2[i0 + i] = std::numeric_limits<double>::infinity();  // exclude self, not duplicates
        std::nth_element(d2.begin(), d2.begin() + (k - 1), d2.end());
        r2(i0 + i) = d2[k - 1];
      }
    }
  }
  return r2;
}

// Share of the rows of `query` that lie within the radius of at least one row of `support`.
double coverage_share(const Eigen::MatrixXd& query, const Eigen::MatrixXd& support,
                      const Eigen::VectorXd& support_r2) {
  const Eigen::Index n = query.rows(), ns = support.rows();
  const Eigen::VectorXd qn = query.rowwise().squaredNorm(), sn = support.rowwise().squaredNorm();
  const Eigen::Index n_blocks = (n + kBlockRows - 1) / kBlockRows;
  int64_t inside = 0;
#pragma omp parallel reduction(+ : inside)
  {
    Eigen::MatrixXd g;
#pragma omp for schedule(dynamic)
    for (Eigen::Index b = 0; b < n_blocks; ++b) {
      const Eigen::Index i0 = b * kBlockRows, rows = std::min(kBlockRows, n - i0);
      g.noalias() = support * query.middleRows(i0, rows).transpose();
      for (Eigen::Index i = 0; i < rows; ++i) {
        const double* gi = g.col(i).data();
        const double qi = qn(i0 + i);
        bool in = false;
        for (Eigen::Index j = 0; j < ns && !in; ++j) in = std::max(0.0, sn(j) + qi - 2.0 * gi[j]) <= support_r2(j);
        inside += in ? 1 : 0;
      }
    }
  }
  return double(inside) / double(n);
}

}  // namespace

// ---- validation ----------------------------------------------------------------------------

void check_features(const Eigen::MatrixXd& x, const std::string& what) {
  if (x.rows() == 0) fail(what + " are empty (0 samples)");
  if (x.cols() == 0) fail(what + " have feature dimension 0");
  check_finite_matrix(x, what);
}

void check_feature_pair(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen) {
  check_features(real, "real features");
  check_features(gen, "generated features");
  if (real.cols() != gen.cols()) {
    std::ostringstream os;
    os << "feature dimensions differ: real features have " << real.cols()
       << " columns, generated features have " << gen.cols();
    fail(os.str());
  }
}

// ---- FID -----------------------------------------------------------------------------------

GaussianFit fit_gaussian(const Eigen::MatrixXd& x, const std::string& what) {
  check_features(x, what);
  if (x.rows() < 2) fail(what + ": a Gaussian fit needs at least 2 samples, got " + std::to_string(x.rows()));
  GaussianFit g;
  g.n = x.rows();
  g.mean = x.colwise().mean().transpose();
  const Eigen::MatrixXd centred = x.rowwise() - g.mean.transpose();
  g.cov = symmetrised(centred.transpose() * centred / double(x.rows() - 1));
  return g;
}

Eigen::MatrixXd sqrtm_psd(const Eigen::MatrixXd& a) {
  if (a.rows() != a.cols()) fail("sqrtm_psd: matrix is not square");
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(symmetrised(a));
  if (es.info() != Eigen::Success) fail("sqrtm_psd: eigendecomposition did not converge");
  const Eigen::VectorXd s = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return es.eigenvectors() * s.asDiagonal() * es.eigenvectors().transpose();
}

namespace {

FidResult frechet_distance_impl(const Eigen::VectorXd& mu1, const Eigen::MatrixXd& s1, const Eigen::VectorXd& mu2,
                                const Eigen::MatrixXd& s2, const Eigen::MatrixXd* s1_sqrt) {
  const Eigen::Index d = mu1.size();
  if (d == 0) fail("Frechet distance: empty mean vector");
  if (mu2.size() != d || s1.rows() != d || s1.cols() != d || s2.rows() != d || s2.cols() != d) {
    std::ostringstream os;
    os << "Frechet distance: dimensions do not match (mu1 " << d << ", S1 " << s1.rows() << "x"
       << s1.cols() << ", mu2 " << mu2.size() << ", S2 " << s2.rows() << "x" << s2.cols() << ")";
    fail(os.str());
  }
  check_finite_matrix(mu1, "real mean");
  check_finite_matrix(mu2, "generated mean");
  check_finite_matrix(s1, "real covariance");
  check_finite_matrix(s2, "generated covariance");

  FidResult r;
  r.mean_term = (mu1 - mu2).squaredNorm();
  r.trace_real = s1.trace();
  r.trace_gen = s2.trace();
  // tr((S1^1/2 S2 S1^1/2)^1/2): M is symmetric PSD, so its eigenvalues are real and >= 0 up to
  // rounding; their square roots sum to the trace we need.
  const Eigen::MatrixXd a = s1_sqrt ? *s1_sqrt : sqrtm_psd(s1);
  const Eigen::MatrixXd m = symmetrised(a * symmetrised(s2) * a);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(m, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) fail("Frechet distance: eigendecomposition did not converge");
  r.trace_sqrt = es.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  r.fid = std::max(0.0, r.mean_term + r.trace_real + r.trace_gen - 2.0 * r.trace_sqrt);
  return r;
}

}  // namespace

FidResult frechet_distance(const Eigen::VectorXd& mu1, const Eigen::MatrixXd& s1, const Eigen::VectorXd& mu2,
                           const Eigen::MatrixXd& s2) {
  return frechet_distance_impl(mu1, s1, mu2, s2, nullptr);
}

FidResult frechet_distance(const GaussianFit& real, const GaussianFit& gen, const Eigen::MatrixXd* real_sqrt) {
  if (real_sqrt && (real_sqrt->rows() != real.cov.rows() || real_sqrt->cols() != real.cov.cols()))
    fail("Frechet distance: the square root of the real covariance has the wrong shape");
  return frechet_distance_impl(real.mean, real.cov, gen.mean, gen.cov, real_sqrt);
}

FidResult fid(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen) {
  check_feature_pair(real, gen);
  return frechet_distance(fit_gaussian(real, "real features"), fit_gaussian(gen, "generated features"));
}

std::string fid_sample_warning(int64_t n_real, int64_t n_gen, int64_t feature_dim, int64_t min_samples) {
  std::ostringstream os;
  const int64_t n = std::min(n_real, n_gen);
  const char* which = n_gen <= n_real ? "generated" : "real";
  if (n <= feature_dim) {
    os << "FID from " << n << " " << which << " samples with " << feature_dim
       << "-dimensional features: the covariance estimate is singular (need more samples than "
          "dimensions); FID is dominated by estimation error -- prefer KID";
  } else if (n < min_samples) {
    os << "FID from only " << n << " " << which << " samples (< " << min_samples
       << "): FID is biased upwards and not comparable across sample counts -- compare at equal N, "
          "or prefer KID";
  }
  return os.str();
}

// ---- KID -----------------------------------------------------------------------------------

double polynomial_mmd2_unbiased(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y) {
  const Eigen::Index m = x.rows();
  if (y.rows() != m) fail("KID: subsets must have the same size");
  if (m < 2) fail("KID: subset size must be at least 2");
  if (x.cols() != y.cols()) fail("KID: feature dimensions differ");
  if (x.cols() == 0) fail("KID: feature dimension 0");
  const double inv_d = 1.0 / double(x.cols());
  // Sum over i != j of k(a_i, a_j): the Gram matrix by a symmetric rank update (half the flops
  // of a full product), the kernel on its strict lower triangle, doubled.
  auto off_diagonal_sum = [inv_d, m](const Eigen::MatrixXd& a) {
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(m, m);
    g.selfadjointView<Eigen::Lower>().rankUpdate(a);
    double s = 0;
    for (Eigen::Index j = 0; j < m; ++j)
      for (Eigen::Index i = j + 1; i < m; ++i) {
        const double k = g(i, j) * inv_d + 1.0;
        s += k * k * k;
      }
    return 2.0 * s;
  };
  Eigen::ArrayXXd kxy = (x * y.transpose()).array() * inv_d + 1.0;
  kxy = kxy * kxy * kxy;
  const double md = double(m);
  return (off_diagonal_sum(x) + off_diagonal_sum(y)) / (md * (md - 1.0)) - 2.0 * kxy.sum() / (md * md);
}

std::vector<int64_t> sample_without_replacement(int64_t n, int64_t m, Rng& rng) {
  if (m < 0 || m > n) fail("sample_without_replacement: cannot draw " + std::to_string(m) + " of " + std::to_string(n));
  std::vector<int64_t> idx(n);
  for (int64_t i = 0; i < n; ++i) idx[i] = i;
  for (int64_t i = 0; i < m; ++i) std::swap(idx[i], idx[i + int64_t(rng.below(uint64_t(n - i)))]);
  idx.resize(m);
  return idx;
}

int64_t default_kid_subset_size(int64_t n_real, int64_t n_gen) {
  return std::min<int64_t>({1000, n_real, n_gen});
}

KidResult kid_from_subsets(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen,
                           const std::vector<std::vector<int64_t>>& real_subsets,
                           const std::vector<std::vector<int64_t>>& gen_subsets) {
  check_feature_pair(real, gen);
  if (real_subsets.empty()) fail("KID: no subsets (n_subsets must be >= 1)");
  if (real_subsets.size() != gen_subsets.size()) fail("KID: real and generated subset lists differ in length");
  const int64_t m = int64_t(real_subsets[0].size());
  if (m < 2) fail("KID: subset size must be at least 2, got " + std::to_string(m));
  for (size_t s = 0; s < real_subsets.size(); ++s) {
    if (int64_t(real_subsets[s].size()) != m || int64_t(gen_subsets[s].size()) != m)
      fail("KID: subset " + std::to_string(s) + " does not have size " + std::to_string(m));
    for (int64_t i : real_subsets[s])
      if (i < 0 || i >= real.rows()) fail("KID: real subset index " + std::to_string(i) + " out of range");
    for (int64_t i : gen_subsets[s])
      if (i < 0 || i >= gen.rows()) fail("KID: generated subset index " + std::to_string(i) + " out of range");
  }
  KidResult r;
  r.subset_size = m;
  r.subset_values.resize(real_subsets.size());
  // Subsets in parallel (each product single-threaded); every result has its own slot, so the
  // outcome does not depend on the thread count.
#pragma omp parallel for schedule(dynamic)
  for (size_t s = 0; s < real_subsets.size(); ++s) {
    const Eigen::MatrixXd x = real(real_subsets[s], Eigen::all);
    const Eigen::MatrixXd y = gen(gen_subsets[s], Eigen::all);
    r.subset_values[s] = polynomial_mmd2_unbiased(x, y);
  }
  const double ns = double(r.subset_values.size());
  double sum = 0;
  for (double v : r.subset_values) sum += v;
  r.mean = sum / ns;
  double ss = 0;
  for (double v : r.subset_values) ss += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(ss / ns);
  return r;
}

KidResult kid(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen, int64_t n_subsets,
              int64_t subset_size, Rng& rng) {
  check_feature_pair(real, gen);
  if (n_subsets < 1) fail("KID: n_subsets must be >= 1, got " + std::to_string(n_subsets));
  if (subset_size < 2) fail("KID: subset size must be at least 2, got " + std::to_string(subset_size));
  if (subset_size > real.rows())
    fail("KID: subset size " + std::to_string(subset_size) + " exceeds the number of real samples (" +
         std::to_string(real.rows()) + ")");
  if (subset_size > gen.rows())
    fail("KID: subset size " + std::to_string(subset_size) + " exceeds the number of generated samples (" +
         std::to_string(gen.rows()) + ")");
  std::vector<std::vector<int64_t>> rs(n_subsets), gs(n_subsets);
  for (int64_t s = 0; s < n_subsets; ++s) {
    gs[s] = sample_without_replacement(gen.rows(), subset_size, rng);
    rs[s] = sample_without_replacement(real.rows(), subset_size, rng);
  }
  return kid_from_subsets(real, gen, rs, gs);
}

// ---- precision / recall --------------------------------------------------------------------

Eigen::VectorXd knn_radii(const Eigen::MatrixXd& x, int k, const std::string& what) {
  check_features(x, what);
  if (k < 1) fail("precision/recall: k must be >= 1, got " + std::to_string(k));
  if (k >= x.rows())
    fail("precision/recall: k = " + std::to_string(k) + " must be smaller than the number of " + what +
         " samples (" + std::to_string(x.rows()) + ")");
  return knn_radii_squared(x, k).cwiseSqrt();
}

PrecisionRecall precision_recall(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen, int k) {
  check_feature_pair(real, gen);
  if (k < 1) fail("precision/recall: k must be >= 1, got " + std::to_string(k));
  if (k >= real.rows())
    fail("precision/recall: k = " + std::to_string(k) + " must be smaller than the number of real samples (" +
         std::to_string(real.rows()) + ")");
  if (k >= gen.rows())
    fail("precision/recall: k = " + std::to_string(k) +
         " must be smaller than the number of generated samples (" + std::to_string(gen.rows()) + ")");
  PrecisionRecall r;
  r.k = k;
  const Eigen::VectorXd real_r2 = knn_radii_squared(real, k);
  const Eigen::VectorXd gen_r2 = knn_radii_squared(gen, k);
  r.precision = coverage_share(gen, real, real_r2);
  r.recall = coverage_share(real, gen, gen_r2);
  return r;
}

}  // namespace qdiff::eval
