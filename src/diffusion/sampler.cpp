#include "qdiff/diffusion/sampler.hpp"

#include <algorithm>
#include <cmath>

#include "qdiff/core/error.hpp"

namespace qdiff::diffusion {

void ddpm_loop(const Schedule& s, const EpsModel& model, NoiseSource& noise, int B, int64_t D,
               bool clip_x0, float* x, const SampleProgress& progress) {
  if (B < 1 || D < 1) throw InvalidArgument("ddpm: B and D must be >= 1");
  const size_t n = static_cast<size_t>(B) * static_cast<size_t>(D);
  std::vector<float> eps(n), z(n);
  std::vector<int> tb(static_cast<size_t>(B));
  for (int t = s.T - 1; t >= 0; --t) {
    std::fill(tb.begin(), tb.end(), t);
    model(x, tb.data(), B, eps.data());  // eps: [B, D]
    const double r = s.sqrt_recip_alpha_bar[t], rm1 = s.sqrt_recipm1_alpha_bar[t];
    const double c1 = s.posterior_mean_coef1[t], c2 = s.posterior_mean_coef2[t];
    const double sigma = std::sqrt(s.posterior_variance[t]);
    const bool noisy = t > 0;
    if (noisy) noise.fill_normal(z.data(), static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) {
      double x0 = r * x[i] - rm1 * eps[i];
      if (clip_x0) x0 = std::clamp(x0, -1.0, 1.0);
      double v = c1 * x0 + c2 * x[i];
      if (noisy) v += sigma * z[i];
      x[i] = static_cast<float>(v);
    }
    if (progress) progress(s.T - t, s.T);
  }
}

std::vector<int> ddim_timesteps(int T, int S) {
  if (S < 1 || S > T)
    throw InvalidArgument("ddim: steps must be in [1, T = " + std::to_string(T) + "], got " + std::to_string(S));
  if (S == 1) return {T - 1};
  std::vector<int> ts(static_cast<size_t>(S));
  for (int i = 0; i < S; ++i)
    ts[i] = static_cast<int>(std::llround(static_cast<double>(i) * (T - 1) / (S - 1)));
  return ts;  // strictly increasing: the spacing (T-1)/(S-1) >= 1
}

void ddim_loop(const Schedule& s, const EpsModel& model, NoiseSource& noise, int B, int64_t D,
               int steps, double eta, bool clip_x0, float* x, const SampleProgress& progress) {
  if (B < 1 || D < 1) throw InvalidArgument("ddim: B and D must be >= 1");
  if (!(eta >= 0.0)) throw InvalidArgument("ddim: eta must be >= 0");
  const std::vector<int> ts = ddim_timesteps(s.T, steps);
  const size_t n = static_cast<size_t>(B) * static_cast<size_t>(D);
  std::vector<float> eps(n), z(n);
  std::vector<int> tb(static_cast<size_t>(B));
  const int S = static_cast<int>(ts.size());
  for (int i = S - 1; i >= 0; --i) {
    const int t = ts[i];
    const double ab = s.alpha_bar[t];
    const double ab_next = i > 0 ? s.alpha_bar[ts[i - 1]] : 1.0;
    std::fill(tb.begin(), tb.end(), t);
    model(x, tb.data(), B, eps.data());  // eps: [B, D]
    const double sa = std::sqrt(ab), s1a = std::sqrt(1.0 - ab);
    const double sigma = eta * std::sqrt((1.0 - ab_next) / (1.0 - ab)) * std::sqrt(1.0 - ab / ab_next);
    const double dir = std::sqrt(std::max(0.0, 1.0 - ab_next - sigma * sigma));
    const double sa_next = std::sqrt(ab_next);
    const bool noisy = sigma > 0.0;
    if (noisy) noise.fill_normal(z.data(), static_cast<int64_t>(n));
    for (size_t k = 0; k < n; ++k) {
      double e = eps[k];
      double x0 = (x[k] - s1a * e) / sa;
      if (clip_x0 && (x0 < -1.0 || x0 > 1.0)) {
        x0 = std::clamp(x0, -1.0, 1.0);
        e = (x[k] - sa * x0) / s1a;
      }
      double v = sa_next * x0 + dir * e;
      if (noisy) v += sigma * z[k];
      x[k] = static_cast<float>(v);
    }
    if (progress) progress(S - i, S);
  }
}

void sample(const Schedule& s, const EpsModel& model, NoiseSource& noise, int B, int64_t D,
            const SampleOptions& opt, float* x, const SampleProgress& progress) {
  noise.fill_normal(x, static_cast<int64_t>(B) * D);  // x_T: [B, D]
  switch (opt.sampler) {
    case SamplerKind::Ddpm: return ddpm_loop(s, model, noise, B, D, opt.clip_x0, x, progress);
    case SamplerKind::Ddim: return ddim_loop(s, model, noise, B, D, opt.steps, opt.eta, opt.clip_x0, x, progress);
  }
  throw InvalidArgument("sample: invalid sampler");
}

}  // namespace qdiff::diffusion
