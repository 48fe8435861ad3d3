#include "qdiff/diffusion/loss.hpp"

#include <vector>

#include "qdiff/core/reduce.hpp"

namespace qdiff::diffusion {

double eps_mse_sum(const float* pred, const float* eps, const float* weight, int B, int batch, int64_t D,
                   float* loss_per_sample, float* dpred) {
  std::vector<double> weighted(static_cast<size_t>(B));  // w_b mean_d (pred - eps)^2
  const double inv_BD = 1.0 / (static_cast<double>(batch) * static_cast<double>(D));
  for (int b = 0; b < B; ++b) {
    const int64_t o = static_cast<int64_t>(b) * D;
    const double w = weight ? weight[b] : 1.0;
    double sq = 0.0;
    for (int64_t d = 0; d < D; ++d) {
      const double e = static_cast<double>(pred[o + d]) - eps[o + d];
      sq += e * e;
      if (dpred) dpred[o + d] = static_cast<float>(2.0 * w * e * inv_BD);
    }
    const double mean_sq = sq / static_cast<double>(D);
    if (loss_per_sample) loss_per_sample[b] = static_cast<float>(mean_sq);
    weighted[b] = w * mean_sq;
  }
  return tree_sum(weighted.data(), B);
}

double eps_mse(const float* pred, const float* eps, const float* weight, int B, int64_t D,
               float* loss_per_sample, float* dpred) {
  return eps_mse_sum(pred, eps, weight, B, B, D, loss_per_sample, dpred) / B;
}

}  // namespace qdiff::diffusion
