// The eps-prediction objective: L = (1/B) sum_b w_b * mean_d (pred[b,d] - eps[b,d])^2.
#pragma once
#include <cstdint>

namespace qdiff::diffusion {

// pred, eps: [B, D]; weight: [B] or nullptr (all 1).
// loss_per_sample: [B] out or nullptr, the UNWEIGHTED mean_d (pred - eps)^2 of each sample (what
//   the importance timestep sampler is fed).
// dpred: [B, D] out or nullptr, dL/dpred = 2 w_b (pred - eps) / (B D); written, not accumulated.
// Returns L (accumulated in double).
double eps_mse(const float* pred, const float* eps, const float* weight, int B, int64_t D,
               float* loss_per_sample, float* dpred);

}  // namespace qdiff::diffusion
