// Statistics of a sample of noise values and tests of whether it is standard normal
// (used by `qdiff noise` and by the tests of every NoiseSource).
#pragma once
#include <cstdint>
#include <string>

namespace qdiff::diffusion {

struct NoiseStats {
  int64_t n = 0;
  double mean = 0.0;
  double variance = 0.0;        // unbiased (n - 1)
  double skewness = 0.0;        // g1 = m3 / m2^1.5 (population moments)
  double excess_kurtosis = 0.0; // g2 = m4 / m2^2 - 3
  double min = 0.0, max = 0.0;
  // Jarque-Bera: JB = n/6 (g1^2 + g2^2/4), asymptotically chi-square(2): p = exp(-JB/2).
  // Tests normality of shape only (any mean and variance).
  double jarque_bera = 0.0;
  double jarque_bera_p = 0.0;
  // Kolmogorov-Smirnov against N(0, 1) exactly (mean 0, variance 1 are part of the hypothesis):
  // D = sup |F_n(x) - Phi(x)|, p from the Kolmogorov distribution with Stephens' small-sample
  // correction lambda = (sqrt(n) + 0.12 + 0.11/sqrt(n)) D.
  double ks_d = 0.0;
  double ks_p = 0.0;

  // True when neither test rejects N(0, 1) at level alpha.
  bool looks_standard_normal(double alpha = 0.01) const {
    return jarque_bera_p >= alpha && ks_p >= alpha;
  }
  // One human-readable block (several lines) for the CLI.
  std::string report() const;
};

// x: [n], n >= 2. Accumulates in double; O(n log n) (sorts a copy for KS).
NoiseStats noise_statistics(const float* x, int64_t n);

// Standard normal CDF and the Kolmogorov distribution's survival function Q_KS(lambda).
double normal_cdf(double x);
double kolmogorov_survival(double lambda);

}  // namespace qdiff::diffusion
