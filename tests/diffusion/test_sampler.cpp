// Forward process, loss, and the DDPM / DDIM samplers driven by "models" whose exact
// eps-prediction is known in closed form.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/diffusion/forward.hpp"
#include "qdiff/diffusion/loss.hpp"
#include "qdiff/diffusion/sampler.hpp"

using namespace qdiff;
using namespace qdiff::diffusion;

namespace {

// Data = a single point x0* (per dimension): the optimal predictor is
// eps = (x_t - sqrt(ab) x0*) / sqrt(1 - ab).
EpsModel point_model(const Schedule& s, std::vector<float> x0star) {
  return [&s, x0star](const float* x, const int* t, int B, float* eps) {
    const int64_t D = static_cast<int64_t>(x0star.size());
    for (int b = 0; b < B; ++b)
      for (int64_t d = 0; d < D; ++d)
        eps[b * D + d] = static_cast<float>((x[b * D + d] - s.sqrt_alpha_bar[t[b]] * x0star[d]) /
                                            s.sqrt_one_minus_alpha_bar[t[b]]);
  };
}

// Data ~ N(mu, sd^2) independently per dimension: x_t ~ N(sqrt(ab) mu, ab sd^2 + 1 - ab) and
// E[eps | x_t] = sqrt(1 - ab) (x_t - sqrt(ab) mu) / (ab sd^2 + 1 - ab).
double gauss_k(const Schedule& s, int t, double sd) {
  const double ab = s.alpha_bar[t];
  return std::sqrt(1.0 - ab) / (ab * sd * sd + 1.0 - ab);
}
EpsModel gaussian_model(const Schedule& s, double mu, double sd, int64_t D) {
  return [&s, mu, sd, D](const float* x, const int* t, int B, float* eps) {
    for (int b = 0; b < B; ++b) {
      const double k = gauss_k(s, t[b], sd), m = s.sqrt_alpha_bar[t[b]] * mu;
      for (int64_t d = 0; d < D; ++d) eps[b * D + d] = static_cast<float>(k * (x[b * D + d] - m));
    }
  };
}

struct Moments {
  double mean, var;
};
Moments moments(const std::vector<float>& x) {
  double m = 0, v = 0;
  for (float a : x) m += a;
  m /= x.size();
  for (float a : x) v += (a - m) * (a - m);
  return {m, v / (x.size() - 1)};
}

// With the Gaussian-data oracle and no clipping every sampler step is affine in x plus
// independent noise, so the exact output mean and variance follow from a scalar recursion.
Moments ddpm_exact(const Schedule& s, double mu, double sd) {
  double m = 0, v = 1;
  for (int t = s.T - 1; t >= 0; --t) {
    const double k = gauss_k(s, t, sd), sa = s.sqrt_alpha_bar[t];
    const double c1 = s.posterior_mean_coef1[t], c2 = s.posterior_mean_coef2[t];
    const double r = s.sqrt_recip_alpha_bar[t], rm1 = s.sqrt_recipm1_alpha_bar[t];
    const double A = c1 * (r - rm1 * k) + c2, c = c1 * rm1 * k * sa * mu;
    m = A * m + c;
    v = A * A * v + (t > 0 ? s.posterior_variance[t] : 0.0);
  }
  return {m, v};
}
Moments ddim_exact(const Schedule& s, int S, double eta, double mu, double sd) {
  const auto ts = ddim_timesteps(s.T, S);
  double m = 0, v = 1;
  for (int i = S - 1; i >= 0; --i) {
    const int t = ts[i];
    const double ab = s.alpha_bar[t], abn = i > 0 ? s.alpha_bar[ts[i - 1]] : 1.0;
    const double sa = std::sqrt(ab), s1a = std::sqrt(1 - ab), san = std::sqrt(abn);
    const double sig = eta * std::sqrt((1 - abn) / (1 - ab) * (1 - ab / abn));
    const double dir = std::sqrt(1 - abn - sig * sig), k = gauss_k(s, t, sd);
    const double A = san * (1 - s1a * k) / sa + dir * k;
    const double c = san * s1a * k * mu - dir * k * sa * mu;
    m = A * m + c;
    v = A * A * v + sig * sig;
  }
  return {m, v};
}

}  // namespace

