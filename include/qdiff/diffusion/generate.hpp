// Generating images with a trained U-Net: the samplers of sampler.hpp driven by the model in
// inference mode, in batches.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "qdiff/diffusion/noise.hpp"
#include "qdiff/diffusion/sampler.hpp"
#include "qdiff/diffusion/schedule.hpp"
#include "qdiff/nn/precision.hpp"
#include "qdiff/nn/unet.hpp"

namespace qdiff::diffusion {

// The model as the samplers' eps callback (inference mode: no caches for backward).
EpsModel eps_model(nn::UNet& model);

// n images [n, C, S, S] in [-1, 1], sampled `batch` at a time, the U-Net in opt.precision (its
// own precision restored on return; bf16 on a CPU without AVX512_BF16: ConfigError naming
// sample.precision); progress(done_steps, total_steps) counts reverse steps over all batches.
std::vector<float> generate_images(nn::UNet& model, const Schedule& schedule, NoiseSource& noise,
                                   const SampleOptions& opt, int64_t n, int batch,
                                   const std::function<void(int64_t, int64_t)>& progress = {});

// Reverse steps one batch takes with these options (T for DDPM, S for DDIM).
int64_t steps_per_batch(const Schedule& schedule, const SampleOptions& opt);

// Logs nn::precision_note(p) (its callers: the start of train and of sample): where bf16's matrix
// products run, as a warning where bf16 is likely slower than float32; nothing for float32.
void log_precision_note(nn::Precision p);

}  // namespace qdiff::diffusion
