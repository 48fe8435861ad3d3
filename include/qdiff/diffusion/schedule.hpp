// Beta schedules of the forward diffusion process and every coefficient derived from them.
//
// Indexing: arrays have T entries; index t = 0..T-1 is the paper's step t+1 (Ho et al. count
// 1..T). So alpha_bar[0] = 1 - beta[0] is the least noisy level and alpha_bar[T-1] the noisiest;
// "alpha_bar_prev[0]" is 1 (clean data). Everything is double precision; the samplers and
// q_sample convert to float only when they touch image data.
//
// Schedules (ScheduleKind, config key diffusion.schedule):
//   linear   beta_t = linspace(beta_start, beta_end, T)                       (Ho et al. 2020)
//   cosine   alpha_bar(t) = f(t)/f(0), f(t) = cos^2(pi/2 * (t/T + s)/(1 + s)), t = 0..T;
//            beta_t = 1 - alpha_bar(t)/alpha_bar(t-1), clipped to [1e-4, 0.999] as the
//            improved-DDPM code does; alpha_bar is then recomputed as cumprod(1 - beta)
//            (Nichol & Dhariwal 2021)
//   sigmoid  beta_t = sigmoid(linspace(-6, 6, T)) * (beta_end - beta_start) + beta_start
//   tailored a log-SNR schedule of qdiff's own, see make_tailored_betas below.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/core/options.hpp"

namespace qdiff::diffusion {

std::vector<double> make_linear_betas(int T, double beta_start, double beta_end);
std::vector<double> make_cosine_betas(int T, double s = 0.008, double beta_min = 1e-4,
                                      double beta_max = 0.999);
std::vector<double> make_sigmoid_betas(int T, double beta_start, double beta_end);

// Tailored schedule ("sinh log-SNR"), designed for training on very few images.
//
// Let lambda = log(alpha_bar / (1 - alpha_bar)) be the log signal-to-noise ratio. The schedule
// fixes lambda at both ends and shapes the path between them:
//   u(t)      = 2 * t / (T - 1) - 1                      in [-1, 1],  t = 0..T-1
//   lambda(t) = -L * sinh(p * u) / sinh(p)                L = log((1 - beta_start) / beta_start)
//   alpha_bar = sigmoid(lambda(t)),  beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} (alpha_bar_{-1} = 1)
// with p = tailored_power. The schedule is symmetric around SNR = 1 (alpha_bar = 0.5 at t = (T-1)/2).
// Why:
//  * Bounded ends. alpha_bar[0] = 1 - beta_start (as linear); alpha_bar[T-1] = beta_start, so
//    sqrt(alpha_bar_T) = 0.01 for the default beta_start (linear gives 0.006): x_T is as close
//    to pure noise as in DDPM, but no steps are wasted at SNR ~ 1e-9 as cosine's clipped tail is.
//  * Emphasis on mid noise. The density of steps per unit of log-SNR is proportional to
//    1/cosh(p*u): p -> 0 gives log-SNR spaced linearly; larger p concentrates steps around SNR = 1
//    (cosh(p) times denser there than at the ends, e.g. 3.8x for p = 2), where the coarse content of
//    an image is decided (Choi et al. 2022, "Perception Prioritized Training"; EDM and SD3 also
//    sample mid noise most). With 100 images, the high-SNR steps mostly teach the network to
//    reproduce fine detail of the training set, and the lowest-SNR steps only learn the data mean.
//  * alpha_bar falls slowly at first: at t = T/4, alpha_bar = 0.95 for p = 2 against 0.85 for
//    cosine and 0.52 for linear; the 17 % of linear-schedule steps with alpha_bar < 1e-3 (nearly
//    pure noise) are spent at informative noise levels instead. Unlike a power law |u|^p, sinh keeps a finite,
//    non-zero slope at the centre, so every beta stays strictly positive for p up to 10.
// Fractions of steps with |lambda| < 2 (0.12 < alpha_bar < 0.88), T = 1000, beta_start = 1e-4:
// linear-in-lambda 22 %, p = 2: 36 %, p = 3: 50 %, p = 4: 62 % (cosine: 55 %, linear betas: 35 %).
std::vector<double> make_tailored_betas(int T, double power, double beta_start);

// A validated schedule with all precomputed coefficients (each vector has T entries).
struct Schedule {
  int T = 0;
  std::string name;                      // mode_name(ScheduleKind) or "custom"
  std::vector<double> betas;             // beta_t
  std::vector<double> alphas;            // 1 - beta_t
  std::vector<double> alpha_bar;         // prod_{s<=t} alpha_s
  std::vector<double> alpha_bar_prev;    // alpha_bar_{t-1}, 1 at t = 0
  std::vector<double> sqrt_alpha_bar;    // sqrt(alpha_bar_t)
  std::vector<double> sqrt_one_minus_alpha_bar;  // sqrt(1 - alpha_bar_t)
  std::vector<double> sqrt_recip_alpha_bar;      // 1 / sqrt(alpha_bar_t)
  std::vector<double> sqrt_recipm1_alpha_bar;    // sqrt(1 / alpha_bar_t - 1)
  std::vector<double> posterior_variance;        // beta_tilde_t = beta_t (1 - ab_{t-1}) / (1 - ab_t)
  std::vector<double> posterior_mean_coef1;      // beta_t sqrt(ab_{t-1}) / (1 - ab_t)   (times x0)
  std::vector<double> posterior_mean_coef2;      // (1 - ab_{t-1}) sqrt(alpha_t) / (1 - ab_t) (times x_t)

  // Validates (T >= 2, every beta finite and in (0, 1), alpha_bar strictly decreasing) and
  // precomputes. Throws qdiff::InvalidArgument naming the first offending index.
  static Schedule from_betas(std::vector<double> betas, std::string name = "custom");

  // log SNR = log(alpha_bar / (1 - alpha_bar)) at index t.
  double log_snr(int t) const;
};

Schedule make_schedule(ScheduleKind kind, int T, double beta_start = 1e-4, double beta_end = 0.02,
                       double cosine_s = 0.008, double tailored_power = 2.0);
// From the options' T, schedule, beta_start, beta_end, cosine_s, tailored_power. A schedule
// they do not give is reported as qdiff::ConfigError naming diffusion.schedule.
Schedule make_schedule(const DiffusionOptions& diffusion);

}  // namespace qdiff::diffusion
