#include "qdiff/diffusion/noise_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "qdiff/core/error.hpp"

namespace qdiff::diffusion {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double kolmogorov_survival(double lambda) {
  // Q(lambda) = 2 sum_{k>=1} (-1)^{k-1} exp(-2 k^2 lambda^2); the series is useless below ~0.2
  // where Q is 1 to double precision.
  if (lambda < 0.2) return 1.0;
  double sum = 0.0, sign = 1.0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    sum += sign * term;
    if (term < 1e-17) break;
    sign = -sign;
  }
  return std::clamp(2.0 * sum, 0.0, 1.0);
}

NoiseStats noise_statistics(const float* x, int64_t n) {
  if (n < 2) throw InvalidArgument("noise statistics need at least 2 values");
  NoiseStats s;
  s.n = n;
  double sum = 0.0;
  s.min = s.max = x[0];
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) throw InvalidArgument("noise statistics: value " + std::to_string(i) + " is not finite");
    sum += x[i];
    s.min = std::min<double>(s.min, x[i]);
    s.max = std::max<double>(s.max, x[i]);
  }
  s.mean = sum / n;
  double m2 = 0.0, m3 = 0.0, m4 = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = x[i] - s.mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  s.variance = m2 * n / (n - 1);
  if (m2 > 0.0) {
    s.skewness = m3 / std::pow(m2, 1.5);
    s.excess_kurtosis = m4 / (m2 * m2) - 3.0;
  }
  s.jarque_bera = n / 6.0 * (s.skewness * s.skewness + 0.25 * s.excess_kurtosis * s.excess_kurtosis);
  s.jarque_bera_p = std::exp(-0.5 * s.jarque_bera);

  std::vector<double> v(x, x + n);
  std::sort(v.begin(), v.end());
  double d = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double F = normal_cdf(v[i]);
    d = std::max({d, F - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - F});
  }
  s.ks_d = d;
  const double rn = std::sqrt(static_cast<double>(n));
  s.ks_p = kolmogorov_survival((rn + 0.12 + 0.11 / rn) * d);
  return s;
}

std::string NoiseStats::report() const {
  char buf[640];
  std::snprintf(buf, sizeof buf,
                "n                %lld\n"
                "mean             %+.5f   (N(0,1): 0)\n"
                "variance         %.5f    (N(0,1): 1)\n"
                "skewness         %+.5f   (N(0,1): 0)\n"
                "excess kurtosis  %+.5f   (N(0,1): 0)\n"
                "min / max        %+.4f / %+.4f\n"
                "Jarque-Bera      %.4f    p = %.4g\n"
                "KS vs N(0,1)     D = %.5f  p = %.4g\n"
                "verdict          %s at the 1%% level",
                static_cast<long long>(n), mean, variance, skewness, excess_kurtosis, min, max,
                jarque_bera, jarque_bera_p, ks_d, ks_p,
                looks_standard_normal(0.01) ? "consistent with N(0,1)" : "NOT N(0,1)");
  return buf;
}

}  // namespace qdiff::diffusion
