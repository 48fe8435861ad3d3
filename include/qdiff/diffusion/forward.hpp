// The forward (noising) process q(x_t | x_0) and the closed-form relations the samplers use.
// All image buffers are row-major [B, D] floats (D = C*H*W); t[b] is a schedule index 0..T-1.
#pragma once
#include <cstdint>

#include "qdiff/diffusion/schedule.hpp"

namespace qdiff::diffusion {

// x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps.   x0, eps, xt: [B, D]; t: [B]. xt may alias eps.
void q_sample(const Schedule& s, const float* x0, const float* eps, const int* t, int B, int64_t D,
              float* xt);

// x0_hat = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t), optionally clipped to [-1, 1].
// xt, eps, x0: [B, D]; t: [B].
void predict_x0(const Schedule& s, const float* xt, const float* eps, const int* t, int B, int64_t D,
                bool clip, float* x0);

// Mean of q(x_{t-1} | x_t, x0) = coef1_t x0 + coef2_t x_t.   x0, xt, mean: [B, D]; t: [B].
void posterior_mean(const Schedule& s, const float* x0, const float* xt, const int* t, int B,
                    int64_t D, float* mean);

}  // namespace qdiff::diffusion
