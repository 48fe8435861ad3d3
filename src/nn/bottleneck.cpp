#include "qdiff/nn/bottleneck.hpp"

#include <algorithm>
#include <cmath>

#include "qdiff/core/error.hpp"

namespace qdiff::nn {

template <class T>
void NoBranchT<T>::forward(const T*, T* q, int B, bool) {
  std::fill(q, q + static_cast<size_t>(B) * channels_, T(1));
}
template <class T>
void NoBranchT<T>::backward(const T*, T* dpooled, int B) {
  std::fill(dpooled, dpooled + static_cast<size_t>(B) * channels_, T(0));
}

template <class T>
ClassicalBranchT<T>::ClassicalBranchT(int hidden) : hidden_(hidden) {
  if (hidden < 1) throw InvalidArgument("classical bottleneck: hidden width must be >= 1");
}

template <class T>
void ClassicalBranchT<T>::declare_params(ParamRegistryT<T>& reg, const std::string& prefix, int channels) {
  channels_ = channels;
  fc1_ = Linear<T>(reg, prefix + "fc1", channels, hidden_);
  fc2_ = Linear<T>(reg, prefix + "fc2", hidden_, channels);
}

template <class T>
void ClassicalBranchT<T>::forward(const T* pooled, T* q, int B, bool training) {
  // pooled: [B,C] -> a = tanh(fc1 pooled): [B,hidden] -> q = fc2 a: [B,C]
  T* a = a_.get(static_cast<size_t>(B) * hidden_);
  fc1_.forward(a, pooled, B);
  tanh_forward(a, a, static_cast<size_t>(B) * hidden_);
  fc2_.forward(q, a, B);
  if (training) std::copy(pooled, pooled + static_cast<size_t>(B) * channels_, x_.get(static_cast<size_t>(B) * channels_));
}

template <class T>
void ClassicalBranchT<T>::backward(const T* dq, T* dpooled, int B) {
  T* dA = dA_.get(static_cast<size_t>(B) * hidden_);
  fc2_.backward(dA, a_.data(), dq, B);
  tanh_backward(dA, a_.data(), dA, static_cast<size_t>(B) * hidden_);
  fc1_.backward(dpooled, x_.data(), dA, B);
}

int64_t classical_branch_params(int channels, int hidden) {
  return 2LL * channels * hidden + hidden + channels;
}

int classical_hidden_for_target(int64_t target, int channels) {
  int best = 1;
  for (int h = 1; h <= 65536; ++h) {
    if (std::llabs(classical_branch_params(channels, h) - target) <
        std::llabs(classical_branch_params(channels, best) - target))
      best = h;
    if (classical_branch_params(channels, h) > target) break;
  }
  return best;
}

template <class T>
std::unique_ptr<BottleneckBranchT<T>> make_bottleneck(BottleneckKind kind, int classical_hidden) {
  switch (kind) {
    case BottleneckKind::None: return std::make_unique<NoBranchT<T>>();
    case BottleneckKind::Classical: return std::make_unique<ClassicalBranchT<T>>(classical_hidden);
    case BottleneckKind::Quantum: break;
  }
  throw InvalidArgument("make_bottleneck: the " + mode_name(kind) +
                        " branch is not built by nn/ (construct it in the hybrid area and pass it to the U-Net)");
}

template class NoBranchT<float>;
template class NoBranchT<double>;
template class ClassicalBranchT<float>;
template class ClassicalBranchT<double>;
template std::unique_ptr<BottleneckBranchT<float>> make_bottleneck<float>(BottleneckKind, int);
template std::unique_ptr<BottleneckBranchT<double>> make_bottleneck<double>(BottleneckKind, int);

}  // namespace qdiff::nn
