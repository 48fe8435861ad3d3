#include "qdiff/nn/optim.hpp"

#include <algorithm>
#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/core/reduce.hpp"

namespace qdiff::nn {

Adam::Adam(size_t n, AdamOptions opt) : opt_(opt), m_(n, 0.0f), v_(n, 0.0f) {
  if (opt.lr < 0 || opt.beta1 < 0 || opt.beta1 >= 1 || opt.beta2 < 0 || opt.beta2 >= 1 || opt.eps <= 0)
    throw InvalidArgument("Adam: invalid hyper-parameters");
}

void Adam::step(std::span<float> params, std::span<const float> grads) {
  if (params.size() != m_.size() || grads.size() != m_.size())
    throw InvalidArgument("Adam::step: buffer sizes differ from the optimizer's");
  ++t_;
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(t_));
  const float b1 = static_cast<float>(opt_.beta1), b2 = static_cast<float>(opt_.beta2);
  const float step_size = static_cast<float>(opt_.lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float eps = static_cast<float>(opt_.eps);
  const float wd = static_cast<float>(opt_.weight_decay);
  const float decay_mul = static_cast<float>(1.0 - opt_.lr * opt_.weight_decay);
  const bool decoupled = opt_.decoupled;
  float* p = params.data();
  const float* g = grads.data();
  float* m = m_.data();
  float* v = v_.data();
  const int64_t n = static_cast<int64_t>(m_.size());
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i];
    if (wd != 0.0f) {
      if (decoupled)
        p[i] *= decay_mul;
      else
        gi += wd * p[i];
    }
    m[i] = b1 * m[i] + (1.0f - b1) * gi;
    v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    const float denom = std::sqrt(v[i]) / bc2_sqrt + eps;
    p[i] -= step_size * m[i] / denom;
  }
}

double clip_grad_norm(std::span<float> grads, double max_norm) {
  // Sum of squares in double: per chunk of kChunk values in order, the chunks in a pairwise tree
  // (core/reduce.hpp), so the norm does not depend on the thread count.
  constexpr int64_t kChunk = 4096;
  const int64_t n = static_cast<int64_t>(grads.size()), chunks = (n + kChunk - 1) / kChunk;
  const float* g = grads.data();
  std::vector<double> part(static_cast<size_t>(chunks));
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    double s = 0;
    for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) s += static_cast<double>(g[i]) * g[i];
    part[c] = s;
  }
  const double norm = std::sqrt(tree_sum(part.data(), chunks));
  if (max_norm > 0 && norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    for (auto& x : grads) x *= scale;
  }
  return norm;
}

Ema::Ema(std::span<const float> params, double decay, bool warmup)
    : shadow_(params.begin(), params.end()), decay_(decay), warmup_(warmup) {
  if (decay < 0 || decay > 1) throw InvalidArgument("EMA decay must be in [0, 1]");
}

double Ema::decay_at(int64_t step) const {
  if (!warmup_) return decay_;
  return std::min(decay_, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

void Ema::update(std::span<const float> params) {
  if (params.size() != shadow_.size()) throw InvalidArgument("Ema::update: parameter count changed");
  const float d = static_cast<float>(decay_at(step_));
  const float one_minus = 1.0f - d;
  float* s = shadow_.data();
  const float* p = params.data();
  const int64_t n = static_cast<int64_t>(shadow_.size());
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) s[i] -= one_minus * (s[i] - p[i]);
  ++step_;
}

ScopedEmaWeights::ScopedEmaWeights(std::span<float> params, const Ema& ema)
    : params_(params), raw_(params.begin(), params.end()) {
  if (ema.shadow().size() != params.size()) throw InvalidArgument("ScopedEmaWeights: parameter count differs from the EMA's");
  std::copy(ema.shadow().begin(), ema.shadow().end(), params_.begin());
}

ScopedEmaWeights::~ScopedEmaWeights() { std::copy(raw_.begin(), raw_.end(), params_.begin()); }

}  // namespace qdiff::nn
