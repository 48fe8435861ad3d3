// The one gradient-check harness of the nn tests (after mlpack's Jacobian test and ggml's
// test-backend-ops grad mode). L = sum(w * y) with a fixed random w; the analytic gradient of L
// (backward with dy = w) is compared with central differences in double, for every input and
// every parameter of the registry, as the relative error ||a - b|| / ||a + b|| per tensor.
// ReLU kinks: a coordinate whose perturbation crosses a kink shows as a large second difference
// |f(+e) - 2 f(0) + f(-e)| relative to |f(+e) - f(-e)|; such coordinates are skipped and counted,
// and the check fails if more than a few are skipped.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::test {

// An input of the op under test: its values (perturbed by the harness) and the buffer into which
// backward writes its analytic gradient.
struct GradInput {
  std::string name;
  std::vector<double>* value;
  std::vector<double>* grad;
};

struct GradCheckOptions {
  double eps = 1e-6;
  double tol = 1e-6;                                           // max relative error per tensor
  size_t max_coords = std::numeric_limits<size_t>::max();      // per tensor; sampled when exceeded
  double kink_ratio = 1e-5;                                    // see header comment
  double max_skipped_fraction = 0.02;
  uint64_t seed = 1234;
};

struct GradCheckReport {
  double worst = 0.0;
  std::string worst_tensor;
  size_t checked = 0, skipped = 0, tensors = 0;
};

inline std::vector<double> random_vector(size_t n, Rng& rng, double scale = 1.0) {
  std::vector<double> v(n);
  for (auto& x : v) x = scale * rng.normal();
  return v;
}

// forward(): runs the op on the current inputs/parameters and returns y (flattened).
// backward(dy): writes each input's gradient into GradInput::grad and ADDS parameter gradients
// into reg (the harness zeroes them first).
inline GradCheckReport gradcheck(const std::string& what, const std::vector<GradInput>& inputs,
                                 nn::ParamRegistryT<double>* reg,
                                 const std::function<std::vector<double>()>& forward,
                                 const std::function<void(const std::vector<double>&)>& backward,
                                 const GradCheckOptions& opt = {}) {
  Rng rng(opt.seed);
  const std::vector<double> y0 = forward();
  const std::vector<double> w = random_vector(y0.size(), rng);
  auto loss = [&]() {
    const auto y = forward();
    double L = 0;
    for (size_t i = 0; i < y.size(); ++i) L += w[i] * y[i];
    return L;
  };
  if (reg) reg->zero_grad();
  for (const auto& in : inputs) in.grad->assign(in.value->size(), 0.0);
  backward(w);
  const double L0 = loss();

  GradCheckReport rep;
  auto check_tensor = [&](const std::string& name, double* values, const double* analytic, size_t n) {
    std::vector<size_t> idx(n);
    for (size_t i = 0; i < n; ++i) idx[i] = i;
    if (n > opt.max_coords) {
      for (size_t i = 0; i < opt.max_coords; ++i) std::swap(idx[i], idx[i + rng.below(n - i)]);
      idx.resize(opt.max_coords);
    }
    double num2 = 0, sum2 = 0;
    size_t skipped = 0;
    std::string first_bad;
    for (size_t i : idx) {
      const double orig = values[i];
      values[i] = orig + opt.eps;
      const double fp = loss();
      values[i] = orig - opt.eps;
      const double fm = loss();
      values[i] = orig;
      const double d1 = fp - fm, d2 = fp - 2 * L0 + fm;
      if (std::abs(d2) > opt.kink_ratio * std::abs(d1) + 1e-11) {
        ++skipped;
        continue;
      }
      const double numeric = d1 / (2 * opt.eps);
      num2 += (numeric - analytic[i]) * (numeric - analytic[i]);
      sum2 += (numeric + analytic[i]) * (numeric + analytic[i]);
      if (first_bad.empty() && std::abs(numeric - analytic[i]) > 1e-4 * (std::abs(numeric) + 1e-3))
        first_bad = "[" + std::to_string(i) + "] numeric " + std::to_string(numeric) + " analytic " +
                    std::to_string(analytic[i]);
    }
    const double rel = sum2 > 0 ? std::sqrt(num2 / sum2) : std::sqrt(num2);
    EXPECT_LE(rel, opt.tol) << what << ": gradient of " << name << " relative error " << rel
                            << " (first differing: " << first_bad << ")";
    EXPECT_LE(static_cast<double>(skipped), std::max(2.0, opt.max_skipped_fraction * idx.size()))
        << what << ": " << name << " skipped " << skipped << " of " << idx.size() << " coordinates at kinks";
    rep.checked += idx.size() - skipped;
    rep.skipped += skipped;
    ++rep.tensors;
    if (rel > rep.worst) {
      rep.worst = rel;
      rep.worst_tensor = name;
    }
  };

  for (const auto& in : inputs) check_tensor("input " + in.name, in.value->data(), in.grad->data(), in.value->size());
  if (reg) {
    const std::vector<double> g(reg->grads().begin(), reg->grads().end());
    for (const auto& p : reg->infos()) check_tensor(p.name, reg->params().data() + p.offset, g.data() + p.offset, p.size);
  }
  EXPECT_GT(rep.checked, 0u) << what;
  return rep;
}

}  // namespace qdiff::test