TEST(Forward, QSampleAndPredictX0AreInverse) {
  const Schedule s = make_schedule(ScheduleKind::Linear, 100);
  const int B = 3;
  const int64_t D = 5;
  std::vector<float> x0(B * D), eps(B * D), xt(B * D), back(B * D), mean(B * D);
  for (int i = 0; i < B * D; ++i) x0[i] = 0.1f * i - 0.7f, eps[i] = std::sin(1.3f * i);
  const int t[B] = {0, 50, 99};
  q_sample(s, x0.data(), eps.data(), t, B, D, xt.data());
  for (int b = 0; b < B; ++b)
    for (int d = 0; d < D; ++d) {
      const int i = b * D + d;
      EXPECT_NEAR(xt[i], std::sqrt(s.alpha_bar[t[b]]) * x0[i] + std::sqrt(1 - s.alpha_bar[t[b]]) * eps[i], 1e-6);
    }
  predict_x0(s, xt.data(), eps.data(), t, B, D, false, back.data());
  for (int i = 0; i < B * D; ++i) EXPECT_NEAR(back[i], x0[i], 2e-5 * (1 + std::abs(x0[i])) / std::sqrt(s.alpha_bar[99]));
  // posterior mean of a noise-free x_t is sqrt(ab_{t-1}) x0
  q_sample(s, x0.data(), std::vector<float>(B * D, 0.0f).data(), t, B, D, xt.data());
  posterior_mean(s, x0.data(), xt.data(), t, B, D, mean.data());
  for (int b = 0; b < B; ++b)
    for (int d = 0; d < D; ++d)
      EXPECT_NEAR(mean[b * D + d], std::sqrt(s.alpha_bar_prev[t[b]]) * x0[b * D + d], 1e-6);
  // clipping
  std::vector<float> big(B * D, 50.0f), zero(B * D, 0.0f), c(B * D);
  predict_x0(s, big.data(), zero.data(), t, B, D, true, c.data());
  for (float v : c) EXPECT_EQ(v, 1.0f);
}

TEST(Loss, EpsMseValueAndGradient) {
  const int B = 3;
  const int64_t D = 4;
  std::vector<float> pred(B * D), eps(B * D), dpred(B * D), per(B);
  for (int i = 0; i < B * D; ++i) pred[i] = 0.3f * std::cos(0.7f * i), eps[i] = 0.2f * i - 1.0f;
  const float w[B] = {1.0f, 2.5f, 0.5f};
  const double L = eps_mse(pred.data(), eps.data(), w, B, D, per.data(), dpred.data());
  double ref = 0;
  for (int b = 0; b < B; ++b) {
    double sq = 0;
    for (int d = 0; d < D; ++d) sq += std::pow(double(pred[b * D + d]) - eps[b * D + d], 2);
    EXPECT_NEAR(per[b], sq / D, 1e-6);  // unweighted
    ref += w[b] * sq / D;
  }
  EXPECT_NEAR(L, ref / B, 1e-9);
  // Central differences in double on the loss.
  for (int i = 0; i < B * D; ++i) {
    const float h = 1e-2f, keep = pred[i];
    pred[i] = keep + h;
    const double lp = eps_mse(pred.data(), eps.data(), w, B, D, nullptr, nullptr);
    pred[i] = keep - h;
    const double lm = eps_mse(pred.data(), eps.data(), w, B, D, nullptr, nullptr);
    pred[i] = keep;
    EXPECT_NEAR(dpred[i], (lp - lm) / (2 * h), 1e-4) << "element " << i;
  }
  // No weights = all ones.
  EXPECT_NEAR(eps_mse(pred.data(), eps.data(), nullptr, B, D, nullptr, nullptr),
              (per[0] + per[1] + per[2]) / 3.0, 1e-6);
}

