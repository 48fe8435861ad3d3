// Optimizers over the flat parameter buffer: Adam / AdamW (bias-corrected, as PyTorch),
// global gradient-norm clipping, an EMA of the weights with optional warm-up, and a scoped swap
// of the EMA weights into the model (for sampling during training).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace qdiff::nn {

struct AdamOptions {
  double lr = 3e-4;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled = false;  // false: Adam (L2 added to the gradient); true: AdamW (p *= 1 - lr*wd)
};

// torch.optim.Adam / AdamW (amsgrad = false). With t = step after increment:
//   g = grad (+ wd*p for Adam);  p *= 1 - lr*wd (AdamW)
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
class Adam {
 public:
  Adam(size_t n, AdamOptions opt);
  void step(std::span<float> params, std::span<const float> grads);
  const AdamOptions& options() const { return opt_; }
  void set_lr(double lr) { opt_.lr = lr; }
  int64_t steps() const { return t_; }
  // State for checkpoints (exact resume): m, v and the step counter.
  std::span<float> m() { return m_; }
  std::span<float> v() { return v_; }
  std::span<const float> m() const { return m_; }
  std::span<const float> v() const { return v_; }
  void set_steps(int64_t t) { t_ = t; }

 private:
  AdamOptions opt_;
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

// Global L2 norm of the gradient (accumulated in double, in an order fixed by the gradient's
// size, whatever the thread count). When it exceeds max_norm, scales the
// gradient by max_norm / (norm + 1e-6) (torch.nn.utils.clip_grad_norm_). Returns the norm before
// clipping. max_norm <= 0 disables clipping.
double clip_grad_norm(std::span<float> grads, double max_norm);

// Exponential moving average of the weights: shadow = d*shadow + (1-d)*params, with
// d = min(decay, (1+step)/(10+step)) when warm-up is on (diffusers' EMA), else d = decay.
// `step` counts updates done before this one (0 for the first).
class Ema {
 public:
  Ema(std::span<const float> params, double decay = 0.999, bool warmup = true);
  void update(std::span<const float> params);
  double decay_at(int64_t step) const;
  std::span<float> shadow() { return shadow_; }
  std::span<const float> shadow() const { return shadow_; }
  int64_t updates() const { return step_; }
  void set_updates(int64_t s) { step_ = s; }
  double decay() const { return decay_; }
  bool warmup() const { return warmup_; }

 private:
  std::vector<float> shadow_;
  double decay_;
  bool warmup_;
  int64_t step_ = 0;
};

// While alive, the model's parameters hold the EMA weights; the destructor puts the raw weights
// back, also when sampling throws.
class ScopedEmaWeights {
 public:
  ScopedEmaWeights(std::span<float> params, const Ema& ema);
  ~ScopedEmaWeights();
  ScopedEmaWeights(const ScopedEmaWeights&) = delete;
  ScopedEmaWeights& operator=(const ScopedEmaWeights&) = delete;

 private:
  std::span<float> params_;
  std::vector<float> raw_;
};

}  // namespace qdiff::nn
