// Builds the diffusion model the options describe: the U-Net (nn/) with its bottleneck branch,
// quantum (hybrid/quantum_branch), classical MLP or none (nn/bottleneck); restores one from a
// checkpoint; and matches the classical branch's width to the quantum branch's parameter count.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "qdiff/core/options.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "qdiff/nn/unet.hpp"

namespace qdiff::hybrid {

// in_channels: 1 (grayscale) or 3 (colour); seed initializes every parameter. A classical
// branch is matched at the U-Net's bottleneck width (the last of its channels).
std::unique_ptr<nn::UNet> build_model(const ModelOptions& model, const QuantumOptions& quantum, int in_channels,
                                      uint64_t seed, int image_size = 28);

// The classical branch's hidden width at bottleneck width `channels`: model.classical_hidden, or
// (0) the width whose parameter count is closest to quantum_branch_params(quantum, channels).
int classical_hidden(const ModelOptions& model, const QuantumOptions& quantum, int channels);

// The model options a checkpoint was trained with: `model`, except that a classical branch left
// to matching (classical_hidden = 0) keeps the hidden width stored in `ck`. (Before issue 14,
// qdiff matched large-arch classical branches at 128 channels, not the real width: their
// checkpoints still load and resume with the width they have.)
ModelOptions as_trained(const ModelOptions& model, const nn::Checkpoint& ck);

// A model restored from a checkpoint for sampling/evaluation.
struct LoadedModel {
  RunOptions options;             // the checkpoint's config (+ overrides), its model as_trained
  nn::Checkpoint checkpoint;      // meta, tensors, blobs, the stored config
  std::unique_ptr<nn::UNet> model;
  int in_channels = 1, image_size = 28;
};
// Loads `path` (built as_trained); the EMA weights when use_ema (and present), else the raw parameters.
// `overrides` change keys of the stored config before it is resolved (resolve_options), e.g.
// {"sample.steps": 20}. Errors name the file (corrupt, wrong version, config the current qdiff
// does not understand, mismatch).
LoadedModel load_model(const std::string& path, bool use_ema = true, const json& overrides = json::object());

// One line with both bottleneck kinds' parameter counts for the U-Net `unet` (at its bottleneck
// width), so the quantum and classical twins can be compared: "bottleneck parameters: quantum
// 1,176 (8 qubits, ...); classical 1,156 (MLP 128-4-128); using quantum".
std::string bottleneck_summary(const ModelOptions& model, const QuantumOptions& quantum, const nn::UNetSpec& unet);

// Non-empty when the configured ansatz's weights cannot change the output (the paper's ansatz).
std::string untrainable_ansatz_warning(const ModelOptions& model, const QuantumOptions& quantum);

}  // namespace qdiff::hybrid
