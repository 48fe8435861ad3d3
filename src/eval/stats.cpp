// Confidence intervals: Student t over seeds, percentile bootstrap for FID.
#include "qdiff/eval/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/eval/metrics.hpp"

namespace qdiff::eval {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidArgument(msg); }

void check_level(double level) {
  if (!(level > 0.0 && level < 1.0)) fail("confidence level must be in (0, 1), got " + std::to_string(level));
}

// Continued fraction of the regularised incomplete beta function, evaluated with the modified
// Lentz method; converges fast for x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-16;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double f = d;
  for (int m = 1; m <= 1000; ++m) {
    // even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
    double num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
    d = 1.0 + num * d;
    c = 1.0 + num / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    f *= c * d;
    // odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
    num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
    d = 1.0 + num * d;
    c = 1.0 + num / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = c * d;
    f *= delta;
    if (std::fabs(delta - 1.0) < eps) break;
  }
  return f;
}

// I_x(a, b), the regularised incomplete beta function.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1.0) / (a + b + 2.0)) return std::exp(log_front) * beta_continued_fraction(a, b, x) / a;
  return 1.0 - std::exp(log_front) * beta_continued_fraction(b, a, 1.0 - x) / b;
}

// q-quantile (q in [0, 1]) of sorted values, linear interpolation (numpy's default).
double quantile_sorted(const std::vector<double>& v, double q) {
  const double pos = q * double(v.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

}  // namespace

double student_t_cdf(double t, double df) {
  if (!(df > 0)) fail("Student t: degrees of freedom must be > 0");
  if (std::isnan(t)) return t;
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2)
  const double tail = 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t * t));
  return t >= 0 ? 1.0 - tail : tail;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0.0 && p < 1.0)) fail("Student t quantile: p must be in (0, 1)");
  if (!(df > 0)) fail("Student t: degrees of freedom must be > 0");
  if (p == 0.5) return 0.0;
  if (p < 0.5) return -student_t_quantile(1.0 - p, df);
  double lo = 0.0, hi = 1.0;
  while (student_t_cdf(hi, df) < p) {
    lo = hi;
    hi *= 2.0;
    if (hi > 1e300) return std::numeric_limits<double>::infinity();
  }
  for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; ++it) {  // bisection: cdf is monotone
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

MeanInterval mean_interval(std::span<const double> values, double level) {
  check_level(level);
  if (values.empty()) fail("confidence interval: no values");
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) fail("confidence interval: value " + std::to_string(i) + " is NaN/Inf");
  MeanInterval r;
  r.level = level;
  r.n = int64_t(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  r.mean = sum / double(r.n);
  if (r.n == 1) {  // one seed: no spread to report
    r.std = r.lo = r.hi = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  double ss = 0;
  for (double v : values) ss += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(ss / double(r.n - 1));
  const double half = student_t_quantile(0.5 * (1.0 + level), double(r.n - 1)) * r.std / std::sqrt(double(r.n));
  r.lo = r.mean - half;
  r.hi = r.mean + half;
  return r;
}

BootstrapInterval fid_bootstrap(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen, int64_t n_boot,
                                Rng& rng, double level) {
  check_level(level);
  if (n_boot < 2) fail("FID bootstrap: n_boot must be >= 2, got " + std::to_string(n_boot));
  BootstrapInterval r;
  r.level = level;
  r.n_boot = n_boot;
  r.estimate = fid(real, gen).fid;  // validates both sets
  auto resample = [&rng](const Eigen::MatrixXd& x) {
    std::vector<int64_t> idx(x.rows());
    for (auto& i : idx) i = int64_t(rng.below(uint64_t(x.rows())));
    return Eigen::MatrixXd(x(idx, Eigen::all));
  };
  std::vector<double> vals(n_boot);
  for (int64_t b = 0; b < n_boot; ++b) {
    const Eigen::MatrixXd rr = resample(real), gg = resample(gen);
    vals[b] = fid(rr, gg).fid;
  }
  std::sort(vals.begin(), vals.end());
  r.lo = quantile_sorted(vals, 0.5 * (1.0 - level));
  r.hi = quantile_sorted(vals, 0.5 * (1.0 + level));
  double sum = 0;
  for (double v : vals) sum += v;
  const double mean = sum / double(n_boot);
  double ss = 0;
  for (double v : vals) ss += (v - mean) * (v - mean);
  r.std = std::sqrt(ss / double(n_boot - 1));
  return r;
}

}  // namespace qdiff::eval
