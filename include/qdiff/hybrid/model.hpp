// Builds the diffusion model a config describes: the U-Net (nn/) with its bottleneck branch,
// quantum (hybrid/quantum_branch), classical MLP or none (nn/bottleneck).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "qdiff/core/config.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "qdiff/nn/unet.hpp"

namespace qdiff {
class Config;
}

namespace qdiff::hybrid {

// in_channels: 1 (grayscale) or 3 (colour); seed initializes every parameter.
std::unique_ptr<nn::UNet> build_model(const Config& cfg, int in_channels, uint64_t seed, int image_size = 28);

// A model restored from a checkpoint for sampling/evaluation.
struct LoadedModel {
  Config config;                  // the run's resolved config, as stored in the checkpoint
  nn::Checkpoint checkpoint;      // meta, tensors, blobs
  std::unique_ptr<nn::UNet> model;
  int in_channels = 1, image_size = 28;
};
// Loads `path`; the EMA weights when use_ema (and present), else the raw parameters. Errors name
// the file (corrupt, wrong version, config the current qdiff does not understand, mismatch).
LoadedModel load_model(const std::string& path, bool use_ema = true);

// One line per bottleneck kind with its parameter count, so the quantum and classical twins
// can be compared: "bottleneck quantum: 1,176 parameters (8 qubits, 3 layers, default ansatz, ring)".
std::string bottleneck_summary(const Config& cfg, int channels = 128);

// Non-empty when the configured ansatz's weights cannot change the output (the paper's ansatz).
std::string untrainable_ansatz_warning(const Config& cfg);

}  // namespace qdiff::hybrid
