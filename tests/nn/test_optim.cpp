// Adam/AdamW against closed-form values, gradient clipping, EMA with warm-up.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/nn/optim.hpp"

using namespace qdiff::nn;

namespace {
// Closed form of torch.optim.Adam/AdamW for a scalar over a sequence of gradients, in double.
double adam_reference(double p, const std::vector<double>& gs, AdamOptions o) {
  double m = 0, v = 0;
  for (size_t t = 1; t <= gs.size(); ++t) {
    double g = gs[t - 1];
    if (o.weight_decay != 0) {
      if (o.decoupled)
        p *= 1 - o.lr * o.weight_decay;
      else
        g += o.weight_decay * p;
    }
    m = o.beta1 * m + (1 - o.beta1) * g;
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const double mhat = m / (1 - std::pow(o.beta1, t)), vhat = v / (1 - std::pow(o.beta2, t));
    p -= o.lr * mhat / (std::sqrt(vhat) + o.eps);
  }
  return p;
}
}  // namespace

TEST(Optim, AdamFirstStepIsSignTimesLr) {
  // After one step, mhat = g and vhat = g^2: p1 = p0 - lr * g / (|g| + eps).
  Adam adam(3, {.lr = 0.01});
  std::vector<float> p = {1.0f, -2.0f, 0.5f}, g = {0.3f, -4.0f, 1e-3f};
  adam.step(p, g);
  EXPECT_NEAR(p[0], 1.0 - 0.01 * 0.3 / (0.3 + 1e-8), 1e-7);
  EXPECT_NEAR(p[1], -2.0 + 0.01, 2e-7);
  EXPECT_NEAR(p[2], 0.5 - 0.01 * 1e-3 / (1e-3 + 1e-8), 1e-7);
  EXPECT_EQ(adam.steps(), 1);
}

TEST(Optim, AdamAndAdamWMatchClosedForm) {
  const std::vector<double> gs = {0.5, -0.2, 0.9, 0.1, -1.3, 0.05, 0.7};
  for (AdamOptions o : {AdamOptions{.lr = 3e-4}, AdamOptions{.lr = 0.05, .beta1 = 0.8, .beta2 = 0.99},
                        AdamOptions{.lr = 0.01, .weight_decay = 0.1, .decoupled = false},
                        AdamOptions{.lr = 0.01, .weight_decay = 0.1, .decoupled = true}}) {
    Adam adam(1, o);
    std::vector<float> p = {0.8f};
    for (double g : gs) {
      std::vector<float> gv = {static_cast<float>(g)};
      adam.step(p, gv);
    }
    EXPECT_NEAR(p[0], adam_reference(0.8, gs, o), 2e-6) << "lr " << o.lr << " wd " << o.weight_decay
                                                        << " decoupled " << o.decoupled;
    EXPECT_NE(p[0], 0.8f);
  }
  // AdamW and Adam with weight decay differ
  Adam a(1, {.lr = 0.01, .weight_decay = 0.5}), w(1, {.lr = 0.01, .weight_decay = 0.5, .decoupled = true});
  std::vector<float> pa = {2.0f}, pw = {2.0f}, g = {0.1f};
  for (int i = 0; i < 3; ++i) {
    a.step(pa, g);
    w.step(pw, g);
  }
  EXPECT_GT(std::abs(pa[0] - pw[0]), 1e-4);
}

TEST(Optim, ClipGradNorm) {
  std::vector<float> g = {3.0f, 4.0f};
  EXPECT_DOUBLE_EQ(clip_grad_norm(g, 10.0), 5.0);
  EXPECT_EQ(g[0], 3.0f);  // under the limit: unchanged
  EXPECT_DOUBLE_EQ(clip_grad_norm(g, 1.0), 5.0);
  EXPECT_NEAR(g[0], 0.6, 1e-6);
  EXPECT_NEAR(g[1], 0.8, 1e-6);
  std::vector<float> h = {3.0f, 4.0f};
  clip_grad_norm(h, 0.0);  // disabled
  EXPECT_EQ(h[1], 4.0f);
}

TEST(Optim, EmaWarmupAndFixedDecay) {
  std::vector<float> p = {0.0f};
  Ema ema(p, 0.999, true);
  EXPECT_DOUBLE_EQ(ema.decay_at(0), 0.1);
  EXPECT_DOUBLE_EQ(ema.decay_at(10), 11.0 / 20.0);
  EXPECT_DOUBLE_EQ(ema.decay_at(1000000), 0.999);
  p[0] = 1.0f;
  ema.update(p);  // d = 0.1: shadow = 0.1*0 + 0.9*1
  EXPECT_NEAR(ema.shadow()[0], 0.9, 1e-7);
  ema.update(p);  // d = 2/11
  EXPECT_NEAR(ema.shadow()[0], 0.9 * 2.0 / 11.0 + 9.0 / 11.0, 1e-6);
  EXPECT_EQ(ema.updates(), 2);

  std::vector<float> q = {0.0f};
  Ema fixed(q, 0.999, false);
  q[0] = 1.0f;
  fixed.update(q);
  EXPECT_NEAR(fixed.shadow()[0], 0.001, 1e-7);
  EXPECT_THROW(Ema(q, 1.5), qdiff::InvalidArgument);
}

TEST(Optim, ScopedEmaWeightsSwapInAndRestoreEvenOnException) {
  std::vector<float> params = {1.0f, 2.0f, 3.0f};
  Ema ema(params, 0.5, false);
  const std::vector<float> moved = {3.0f, 0.0f, -1.0f};
  ema.update(moved);  // shadow = (2, 1, 1)
  params = moved;
  const std::vector<float> raw = params, shadow(ema.shadow().begin(), ema.shadow().end());
  {
    const ScopedEmaWeights swap(params, ema);
    EXPECT_EQ(params, shadow) << "inside the scope the model holds the EMA weights";
    params[0] = 42.0f;  // what sampling might scribble
  }
  EXPECT_EQ(params, raw) << "the raw weights are back";
  EXPECT_EQ(std::vector<float>(ema.shadow().begin(), ema.shadow().end()), shadow) << "the EMA is untouched";
  try {
    const ScopedEmaWeights swap(params, ema);
    throw std::runtime_error("sampling failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(params, raw) << "restored when the scope is left by an exception";
  std::vector<float> other(2);
  EXPECT_THROW(ScopedEmaWeights(other, ema), qdiff::InvalidArgument);
}
