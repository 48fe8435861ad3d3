// Beta schedules against closed-form values computed independently (Python, double precision,
// see scripts/reference_schedules.py), monotonicity, and the posterior formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/diffusion/schedule.hpp"

using namespace qdiff;
using namespace qdiff::diffusion;

namespace {
void expect_rel(double actual, double expected, double rel, const char* what, int t) {
  EXPECT_NEAR(actual, expected, rel * std::abs(expected)) << what << " at t = " << t;
}
}  // namespace

TEST(Schedule, LinearMatchesClosedForm) {
  const Schedule s = make_schedule(ScheduleKind::Linear, 1000, 1e-4, 0.02);
  ASSERT_EQ(s.T, 1000);
  // beta_t = 1e-4 + (0.02 - 1e-4) t / 999;  alpha_bar_t = prod (1 - beta)
  const struct { int t; double beta, ab; } ref[] = {
      {0, 0.0001, 0.9999},
      {1, 0.00011991991991991993, 0.9997800920720721},
      {499, 0.01004004004004004, 0.07858724288177821},
      {999, 0.02, 4.0358297653756754e-05},
  };
  for (const auto& r : ref) {
    expect_rel(s.betas[r.t], r.beta, 1e-12, "beta", r.t);
    expect_rel(s.alpha_bar[r.t], r.ab, 1e-10, "alpha_bar", r.t);
  }
}

TEST(Schedule, CosineMatchesClosedFormWithClipping) {
  const Schedule s = make_schedule(ScheduleKind::Cosine, 1000, 1e-4, 0.02, 0.008);
  // f(t) = cos^2(pi/2 (t/T + s)/(1 + s)); beta = clip(1 - f(t+1)/f(t), 1e-4, 0.999).
  // The first 13 betas are below 1e-4 and clipped up; the last one (1.0) is clipped to 0.999.
  const struct { int t; double beta, ab; } ref[] = {
      {0, 1e-4, 0.9999},
      {3, 1e-4, 0.9996000599960002},
      {10, 1e-4, 0.9989005498350332},
      {499, 0.0031458862304780677, 0.49365380614999665},
      {998, 0.7499993929010453, 2.427833530935282e-06},
      {999, 0.999, 2.427833530935284e-09},
  };
  for (const auto& r : ref) {
    expect_rel(s.betas[r.t], r.beta, 1e-9, "beta", r.t);
    expect_rel(s.alpha_bar[r.t], r.ab, 1e-8, "alpha_bar", r.t);
  }
  // Without clipping the first beta would be ~4e-5: the clip must be active.
  const auto raw = make_cosine_betas(1000, 0.008, 0.0, 1.0);
  EXPECT_LT(raw[0], 1e-4);
  EXPECT_DOUBLE_EQ(raw[999], 1.0);
}

TEST(Schedule, SigmoidMatchesClosedForm) {
  const Schedule s = make_schedule(ScheduleKind::Sigmoid, 1000, 1e-4, 0.02);
  // beta_t = sigmoid(-6 + 12 t/999) (0.02 - 1e-4) + 1e-4
  const struct { int t; double beta, ab; } ref[] = {
      {0, 0.00014920520081703202, 0.9998507947991829},
      {499, 0.010020120209938985, 0.30193105660219516},
      {500, 0.010079879790061013, 0.29888762784675893},
      {999, 0.01995079479918297, 3.968181990533219e-05},
  };
  for (const auto& r : ref) {
    expect_rel(s.betas[r.t], r.beta, 1e-12, "beta", r.t);
    expect_rel(s.alpha_bar[r.t], r.ab, 1e-10, "alpha_bar", r.t);
  }
}

TEST(Schedule, TailoredMatchesClosedForm) {
  // alpha_bar = sigmoid(-L sinh(p u)/sinh(p)), u = 2t/(T-1) - 1, L = log((1 - b0)/b0).
  const struct { double p; int t; double ab; } ref[] = {
      {2, 0, 0.9999000000000001}, {2, 1, 0.9998961085616059}, {2, 250, 0.951682920766304},
      {2, 500, 0.49872900455341784}, {2, 999, 0.0001},
      {5, 1, 0.9998903927360597}, {5, 250, 0.6789738844332911}, {5, 500, 0.49984469172644425},
      {5, 999, 0.0001},
  };
  for (const auto& r : ref) {
    const Schedule s = make_schedule(ScheduleKind::Tailored, 1000, 1e-4, 0.02, 0.008, r.p);
    expect_rel(s.alpha_bar[r.t], r.ab, 1e-9, "alpha_bar", r.t);
  }
  // Larger power puts more steps at mid noise (|log SNR| < 2).
  auto mid_fraction = [](double p) {
    const Schedule s = make_schedule(ScheduleKind::Tailored, 1000, 1e-4, 0.02, 0.008, p);
    int n = 0;
    for (int t = 0; t < s.T; ++t) n += std::abs(s.log_snr(t)) < 2.0;
    return n / 1000.0;
  };
  EXPECT_NEAR(mid_fraction(2.0), 0.362, 0.002);
  EXPECT_NEAR(mid_fraction(4.0), 0.620, 0.002);
  EXPECT_GT(mid_fraction(4.0), mid_fraction(2.0));
  // alpha_bar falls slower early than linear and cosine.
  const Schedule lin = make_schedule(ScheduleKind::Linear, 1000);
  const Schedule cos = make_schedule(ScheduleKind::Cosine, 1000);
  const Schedule tai = make_schedule(ScheduleKind::Tailored, 1000);
  EXPECT_GT(tai.alpha_bar[250], cos.alpha_bar[250]);
  EXPECT_GT(cos.alpha_bar[250], lin.alpha_bar[250]);
}

