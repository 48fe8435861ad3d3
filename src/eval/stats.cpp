// Student t intervals and tests over seeds, Holm's adjustment, and the grouped jackknife of FID.
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

JackknifeInterval grouped_jackknife(int64_t n, int64_t groups, Rng& rng,
                                    const std::function<double(const std::vector<int64_t>&)>& statistic,
                                    double level) {
  check_level(level);
  if (groups < 2 || groups > n)
    fail("jackknife: needs 2 <= groups <= n, got " + std::to_string(groups) + " groups of " + std::to_string(n) + " rows");
  // A random partition: consecutive runs of a permutation, sizes n/G or n/G + 1.
  const std::vector<int64_t> perm = rng.permutation(n);
  std::vector<int64_t> group_of(n);
  for (int64_t g = 0, i = 0; g < groups; ++g) {
    const int64_t size = n / groups + (g < n % groups ? 1 : 0);
    for (int64_t k = 0; k < size; ++k) group_of[perm[i++]] = g;
  }
  JackknifeInterval r;
  r.level = level;
  r.groups = groups;
  std::vector<int64_t> all(n);
  for (int64_t i = 0; i < n; ++i) all[i] = i;
  r.estimate = statistic(all);
  std::vector<double> left_out(groups), h(groups);
  for (int64_t g = 0; g < groups; ++g) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < n; ++i)
      if (group_of[i] != g) rows.push_back(i);
    h[g] = double(n) / double(n - int64_t(rows.size()));
    left_out[g] = statistic(rows);
  }
  r.corrected = double(groups) * r.estimate;
  for (int64_t g = 0; g < groups; ++g) r.corrected -= (1.0 - 1.0 / h[g]) * left_out[g];
  double var = 0;
  for (int64_t g = 0; g < groups; ++g) {
    const double pseudo = h[g] * r.estimate - (h[g] - 1.0) * left_out[g];
    var += (pseudo - r.corrected) * (pseudo - r.corrected) / (h[g] - 1.0);
  }
  r.se = std::sqrt(var / double(groups));
  const double half = student_t_quantile(0.5 * (1.0 + level), double(groups - 1)) * r.se;
  r.lo = r.corrected - half;
  r.hi = r.corrected + half;
  return r;
}

JackknifeInterval fid_jackknife(const Eigen::MatrixXd& real, const Eigen::MatrixXd& gen, int64_t groups, Rng& rng,
                                double level) {
  check_feature_pair(real, gen);
  if (groups < 2 || gen.rows() - (gen.rows() + groups - 1) / groups < 2)
    fail("FID jackknife: " + std::to_string(gen.rows()) + " generated samples are too few for " +
         std::to_string(groups) + " groups (each leave-one-group-out set needs >= 2 samples)");
  const GaussianFit ref = fit_gaussian(real, "real features");
  const Eigen::MatrixXd ref_sqrt = sqrtm_psd(ref.cov);
  return grouped_jackknife(
      gen.rows(), groups, rng,
      [&](const std::vector<int64_t>& rows) {
        return frechet_distance(ref, fit_gaussian(gen(rows, Eigen::all), "generated features"), &ref_sqrt).fid;
      },
      level);
}

PairedComparison paired_comparison(std::span<const double> a, std::span<const double> b, double level) {
  check_level(level);
  if (a.size() != b.size()) fail("paired comparison: " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " values");
  if (a.empty()) fail("paired comparison: no pairs");
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  const MeanInterval md = mean_interval(d, level), ma = mean_interval(a, level), mb = mean_interval(b, level);
  PairedComparison r;
  r.level = level;
  r.n = md.n;
  r.mean_diff = md.mean, r.sd_diff = md.std, r.lo = md.lo, r.hi = md.hi;
  r.mean_a = ma.mean, r.mean_b = mb.mean, r.sd_a = ma.std, r.sd_b = mb.std;
  r.relative_percent = 100.0 * r.mean_diff / r.mean_b;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (r.n < 2) {
    r.t = r.p = r.d_z = nan;
  } else if (r.sd_diff == 0) {  // every difference equal: a certain sign (or none at all)
    r.t = r.mean_diff == 0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), r.mean_diff);
    r.p = r.mean_diff == 0 ? 1.0 : 0.0;
    r.d_z = r.mean_diff == 0 ? 0.0 : r.t;
  } else {
    r.t = r.mean_diff / (r.sd_diff / std::sqrt(double(r.n)));
    r.p = 2.0 * student_t_cdf(-std::fabs(r.t), double(r.n - 1));
    r.d_z = r.mean_diff / r.sd_diff;
  }
  return r;
}

std::vector<double> holm_adjust(std::span<const double> p) {
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    if (std::isnan(p[i])) continue;
    if (p[i] < 0 || p[i] > 1) fail("Holm adjustment: p-value " + std::to_string(p[i]) + " outside [0, 1]");
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  std::vector<double> adj(p.begin(), p.end());
  const size_t m = order.size();
  double running = 0;
  for (size_t j = 0; j < m; ++j) {
    running = std::max(running, std::min(1.0, double(m - j) * p[order[j]]));
    adj[order[j]] = running;
  }
  return adj;
}

}  // namespace qdiff::eval
