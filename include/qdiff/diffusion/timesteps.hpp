// Distributions from which training draws the timestep t of each sample (diffusion.timesteps).
//
// Every sampler fills t[B] (indices 0..T-1, see schedule.hpp) and a per-sample loss weight[B].
// The trainer multiplies each sample's loss by its weight. update() feeds back the per-sample
// (unweighted) losses; only the importance sampler uses them. state()/load_state() serialise
// everything the sampler remembers, so a resumed run continues exactly (the Rng is the caller's).
//
//   uniform     t ~ U{0..T-1}, weight 1.
//   curriculum  p_step(t) = floor / T + (1 - floor) * g(t) / sum_s g(s),
//               g(t) = exp(-0.5 * ((t - c)/w)^2),  w = curriculum_width * T,
//               c = (start + (end - start) * progress) * (T - 1),  progress = step / (total_steps - 1)
//               clamped to [0, 1]. The emphasis moves from curriculum_start to curriculum_end (the
//               default 0.7 -> 0.3 learns coarse, noisy levels first and fine detail later); the
//               uniform floor (default 10 % of the mass) keeps every t reachable so no noise level
//               is forgotten. Weight 1: the curriculum deliberately re-weights the objective.
//   importance  loss-aware sampling of improved DDPM (Nichol & Dhariwal 2021, sec. 3.3):
//               keeps the last K = importance_history losses of every t; until every t has K of
//               them t is uniform (weight 1); afterwards
//               p(t) = (1 - u) * sqrt(E[L_t^2]) / sum_s sqrt(E[L_s^2]) + u / T,  u = 0.001,
//               weight = 1 / (T p(t)), so E_p[weight * L_t] = (1/T) sum_t L_t: the estimate of the
//               uniform-t loss stays unbiased while its variance drops.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qdiff/core/options.hpp"
#include "qdiff/core/rng.hpp"

namespace qdiff::diffusion {

class TimestepSampler {
 public:
  explicit TimestepSampler(int T);
  virtual ~TimestepSampler() = default;

  int T() const { return T_; }
  virtual std::string name() const = 0;

  // Draws B timesteps for optimizer step `step` of `total_steps`.
  // t: [B] out, in [0, T); weight: [B] out (may be nullptr when the caller ignores weights).
  void sample(Rng& rng, int64_t step, int64_t total_steps, int B, int* t, float* weight) const;
  // The distribution sample() uses at this step (T entries, sums to 1).
  virtual std::vector<double> probabilities(int64_t step, int64_t total_steps) const = 0;
  // Feeds back the unweighted per-sample losses of the timesteps drawn. t, loss: [B].
  virtual void update(const int* t, const float* loss, int B) {}

  // Everything the sampler remembers, for checkpoints; load_state checks kind and T.
  virtual nlohmann::json state() const;
  virtual void load_state(const nlohmann::json& state);

 protected:
  // True when probabilities() is uniform (lets sample() skip the CDF search).
  virtual bool is_uniform(int64_t step, int64_t total_steps) const { return false; }
  // True when weights are 1 / (T p(t)) (unbiased for the uniform-t loss); false: weight 1.
  virtual bool reweights() const { return false; }
  int T_;
};

class UniformTimesteps final : public TimestepSampler {
 public:
  explicit UniformTimesteps(int T) : TimestepSampler(T) {}
  std::string name() const override { return "uniform"; }
  std::vector<double> probabilities(int64_t step, int64_t total_steps) const override;

 protected:
  bool is_uniform(int64_t, int64_t) const override { return true; }
};

class CurriculumTimesteps final : public TimestepSampler {
 public:
  // start, end, width: fractions of T; floor: uniform share of the probability mass, in (0, 1].
  CurriculumTimesteps(int T, double start, double end, double width, double floor = 0.1);
  std::string name() const override { return "curriculum"; }
  std::vector<double> probabilities(int64_t step, int64_t total_steps) const override;
  // Centre of emphasis (as a timestep index, may be fractional) at this step.
  double centre(int64_t step, int64_t total_steps) const;

 private:
  double start_, end_, width_, floor_;
};

class ImportanceTimesteps final : public TimestepSampler {
 public:
  ImportanceTimesteps(int T, int history, double uniform_mix = 0.001);
  std::string name() const override { return "importance"; }
  std::vector<double> probabilities(int64_t step, int64_t total_steps) const override;
  void update(const int* t, const float* loss, int B) override;
  // True once every timestep has a full history (importance sampling is active).
  bool warmed_up() const;

  nlohmann::json state() const override;
  void load_state(const nlohmann::json& state) override;

 protected:
  bool is_uniform(int64_t, int64_t) const override { return !warmed_up(); }
  bool reweights() const override { return true; }

 private:
  int K_;
  double uniform_mix_;
  std::vector<double> history_;  // [T, K] ring buffers of losses
  std::vector<int> count_;       // [T] losses stored (<= K)
  std::vector<int> next_;        // [T] ring position of the next write
  int64_t full_ = 0;             // timesteps whose history is full
};

// From the options' T, timesteps, curriculum_start, curriculum_end, curriculum_width,
// importance_history.
std::unique_ptr<TimestepSampler> make_timestep_sampler(const DiffusionOptions& diffusion);

}  // namespace qdiff::diffusion
