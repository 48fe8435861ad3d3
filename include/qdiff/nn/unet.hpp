// The U-Net of qdiff: "paper" (the source paper's reference U-Net, exactly) and "large"
// (GroupNorm + SiLU, configurable widths), sharing one structure. With channels c_0..c_{L-1} at resolutions
// S, S/2, ..., S/2^(L-1):
//   temb = sinusoidal(t, 128)
//   h = init(x)                       conv3x3 C -> c_0                       "init"
//   for i: e_i = enc.i(h, temb)       ResBlock(c_i, c_i)                      "enc.i"
//          h = down.i(e_i)            conv3x3 s2 p1 c_i -> c_{i+1} (i < L-1)  "down.i"
//   m = mid(e_{L-1}, temb)            ResBlock(c_{L-1}, c_{L-1})              "mid"
//   m = m * branch(mean_hw(m))        bottleneck plug (none: unchanged)       "bottleneck.*"
//   for i = L-2..0: u = up.i(h)       ConvTranspose2d k2 s2 c_{i+1} -> c_i    "up.i"
//          h = dec.i(cat(u, e_i))     ResBlock(2 c_i, c_i)                    "dec.i"
//   eps = out(h)                      paper: conv1x1 c_0 -> C; large: GroupNorm, SiLU, conv3x3   "out"
// paper = channels {32,64,128}, 28x28, Paper ResBlocks (ReLU, no norm).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "qdiff/core/options.hpp"
#include "qdiff/nn/bottleneck.hpp"
#include "qdiff/nn/layers.hpp"
#include "qdiff/nn/params.hpp"
#include "qdiff/nn/precision.hpp"

namespace qdiff::nn {

struct UNetSpec {
  Arch arch = Arch::Paper;
  int in_channels = 1;                     // C (1 or 3)
  int image_size = 28;                     // S; divisible by 2^(L-1)
  std::vector<int> channels{32, 64, 128};  // c_i per resolution
  int groups = 8;                          // large: GroupNorm groups
  int temb_dim = 128;

  // The width of the bottleneck (what the branch scales): the last of `channels`.
  int bottleneck_channels() const { return channels.back(); }
};

// The paper's reference U-Net for C input channels.
UNetSpec paper_spec(int in_channels);
// From the model options' arch, base_channels, channel_mult, groups.
UNetSpec spec_from_options(const ModelOptions& model, int in_channels, int image_size = 28);

template <class T>
class UNetT {
 public:
  // branch == nullptr or kind() == "none": no bottleneck branch. Parameters are initialized from
  // Rng(seed) in declaration order (PyTorch's default uniform bounds).
  UNetT(UNetSpec spec, std::unique_ptr<BottleneckBranchT<T>> branch, uint64_t seed);
  UNetT(const UNetT&) = delete;
  UNetT& operator=(const UNetT&) = delete;

  // x: [B,C,S,S], t: [B] timesteps -> eps: [B,C,S,S]. Caches activations for backward.
  // training = false tells the branch no backward follows (sampling / evaluation).
  void forward(const T* x, const int* t, int B, T* eps, bool training = true);
  // deps: [B,C,S,S] for the B of the last forward, which must have had training = true
  // (InvalidArgument otherwise). ADDS into grads(); dx (optional) written.
  void backward(const T* deps, T* dx = nullptr);
  void zero_grad() { reg_->zero_grad(); }
  // The arithmetic of the convolutions and linears (precision.hpp; float32 by default). The
  // bottleneck branch keeps its own. BF16 needs T = float and an AVX512_BF16 CPU (InvalidArgument).
  void set_precision(Precision p);
  Precision precision() const { return precision_; }

  std::span<T> params() { return reg_->params(); }
  std::span<T> grads() { return reg_->grads(); }
  ParamRegistryT<T>& registry() { return *reg_; }
  const ParamRegistryT<T>& registry() const { return *reg_; }
  size_t num_params() const { return reg_->size(); }
  const UNetSpec& spec() const { return spec_; }
  std::string bottleneck_kind() const { return branch_ ? branch_->kind() : "none"; }
  BottleneckBranchT<T>* branch() { return branch_.get(); }

  // Parameter count per block ("init", "enc.0", "down.0", ..., "bottleneck", "out"), in order.
  std::vector<std::pair<std::string, size_t>> block_param_counts() const;
  // A printable table of block_param_counts() with the total.
  std::string param_table() const;
  // Multiply-adds of one forward per image (convs, linears; element-wise ops not counted).
  int64_t forward_macs_per_image() const;

 private:
  UNetSpec spec_;
  std::unique_ptr<ParamRegistryT<T>> reg_;
  std::unique_ptr<BottleneckBranchT<T>> branch_;
  int L_ = 0, B_ = 0;
  bool trained_forward_ = false;  // last forward had training = true
  Precision precision_ = Precision::Float32;
  std::vector<int> size_;  // S_i
  Conv2d<T> init_, out_;
  GroupNorm<T> out_norm_;
  std::vector<ResBlock<T>> enc_, dec_;
  std::vector<Conv2d<T>> down_;
  std::vector<ConvTranspose2d<T>> up_;
  ResBlock<T> mid_;
  // activations (see the header comment for names)
  Buf<T> x_, temb_, h0_, m_, pooled_, q_, ms_, go_, so_;
  std::vector<Buf<T>> e_, d_, u_, c_, r_;
  // gradients
  Buf<T> gMs_, gM_, gQ_, gPooled_, gSo_, gH0_;
  std::vector<Buf<T>> gR_, gC_, gU_, gSkip_, gE_, gIn_;
  std::vector<int> t_;
};

using UNet = UNetT<float>;

// Builds the U-Net the model options describe for `in_channels` image channels. `branch` is the
// bottleneck plug (nullptr: "none"; make_bottleneck gives classical/none).
std::unique_ptr<UNet> make_unet(const ModelOptions& model, int in_channels, std::unique_ptr<BottleneckBranch> branch,
                                uint64_t seed, int image_size = 28);

}  // namespace qdiff::nn
