#include "qdiff/diffusion/loss.hpp"

namespace qdiff::diffusion {

double eps_mse(const float* pred, const float* eps, const float* weight, int B, int64_t D,
               float* loss_per_sample, float* dpred) {
  double total = 0.0;
  const double inv_BD = 1.0 / (static_cast<double>(B) * static_cast<double>(D));
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
    total += w * mean_sq;
  }
  return total / B;
}

}  // namespace qdiff::diffusion
