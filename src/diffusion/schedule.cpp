#include "qdiff/diffusion/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>

#include "qdiff/core/error.hpp"

namespace qdiff::diffusion {
namespace {

void require_T(int T) {
  if (T < 2) throw InvalidArgument("diffusion schedule: T must be >= 2, got " + std::to_string(T));
}

// linspace(a, b, n) with exact endpoints.
double lin(double a, double b, int i, int n) {
  if (n == 1) return a;
  return a + (b - a) * static_cast<double>(i) / static_cast<double>(n - 1);
}

}  // namespace

std::vector<double> make_linear_betas(int T, double beta_start, double beta_end) {
  require_T(T);
  std::vector<double> b(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) b[t] = lin(beta_start, beta_end, t, T);
  return b;
}

std::vector<double> make_cosine_betas(int T, double s, double beta_min, double beta_max) {
  require_T(T);
  if (!(s >= 0.0)) throw InvalidArgument("cosine schedule: s must be >= 0");
  // f(t) = cos^2(pi/2 * (t/T + s) / (1 + s)), alpha_bar(t) = f(t) / f(0), t = 0..T.
  auto f = [&](int t) {
    const double c = std::cos(0.5 * std::numbers::pi * (static_cast<double>(t) / T + s) / (1.0 + s));
    return c * c;
  };
  const double f0 = f(0);
  std::vector<double> b(static_cast<size_t>(T));
  for (int t = 1; t <= T; ++t) {
    const double beta = 1.0 - (f(t) / f0) / (f(t - 1) / f0);
    b[t - 1] = std::clamp(beta, beta_min, beta_max);
  }
  return b;
}

std::vector<double> make_sigmoid_betas(int T, double beta_start, double beta_end) {
  require_T(T);
  std::vector<double> b(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) {
    const double x = lin(-6.0, 6.0, t, T);
    b[t] = 1.0 / (1.0 + std::exp(-x)) * (beta_end - beta_start) + beta_start;
  }
  return b;
}

std::vector<double> make_tailored_betas(int T, double power, double beta_start) {
  require_T(T);
  if (!(power > 0.0)) throw InvalidArgument("tailored schedule: power must be > 0");
  if (!(beta_start > 0.0 && beta_start < 0.5))
    throw InvalidArgument("tailored schedule: beta_start must be in (0, 0.5)");
  const double L = std::log((1.0 - beta_start) / beta_start);
  const double sp = std::sinh(power);
  std::vector<double> b(static_cast<size_t>(T));
  double prev = 1.0;  // alpha_bar_{-1}
  for (int t = 0; t < T; ++t) {
    const double u = 2.0 * static_cast<double>(t) / (T - 1) - 1.0;
    const double lambda = -L * std::sinh(power * u) / sp;
    const double ab = 1.0 / (1.0 + std::exp(-lambda));
    // beta = 1 - ab/prev = (prev - ab)/prev; written as a difference of sigmoids in the
    // form that keeps relative precision for tiny steps near the centre.
    b[t] = (prev - ab) / prev;
    prev = ab;
  }
  return b;
}

Schedule Schedule::from_betas(std::vector<double> betas, std::string name) {
  const int T = static_cast<int>(betas.size());
  require_T(T);
  Schedule s;
  s.T = T;
  s.name = std::move(name);
  for (int t = 0; t < T; ++t) {
    const double b = betas[t];
    if (!std::isfinite(b) || !(b > 0.0) || !(b < 1.0)) {
      std::ostringstream m;
      m.precision(17);
      m << "diffusion schedule '" << s.name << "': beta[" << t << "] = " << b
        << " is not in (0, 1)";
      throw InvalidArgument(m.str());
    }
  }
  s.betas = std::move(betas);
  const auto n = static_cast<size_t>(T);
  s.alphas.resize(n);
  s.alpha_bar.resize(n);
  s.alpha_bar_prev.resize(n);
  s.sqrt_alpha_bar.resize(n);
  s.sqrt_one_minus_alpha_bar.resize(n);
  s.sqrt_recip_alpha_bar.resize(n);
  s.sqrt_recipm1_alpha_bar.resize(n);
  s.posterior_variance.resize(n);
  s.posterior_mean_coef1.resize(n);
  s.posterior_mean_coef2.resize(n);
  double ab = 1.0;
  for (int t = 0; t < T; ++t) {
    const double beta = s.betas[t];
    const double alpha = 1.0 - beta;
    const double ab_prev = ab;
    ab *= alpha;
    if (!(ab < ab_prev) || !(ab > 0.0)) {
      throw InvalidArgument("diffusion schedule '" + s.name + "': alpha_bar is not strictly decreasing at t = " +
                            std::to_string(t) + " (beta too small for double precision, or underflow)");
    }
    s.alphas[t] = alpha;
    s.alpha_bar[t] = ab;
    s.alpha_bar_prev[t] = ab_prev;
    s.sqrt_alpha_bar[t] = std::sqrt(ab);
    s.sqrt_one_minus_alpha_bar[t] = std::sqrt(1.0 - ab);
    s.sqrt_recip_alpha_bar[t] = 1.0 / std::sqrt(ab);
    s.sqrt_recipm1_alpha_bar[t] = std::sqrt(1.0 / ab - 1.0);
    s.posterior_variance[t] = beta * (1.0 - ab_prev) / (1.0 - ab);
    s.posterior_mean_coef1[t] = beta * std::sqrt(ab_prev) / (1.0 - ab);
    s.posterior_mean_coef2[t] = (1.0 - ab_prev) * std::sqrt(alpha) / (1.0 - ab);
  }
  return s;
}

double Schedule::log_snr(int t) const {
  const double ab = alpha_bar.at(static_cast<size_t>(t));
  return std::log(ab) - std::log1p(-ab);
}

Schedule make_schedule(ScheduleKind kind, int T, double beta_start, double beta_end, double cosine_s,
                       double tailored_power) {
  std::vector<double> betas;
  switch (kind) {
    case ScheduleKind::Linear: betas = make_linear_betas(T, beta_start, beta_end); break;
    case ScheduleKind::Cosine: betas = make_cosine_betas(T, cosine_s); break;
    case ScheduleKind::Sigmoid: betas = make_sigmoid_betas(T, beta_start, beta_end); break;
    case ScheduleKind::Tailored: betas = make_tailored_betas(T, tailored_power, beta_start); break;
  }
  return Schedule::from_betas(std::move(betas), mode_name(kind));
}

Schedule make_schedule(const DiffusionOptions& d) {
  try {
    return make_schedule(d.schedule, d.T, d.beta_start, d.beta_end, d.cosine_s, d.tailored_power);
  } catch (const InvalidArgument& e) {
    throw ConfigError("diffusion.schedule", e.what());
  }
}

}  // namespace qdiff::diffusion
