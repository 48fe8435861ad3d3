// Reverse-process samplers as free functions. The network enters only as a callback that
// predicts eps; all randomness comes from a NoiseSource, so the same source seed gives the same
// images. Buffers are [B, D] floats; schedule indices as in schedule.hpp.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "qdiff/core/options.hpp"
#include "qdiff/diffusion/noise.hpp"
#include "qdiff/diffusion/schedule.hpp"

namespace qdiff::diffusion {

// eps_out[b] = model's eps prediction for x[b] at timestep t[b].  x, eps_out: [B, D]; t: [B].
using EpsModel = std::function<void(const float* x, const int* t, int B, float* eps_out)>;
// Called after each reverse step: step in 1..n.
using SampleProgress = std::function<void(int step, int n)>;

// The samplers take the sample options (core/options.hpp): sampler, steps, eta, clip_x0.
using qdiff::SampleOptions;

// DDPM ancestral sampling (Ho et al. 2020, with the x0 clipping of their code), t = T-1 .. 0:
//   eps = model(x, t);  x0 = clip(sqrt(1/ab_t) x - sqrt(1/ab_t - 1) eps);
//   x  = coef1_t x0 + coef2_t x + sqrt(beta_tilde_t) z   (no z at t = 0).
// One noise fill of B*D values per step with t > 0.
// x: [B, D] in: x_T, out: the sample.
void ddpm_loop(const Schedule& s, const EpsModel& model, NoiseSource& noise, int B, int64_t D,
               bool clip_x0, float* x, const SampleProgress& progress = {});

// DDIM timesteps: S indices evenly spaced over [0, T-1], both ends included, increasing
// (round(i (T-1)/(S-1)), i = 0..S-1; S = 1 gives {T-1}). Requires 1 <= S <= T.
std::vector<int> ddim_timesteps(int T, int S);

// DDIM (Song et al. 2021) over ddim_timesteps(T, S), from the last to the first, then to x0:
//   eps = model(x, t);  x0 = (x - sqrt(1 - ab) eps) / sqrt(ab), clipped if clip_x0 (and eps is then
//   recomputed from the clipped x0 so the step stays consistent);
//   sigma = eta sqrt((1 - ab') / (1 - ab)) sqrt(1 - ab / ab');
//   x' = sqrt(ab') x0 + sqrt(1 - ab' - sigma^2) eps + sigma z,   ab' = alpha_bar of the next
//   (smaller) timestep, 1 after the last one (so the result is the final x0 prediction).
// Draws noise only when sigma > 0: with eta = 0 the result depends on x_T alone.
// x: [B, D] in: x_T, out: the sample.
void ddim_loop(const Schedule& s, const EpsModel& model, NoiseSource& noise, int B, int64_t D,
               int steps, double eta, bool clip_x0, float* x, const SampleProgress& progress = {});

// Draws x_T ~ N(0, I) from `noise` (one fill of B*D values) and runs the sampler `opt` names.
// x: [B, D] out.
void sample(const Schedule& s, const EpsModel& model, NoiseSource& noise, int B, int64_t D,
            const SampleOptions& opt, float* x, const SampleProgress& progress = {});

}  // namespace qdiff::diffusion
