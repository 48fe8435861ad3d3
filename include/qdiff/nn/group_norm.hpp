// Group normalisation (the large U-Net's normalisation). Conventions: see layers.hpp.
#pragma once
#include <string>
#include <vector>

#include "qdiff/nn/params.hpp"

namespace qdiff::nn {

// GroupNorm: x: [N,C,HW] -> y, per (n, group) statistics over (C/G)*HW values, eps 1e-5,
// per-channel affine gamma (init 1), beta (init 0). Caches mean and rstd for backward.
template <class T>
class GroupNorm {
 public:
  GroupNorm() = default;
  GroupNorm(ParamRegistryT<T>& reg, const std::string& name, int groups, int channels);
  void forward(T* y, const T* x, int N, int HW);
  void backward(T* dx, const T* x, const T* dy, int N, int HW);
  int groups = 1, channels = 0;
  double eps = 1e-5;
  ParamRef gamma, beta;

 private:
  ParamRegistryT<T>* reg_ = nullptr;
  Buf<T> mean_, rstd_;          // [N*G]
  std::vector<Buf<T>> dgb_;      // per leaf of the batch's gradient tree: [dgamma | dbeta] partials
};

}  // namespace qdiff::nn
