#include "qdiff/diffusion/forward.hpp"

#include <algorithm>
#include <cassert>

namespace qdiff::diffusion {

void q_sample(const Schedule& s, const float* x0, const float* eps, const int* t, int B, int64_t D,
              float* xt) {
  for (int b = 0; b < B; ++b) {
    assert(t[b] >= 0 && t[b] < s.T);
    const double a = s.sqrt_alpha_bar[t[b]], c = s.sqrt_one_minus_alpha_bar[t[b]];
    const int64_t o = static_cast<int64_t>(b) * D;
    for (int64_t d = 0; d < D; ++d) xt[o + d] = static_cast<float>(a * x0[o + d] + c * eps[o + d]);
  }
}

void predict_x0(const Schedule& s, const float* xt, const float* eps, const int* t, int B, int64_t D,
                bool clip, float* x0) {
  for (int b = 0; b < B; ++b) {
    assert(t[b] >= 0 && t[b] < s.T);
    const double r = s.sqrt_recip_alpha_bar[t[b]], rm1 = s.sqrt_recipm1_alpha_bar[t[b]];
    const int64_t o = static_cast<int64_t>(b) * D;
    for (int64_t d = 0; d < D; ++d) {
      double v = r * xt[o + d] - rm1 * eps[o + d];
      if (clip) v = std::clamp(v, -1.0, 1.0);
      x0[o + d] = static_cast<float>(v);
    }
  }
}

void posterior_mean(const Schedule& s, const float* x0, const float* xt, const int* t, int B,
                    int64_t D, float* mean) {
  for (int b = 0; b < B; ++b) {
    assert(t[b] >= 0 && t[b] < s.T);
    const double c1 = s.posterior_mean_coef1[t[b]], c2 = s.posterior_mean_coef2[t[b]];
    const int64_t o = static_cast<int64_t>(b) * D;
    for (int64_t d = 0; d < D; ++d) mean[o + d] = static_cast<float>(c1 * x0[o + d] + c2 * xt[o + d]);
  }
}

}  // namespace qdiff::diffusion