TEST(Sampler, DdimTimesteps) {
  const auto ts = ddim_timesteps(1000, 50);
  ASSERT_EQ(ts.size(), 50u);
  EXPECT_EQ(ts.front(), 0);
  EXPECT_EQ(ts.back(), 999);
  for (size_t i = 1; i < ts.size(); ++i) EXPECT_GT(ts[i], ts[i - 1]);
  EXPECT_EQ(ddim_timesteps(1000, 1), std::vector<int>{999});
  EXPECT_EQ(ddim_timesteps(10, 10), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(ddim_timesteps(10, 4), (std::vector<int>{0, 3, 6, 9}));
  EXPECT_THROW(ddim_timesteps(10, 11), InvalidArgument);
  EXPECT_THROW(ddim_timesteps(10, 0), InvalidArgument);
}

TEST(Sampler, RecoverSinglePoint) {
  const int B = 4;
  const int64_t D = 16;
  std::vector<float> x0star(D);
  for (int d = 0; d < D; ++d) x0star[d] = 0.9f * std::sin(0.9f * d + 0.3f);
  for (const char* name : {"linear", "cosine", "tailored"}) {
    const Schedule s = make_schedule(parse_mode<ScheduleKind>(name), 1000);
    const EpsModel model = point_model(s, x0star);
    for (bool clip : {true, false}) {
      struct Case { const char* sampler; int steps; double eta; };
      for (const Case c : {Case{"ddpm", 0, 0.0}, Case{"ddim", 50, 0.0}, Case{"ddim", 20, 1.0}, Case{"ddim", 1, 0.0}}) {
        GaussianNoise noise(11);
        std::vector<float> x(B * D);
        sample(s, model, noise, B, D, SampleOptions{parse_mode<SamplerKind>(c.sampler), c.steps, c.eta, clip}, x.data());
        // One DDIM step from the cosine schedule's last level (sqrt(ab) = 5e-5) divides the
        // float eps error by 5e-5: the tolerance reflects float precision, not the method.
        const double tol = c.steps == 1 ? 3e-3 : 1e-4;
        for (int b = 0; b < B; ++b)
          for (int d = 0; d < D; ++d)
            ASSERT_NEAR(x[b * D + d], x0star[d], tol)
                << name << " " << c.sampler << " S=" << c.steps << " eta=" << c.eta << " clip=" << clip;
      }
    }
  }
}

TEST(Sampler, DdpmMatchesTheGaussianDataDistribution) {
  const double mu = 0.3, sd = 0.2;
  const int B = 8;
  const int64_t D = 5000;
  for (const char* name : {"linear", "cosine"}) {
    const Schedule s = make_schedule(parse_mode<ScheduleKind>(name), 1000);
    const Moments exact = ddpm_exact(s, mu, sd);
    // The discretisation error of 1000 ancestral steps is small (it shrinks the variance by
    // 3.7 % for linear, 2 % for cosine) and falls with T.
    EXPECT_NEAR(exact.mean, mu, 1e-6) << name;
    EXPECT_NEAR(exact.var, sd * sd, 0.05 * sd * sd) << name;
    EXPECT_LT(std::abs(ddpm_exact(make_schedule(parse_mode<ScheduleKind>(name), 4000), mu, sd).var - sd * sd), std::abs(exact.var - sd * sd));
    GaussianNoise noise(2024);
    std::vector<float> x(B * D);
    sample(s, gaussian_model(s, mu, sd, D), noise, B, D, SampleOptions{SamplerKind::Ddpm, 0, 0.0, false}, x.data());
    const Moments got = moments(x);
    const double n = static_cast<double>(x.size());
    EXPECT_NEAR(got.mean, exact.mean, 4.5 * std::sqrt(exact.var / n)) << name;
    EXPECT_NEAR(got.var, exact.var, 4.5 * exact.var * std::sqrt(2.0 / n)) << name;
  }
}

TEST(Sampler, DdimMatchesTheGaussianDataDistribution) {
  const double mu = -0.2, sd = 0.3;
  const int B = 8;
  const int64_t D = 5000;
  const Schedule s = make_schedule(ScheduleKind::Cosine, 1000);
  // With all T steps, DDIM(eta = 1) is DDPM and DDIM(eta = 0) follows the probability-flow
  // ODE closely; with 50 steps the variance shrinks (by 9 % at eta = 0), as expected.
  const Moments full0 = ddim_exact(s, 1000, 0.0, mu, sd), full1 = ddim_exact(s, 1000, 1.0, mu, sd);
  const Moments ddpm = ddpm_exact(s, mu, sd);
  EXPECT_NEAR(full1.var, ddpm.var, 1e-12);
  EXPECT_NEAR(full1.mean, ddpm.mean, 1e-12);
  EXPECT_NEAR(full0.var, sd * sd, 0.02 * sd * sd);
  EXPECT_NEAR(full0.mean, mu, 0.001);
  for (double eta : {0.0, 0.5, 1.0}) {
    const Moments exact = ddim_exact(s, 50, eta, mu, sd);
    EXPECT_NEAR(exact.mean, mu, 0.001) << "eta " << eta;
    EXPECT_NEAR(exact.var, sd * sd, 0.2 * sd * sd) << "eta " << eta;
    GaussianNoise noise(77);
    std::vector<float> x(B * D);
    sample(s, gaussian_model(s, mu, sd, D), noise, B, D, SampleOptions{SamplerKind::Ddim, 50, eta, false}, x.data());
    const Moments got = moments(x);
    const double n = static_cast<double>(x.size());
    EXPECT_NEAR(got.mean, exact.mean, 4.5 * std::sqrt(exact.var / n)) << "eta " << eta;
    EXPECT_NEAR(got.var, exact.var, 4.5 * exact.var * std::sqrt(2.0 / n)) << "eta " << eta;
  }
}

TEST(Sampler, DdimWithAllStepsAndEtaOneIsDdpm) {
  // sigma^2 = beta_tilde and, because eps is recomputed from the clipped x0, the DDIM update
  // sqrt(ab') x0 + sqrt(1 - ab' - sigma^2) eps + sigma z equals DDPM's coef1 x0 + coef2 x_t +
  // sqrt(beta_tilde) z, clipping included; both draw the same noise in the same order.
  const int B = 3;
  const int64_t D = 40;
  std::vector<float> x0star(D);
  for (int d = 0; d < D; ++d) x0star[d] = 1.6f * std::cos(0.37f * d);  // partly outside [-1, 1]
  for (const char* name : {"linear", "tailored"}) {
    const Schedule s = make_schedule(parse_mode<ScheduleKind>(name), 300);
    // A model that is wrong on purpose (a point outside [-1, 1] plus a bias) so clipping acts.
    const EpsModel base = point_model(s, x0star);
    std::vector<std::vector<float>> trace;  // every x_t the model sees
    const EpsModel model = [&](const float* x, const int* t, int Bn, float* eps) {
      trace.emplace_back(x, x + Bn * D);
      base(x, t, Bn, eps);
      for (int i = 0; i < Bn * D; ++i) eps[i] = 0.9f * eps[i] + 0.05f;
    };
    std::vector<float> a(B * D), b(B * D);
    GaussianNoise na(31), nb(31);
    sample(s, model, na, B, D, SampleOptions{SamplerKind::Ddpm, 0, 0.0, true}, a.data());
    const auto trace_ddpm = std::move(trace);
    trace.clear();
    sample(s, model, nb, B, D, SampleOptions{SamplerKind::Ddim, 300, 1.0, true}, b.data());
    ASSERT_EQ(trace.size(), trace_ddpm.size());
    for (size_t k = 0; k < trace.size(); ++k)
      for (int i = 0; i < B * D; ++i)
        ASSERT_NEAR(trace[k][i], trace_ddpm[k][i], 2e-4 * (1 + std::abs(trace_ddpm[k][i])))
            << name << " model call " << k << " element " << i;
    for (int i = 0; i < B * D; ++i) ASSERT_NEAR(a[i], b[i], 2e-4) << name << " element " << i;
    EXPECT_EQ(na.state(), nb.state());
  }
}

TEST(Sampler, SameSeedSameImages) {
  const Schedule s = make_schedule(ScheduleKind::Linear, 200);
  const int B = 3;
  const int64_t D = 10;
  const EpsModel model = gaussian_model(s, 0.1, 0.5, D);
  for (const SampleOptions& opt : {SampleOptions{SamplerKind::Ddpm, 0, 0.0, true}, SampleOptions{SamplerKind::Ddim, 20, 0.5, true},
                                  SampleOptions{SamplerKind::Ddim, 20, 0.0, true}}) {
    std::vector<float> a(B * D), b(B * D), c(B * D);
    GaussianNoise na(5), nb(5), nc(6);
    sample(s, model, na, B, D, opt, a.data());
    sample(s, model, nb, B, D, opt, b.data());
    sample(s, model, nc, B, D, opt, c.data());
    EXPECT_EQ(a, b) << mode_name(opt.sampler) << " eta " << opt.eta;
    EXPECT_NE(a, c) << mode_name(opt.sampler) << " eta " << opt.eta;
  }
}

TEST(Sampler, DdimEtaZeroDependsOnlyOnInitialNoise) {
  const Schedule s = make_schedule(ScheduleKind::Cosine, 500);
  const int B = 2;
  const int64_t D = 12;
  const EpsModel model = gaussian_model(s, 0.0, 0.4, D);
  std::vector<float> xT(B * D);
  GaussianNoise init(3);
  init.fill_normal(xT.data(), B * D);
  auto run = [&](double eta, uint64_t seed) {
    std::vector<float> x = xT;
    GaussianNoise noise(seed);
    const std::string before = noise.state().dump();
    ddim_loop(s, model, noise, B, D, 25, eta, true, x.data());
    if (eta == 0.0) {
      EXPECT_EQ(noise.state().dump(), before) << "eta = 0 must not draw noise";
    }
    return x;
  };
  EXPECT_EQ(run(0.0, 1), run(0.0, 2));
  EXPECT_NE(run(0.3, 1), run(0.3, 2));
}

TEST(Sampler, ProgressAndArgumentChecks) {
  const Schedule s = make_schedule(ScheduleKind::Linear, 30);
  const int64_t D = 3;
  const EpsModel model = gaussian_model(s, 0.0, 1.0, D);
  std::vector<float> x(D);
  std::vector<std::pair<int, int>> calls;
  auto progress = [&](int i, int n) { calls.emplace_back(i, n); };
  GaussianNoise noise(0);
  sample(s, model, noise, 1, D, SampleOptions{SamplerKind::Ddpm, 0, 0.0, true}, x.data(), progress);
  ASSERT_EQ(calls.size(), 30u);
  EXPECT_EQ(calls.front(), std::make_pair(1, 30));
  EXPECT_EQ(calls.back(), std::make_pair(30, 30));
  calls.clear();
  sample(s, model, noise, 1, D, SampleOptions{SamplerKind::Ddim, 7, 0.0, true}, x.data(), progress);
  ASSERT_EQ(calls.size(), 7u);
  EXPECT_EQ(calls.back(), std::make_pair(7, 7));
  // The model is always asked for all B samples at one timestep, from T-1 down.
  std::vector<int> seen;
  EpsModel spy = [&](const float*, const int* t, int B, float* eps) {
    for (int b = 0; b < B; ++b) EXPECT_EQ(t[b], t[0]);
    seen.push_back(t[0]);
    for (int i = 0; i < B * D; ++i) eps[i] = 0.0f;
  };
  std::vector<float> x2(2 * D);
  sample(s, spy, noise, 2, D, SampleOptions{SamplerKind::Ddim, 4, 0.0, true}, x2.data());
  EXPECT_EQ(seen, (std::vector<int>{29, 19, 10, 0}));
  EXPECT_THROW(sample(s, model, noise, 1, D, SampleOptions{parse_mode<SamplerKind>("euler"), 4, 0.0, true}, x.data()), InvalidArgument);
  EXPECT_THROW(sample(s, model, noise, 1, D, SampleOptions{SamplerKind::Ddim, 31, 0.0, true}, x.data()), InvalidArgument);
}

TEST(Sampler, OptionsFromConfig) {
  Config c;
  SampleOptions o = resolve_options(c).sample;
  EXPECT_EQ(mode_name(o.sampler), "ddim");
  EXPECT_EQ(o.steps, 50);
  EXPECT_EQ(o.eta, 0.0);
  EXPECT_TRUE(o.clip_x0);
  c.set("sample.sampler=ddpm");
  c.set("sample.clip_x0=false");
  o = resolve_options(c).sample;
  EXPECT_EQ(mode_name(o.sampler), "ddpm");
  EXPECT_FALSE(o.clip_x0);
  c.set("sample.sampler=ddim");
  c.set("diffusion.T=20");
  try {
    resolve_options(c).sample;
    FAIL() << "50 DDIM steps with T = 20 must be rejected";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "sample.steps");
  }
}
