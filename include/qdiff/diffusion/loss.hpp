// The eps-prediction objective: L = (1/B) sum_b w_b * mean_d (pred[b,d] - eps[b,d])^2, for a whole
// batch or for the shard of it that one data-parallel process holds.
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

// The same for rows [0, B) that are a shard of a batch of `batch` rows (B == batch: the whole
// batch): dpred = 2 w_b (pred - eps) / (batch D), exactly the values a process holding the whole
// batch writes for these rows; returns the UNNORMALISED sum_b w_b mean_d (pred - eps)^2, summed
// over b in a pairwise tree (core/reduce.hpp). Shard sums that are nodes of the whole batch's tree
// (tree_has_shards with leaves of one sample) add up, pairwise, to the whole batch's sum exactly;
// L is that sum / batch.
double eps_mse_sum(const float* pred, const float* eps, const float* weight, int B, int batch, int64_t D,
                   float* loss_per_sample, float* dpred);

}  // namespace qdiff::diffusion