TEST(Schedule, AllSchedulesValidAndMonotone) {
  for (const char* name : {"linear", "cosine", "sigmoid", "tailored"}) {
    for (int T : {2, 10, 1000, 4000}) {
      for (double p : {0.1, 2.0, 10.0}) {
        const Schedule s = make_schedule(parse_mode<ScheduleKind>(name), T, 1e-4, 0.02, 0.008, p);
        ASSERT_EQ(static_cast<int>(s.betas.size()), T);
        double prev = 1.0;
        for (int t = 0; t < T; ++t) {
          ASSERT_GT(s.betas[t], 0.0) << name << " T=" << T << " t=" << t;
          ASSERT_LT(s.betas[t], 1.0) << name << " T=" << T << " t=" << t;
          ASSERT_LT(s.alpha_bar[t], prev) << name << " T=" << T << " t=" << t;
          prev = s.alpha_bar[t];
        }
      }
    }
  }
}

TEST(Schedule, PosteriorFormulas) {
  for (const char* name : {"linear", "cosine", "sigmoid", "tailored"}) {
    const Schedule s = make_schedule(parse_mode<ScheduleKind>(name), 200);
    EXPECT_EQ(s.posterior_variance[0], 0.0) << name;
    EXPECT_EQ(s.alpha_bar_prev[0], 1.0) << name;
    for (int t = 1; t < s.T; ++t) {
      // Bayes precision form: 1/beta_tilde = 1/(1 - ab_{t-1}) + alpha_t / beta_t.
      const double ab_prev = s.alpha_bar[t - 1];
      const double bt = 1.0 / (1.0 / (1.0 - ab_prev) + s.alphas[t] / s.betas[t]);
      EXPECT_NEAR(s.posterior_variance[t], bt, 1e-12 * bt + 1e-300) << name << " t=" << t;
      EXPECT_LE(s.posterior_variance[t], s.betas[t]);
      // Noise-free consistency: x_t = sqrt(ab_t) x0  =>  posterior mean = sqrt(ab_{t-1}) x0.
      EXPECT_NEAR(s.posterior_mean_coef1[t] + s.posterior_mean_coef2[t] * s.sqrt_alpha_bar[t],
                  std::sqrt(ab_prev), 1e-12)
          << name << " t=" << t;
      EXPECT_DOUBLE_EQ(s.alpha_bar_prev[t], ab_prev);
      EXPECT_NEAR(s.sqrt_recip_alpha_bar[t] * s.sqrt_alpha_bar[t], 1.0, 1e-14);
      EXPECT_NEAR(s.sqrt_recipm1_alpha_bar[t] * s.sqrt_recipm1_alpha_bar[t],
                  (1.0 - s.alpha_bar[t]) / s.alpha_bar[t], 1e-10 * (1.0 / s.alpha_bar[t]));
    }
    // t = 0: the posterior mean is x0 itself.
    EXPECT_NEAR(s.posterior_mean_coef1[0], 1.0, 1e-12);
    EXPECT_NEAR(s.posterior_mean_coef2[0], 0.0, 1e-15);
  }
}

TEST(Schedule, RejectsInvalidBetas) {
  EXPECT_THROW(Schedule::from_betas({0.1, 0.0, 0.2}), InvalidArgument);
  EXPECT_THROW(Schedule::from_betas({0.1, 1.0}), InvalidArgument);
  EXPECT_THROW(Schedule::from_betas({0.1, std::nan("")}), InvalidArgument);
  EXPECT_THROW(Schedule::from_betas({-0.1, 0.2}), InvalidArgument);
  EXPECT_THROW(Schedule::from_betas({0.1}), InvalidArgument);  // T < 2
  // A beta so small that alpha_bar does not change in double precision.
  EXPECT_THROW(Schedule::from_betas({0.1, 1e-20, 0.2}), InvalidArgument);
  EXPECT_NO_THROW(Schedule::from_betas({0.1, 0.2}));
  EXPECT_THROW(make_schedule(parse_mode<ScheduleKind>("quadratic"), 10), InvalidArgument);
}

TEST(Schedule, FromConfig) {
  Config c;
  const Schedule d = make_schedule(resolve_options(c).diffusion);
  EXPECT_EQ(d.name, "linear");
  EXPECT_EQ(d.T, 1000);
  EXPECT_DOUBLE_EQ(d.betas[999], 0.02);

  c.set("diffusion.schedule=cosine");
  c.set("diffusion.T=50");
  const Schedule cs = make_schedule(resolve_options(c).diffusion);
  EXPECT_EQ(cs.name, "cosine");
  EXPECT_EQ(cs.T, 50);
  EXPECT_DOUBLE_EQ(cs.betas[49], 0.999);

  c.set("diffusion.schedule=tailored");
  c.set("diffusion.tailored_power=3");
  const Schedule ts = make_schedule(resolve_options(c).diffusion);
  EXPECT_EQ(ts.betas, make_tailored_betas(50, 3.0, 1e-4));

  c.set("diffusion.schedule=linear");
  c.set("diffusion.beta_start=0.05");
  c.set("diffusion.beta_end=0.01");
  try {
    make_schedule(resolve_options(c).diffusion);
    FAIL() << "beta_end < beta_start must be rejected";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "diffusion.beta_end");
  }
}
