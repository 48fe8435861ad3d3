// The bottleneck PLUG of the U-Net. With mid: [B,C,h,w] the output of the mid ResBlock:
//     pooled = mean_hw(mid)   [B,C]
//     q      = branch(pooled) [B,C]
//     mid    = mid * q        (channel scale)
// A branch of kind "none" (or a null branch) leaves mid unchanged. Gradients flow through q back
// into pooled and hence into the encoder (no detach).
//
// A branch declares its parameters in the model's registry (so they live in the flat buffer,
// get optimized, EMA-averaged and checkpointed with everything else) under the prefix
// "bottleneck.". The quantum branch (hybrid/) implements BottleneckBranch (float); it may
// convert to double internally.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "qdiff/core/modes.hpp"
#include "qdiff/nn/layers.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::nn {

template <class T>
class BottleneckBranchT {
 public:
  virtual ~BottleneckBranchT() = default;
  // "quantum", "classical", "none".
  virtual std::string kind() const = 0;
  // Declares the parameters (names under `prefix`, e.g. "bottleneck.fc1.weight"), for a branch of
  // width `channels` (the U-Net's bottleneck width: 128 for the paper arch). Called once, before
  // the registry is finalized; keep the registry pointer to reach the parameters later
  // (reg.param(ref), reg.grad(ref)).
  virtual void declare_params(ParamRegistryT<T>& reg, const std::string& prefix, int channels) = 0;
  // pooled: [B,channels] -> q: [B,channels]. When `training`, cache what backward needs.
  virtual void forward(const T* pooled, T* q, int B, bool training) = 0;
  // dq: [B,channels] -> dpooled: [B,channels] (written). ADDS into the branch's parameter grads.
  // Called only after a forward with training = true, with the same B.
  virtual void backward(const T* dq, T* dpooled, int B) = 0;
};
using BottleneckBranch = BottleneckBranchT<float>;

// "none": no parameters; the U-Net skips the channel scale entirely.
template <class T>
class NoBranchT final : public BottleneckBranchT<T> {
 public:
  std::string kind() const override { return "none"; }
  void declare_params(ParamRegistryT<T>&, const std::string&, int channels) override { channels_ = channels; }
  void forward(const T* pooled, T* q, int B, bool) override;    // q = 1 (unused by the U-Net)
  void backward(const T*, T* dpooled, int B) override;          // dpooled = 0
 private:
  int channels_ = 0;
};

// "classical": q = fc2(tanh(fc1(pooled))), fc1: Linear(C,hidden), fc2: Linear(hidden,C).
// tanh mirrors the bounded <Z_i> read-out of the quantum branch. Parameters:
// 2*C*hidden + hidden + C (C = 128: 257*hidden + 128).
template <class T>
class ClassicalBranchT final : public BottleneckBranchT<T> {
 public:
  explicit ClassicalBranchT(int hidden);
  std::string kind() const override { return "classical"; }
  void declare_params(ParamRegistryT<T>& reg, const std::string& prefix, int channels) override;
  void forward(const T* pooled, T* q, int B, bool training) override;
  void backward(const T* dq, T* dpooled, int B) override;
  int hidden() const { return hidden_; }

 private:
  int hidden_, channels_ = 0;
  Linear<T> fc1_, fc2_;
  Buf<T> x_, a_, dA_;  // cached input [B,C], tanh(fc1) [B,hidden], scratch
};

using NoBranch = NoBranchT<float>;
using ClassicalBranch = ClassicalBranchT<float>;

// Parameter count of the classical branch of width `channels` with `hidden` units.
int64_t classical_branch_params(int channels, int hidden);
// The hidden width whose classical parameter count is closest to `target` (at least 1).
int classical_hidden_for_target(int64_t target, int channels);
// Branch for model.bottleneck = classical (`classical_hidden` units) or none. Quantum throws
// InvalidArgument: the quantum branch is built by hybrid/ (which also matches the classical
// width to it, hybrid/model.hpp) and passed to the U-Net directly.
template <class T = float>
std::unique_ptr<BottleneckBranchT<T>> make_bottleneck(BottleneckKind kind, int classical_hidden);

}  // namespace qdiff::nn
