// A checkpoint's weights for other frameworks, as safetensors: the EMA (default) or raw
// parameters, named with the model's dotted registry names ("enc.0.conv1.weight",
// "bottleneck.fc1.bias", "bottleneck.circuit.weight"). For the paper arch these are exactly the
// state_dict keys of the PyTorch reference U-Net (scripts/torch_reference_unet.py, written with
// qdiff's names; its quantum branch in scripts/torch_load_qdiff.py likewise), so no renaming is
// needed; scripts/torch_load_qdiff.py loads them with strict key and shape checks.
// __metadata__ (strings): format "pt", qdiff_version, config (the resolved config as JSON),
// weights ("ema" or "raw"), and from the checkpoint step, in_channels, image_size and the
// version that trained it.
#pragma once
#include <string>

#include "qdiff/io/safetensors.hpp"
#include "qdiff/nn/checkpoint.hpp"

namespace qdiff::nn {

// Throws FileError(path, ...) when the checkpoint has no weights of the kind asked for (e.g. EMA
// weights from a checkpoint saved without them).
SafeTensors export_weights(const Checkpoint& ck, bool raw, const std::string& path);

}  // namespace qdiff::nn
