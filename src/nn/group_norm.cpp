// GroupNorm (group_norm.hpp).
#include "qdiff/nn/group_norm.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/core/reduce.hpp"

namespace qdiff::nn {

template <class T>
GroupNorm<T>::GroupNorm(ParamRegistryT<T>& reg, const std::string& name, int groups_, int channels_)
    : groups(groups_), channels(channels_), reg_(&reg) {
  if (groups < 1 || channels % groups)
    throw InvalidArgument("GroupNorm '" + name + "': channels " + std::to_string(channels) +
                          " not divisible by groups " + std::to_string(groups));
  gamma = reg.add(name + ".weight", {channels}, Init::Ones);
  beta = reg.add(name + ".bias", {channels}, Init::Zeros);
}

template <class T>
void GroupNorm<T>::forward(T* y, const T* x, int N, int HW) {
  // x: [N,C,HW]; per (n,g): mean, rstd over cg*HW values
  const int cg = channels / groups;
  const size_t M = static_cast<size_t>(cg) * HW;
  T* mean = mean_.get(static_cast<size_t>(N) * groups);
  T* rstd = rstd_.get(static_cast<size_t>(N) * groups);
  const T* g = reg_->param(gamma);
  const T* bt = reg_->param(beta);
#pragma omp parallel for schedule(static)
  for (int ng = 0; ng < N * groups; ++ng) {
    const T* xg = x + static_cast<size_t>(ng) * M;
    double s = 0, ss = 0;
    for (size_t i = 0; i < M; ++i) s += xg[i];
    const double mu = s / M;
    for (size_t i = 0; i < M; ++i) ss += (xg[i] - mu) * (xg[i] - mu);
    const double r = 1.0 / std::sqrt(ss / M + eps);
    mean[ng] = static_cast<T>(mu);
    rstd[ng] = static_cast<T>(r);
    const int c0 = (ng % groups) * cg;
    T* yg = y + static_cast<size_t>(ng) * M;
    for (int c = 0; c < cg; ++c)
      for (int j = 0; j < HW; ++j) {
        const size_t i = static_cast<size_t>(c) * HW + j;
        yg[i] = (xg[i] - mean[ng]) * rstd[ng] * g[c0 + c] + bt[c0 + c];
      }
  }
}

template <class T>
void GroupNorm<T>::backward(T* dx, const T* x, const T* dy, int N, int HW) {
  // xhat = (x-mu) rstd; dxhat = dy gamma;
  // dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)); dgamma += sum dy xhat; dbeta += sum dy.
  // dgamma, dbeta: per leaf of the batch's gradient tree (images in order), then in the tree.
  const int cg = channels / groups;
  const size_t M = static_cast<size_t>(cg) * HW;
  const T* mean = mean_.data();
  const T* rstd = rstd_.data();
  const T* g = reg_->param(gamma);
  const std::vector<TreeLeaf> leaves = tree_leaves(N, kBatchLeaf);
  if (dgb_.size() < leaves.size()) dgb_.resize(leaves.size());
  std::vector<T*> parts(leaves.size());
  for (size_t l = 0; l < leaves.size(); ++l) parts[l] = dgb_[l].get(2 * static_cast<size_t>(channels));
#pragma omp parallel for schedule(static) if (static_cast<size_t>(N) * channels * HW >= (size_t{1} << 15))
  for (size_t l = 0; l < leaves.size(); ++l) {
    T* dg = parts[l];  // [dgamma | dbeta]
    T* db = dg + channels;
    std::fill(dg, dg + 2 * channels, T(0));
    for (int64_t ng = leaves[l].begin * groups; ng < leaves[l].end * groups; ++ng) {
      const T* xg = x + static_cast<size_t>(ng) * M;
      const T* dyg = dy + static_cast<size_t>(ng) * M;
      const int c0 = (ng % groups) * cg;
      T s1 = 0, s2 = 0;
      for (int c = 0; c < cg; ++c) {
        T dgc = 0, dbc = 0;
        for (int j = 0; j < HW; ++j) {
          const size_t i = static_cast<size_t>(c) * HW + j;
          const T xh = (xg[i] - mean[ng]) * rstd[ng];
          const T dxh = dyg[i] * g[c0 + c];
          s1 += dxh;
          s2 += dxh * xh;
          dgc += dyg[i] * xh;
          dbc += dyg[i];
        }
        dg[c0 + c] += dgc;
        db[c0 + c] += dbc;
      }
      if (!dx) continue;
      s1 /= T(M);
      s2 /= T(M);
      T* dxg = dx + static_cast<size_t>(ng) * M;
      for (int c = 0; c < cg; ++c)
        for (int j = 0; j < HW; ++j) {
          const size_t i = static_cast<size_t>(c) * HW + j;
          const T xh = (xg[i] - mean[ng]) * rstd[ng];
          dxg[i] = rstd[ng] * (dyg[i] * g[c0 + c] - s1 - xh * s2);
        }
    }
  }
  tree_sum_buffers(parts.data(), N, kBatchLeaf, 2 * static_cast<size_t>(channels));
  if (N > 0) {
    T* dgamma = reg_->grad(gamma);
    T* dbeta = reg_->grad(beta);
    for (int c = 0; c < channels; ++c) dgamma[c] += parts[0][c], dbeta[c] += parts[0][channels + c];
  }
}

template class GroupNorm<float>;
template class GroupNorm<double>;

}  // namespace qdiff::nn
