// One DDPM training step: draw a batch of images, timesteps and noise, predict the noise,
// back-propagate the eps-prediction MSE, clip, and step Adam and the EMA.
//
// Reproducibility: the batch indices and timesteps of step k come from forks of train.seed for k
// (so they do not depend on anything before), the noise eps from the state's noise source.
// Data parallel (MPI): every process draws the same global batch, runs its shard of rows
// [rank B/P, (rank+1) B/P), and the gradients and losses are summed over the processes; the
// quantum branch draws each row's shots from the stream of its global sample index.
#pragma once
#include <cstdint>
#include <vector>

#include "qdiff/diffusion/schedule.hpp"
#include "qdiff/diffusion/training_state.hpp"
#include "qdiff/io/dataset.hpp"

namespace qdiff::diffusion {

// What a step draws from and where it runs; the same for every step of a run.
struct StepContext {
  const ImageSet& data;      // training images [N, C, H, W]
  const Schedule& schedule;
  int batch = 1;             // B, the global batch
  uint64_t seed = 0;         // train.seed
  int64_t total_steps = 1;   // train.steps (the curriculum's progress)
  double grad_clip = 0;      // global gradient-norm clip, 0 = off
  int processes = 1, rank = 0;
};

// Buffers of a step, allocated by the first one and reused.
struct StepBuffers {
  std::vector<float> x0, eps, xt;     // [B, D]
  std::vector<float> pred, dpred;     // [B/P, D]: this process's rows
  std::vector<float> weight, loss_per, loss_local;  // [B], [B], [B/P]
  std::vector<int> t;                 // [B]
  std::vector<int64_t> idx, perm;     // [B] batch indices, [N] scratch
};

struct StepResult {
  double loss = 0;       // the batch's mean weighted loss
  double grad_norm = 0;  // before clipping
  bool finite() const;
};

// Takes step state.step + 1. When loss and gradient norm are finite it updates the weights
// (Adam), the EMA and the timestep sampler and advances state.step; otherwise (divergence) it
// leaves the weights, optimizer, EMA and step as they were and only reports the result.
StepResult train_step(TrainingState& state, const StepContext& ctx, StepBuffers& buffers);

}  // namespace qdiff::diffusion
