// Everything training changes and a checkpoint keeps, so that a resumed run continues bit for bit
// as if never interrupted: the model's weights, Adam's moments and step count, the EMA, the
// diffusion noise stream, the timestep sampler's memory (importance sampling), the optimizer step,
// and the quantum branch's forward-call counter (the position of its shot-noise stream).
//
// Checkpoint contents (nn/checkpoint.hpp): the run's resolved config; tensors param/, ema/,
// adam.m/, adam.v/; meta "step" and "branch_calls" (quantum branch) plus what the caller adds;
// blobs "noise_state" and "timestep_state" (JSON).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "qdiff/core/options.hpp"
#include "qdiff/diffusion/noise.hpp"
#include "qdiff/diffusion/timesteps.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "qdiff/nn/optim.hpp"
#include "qdiff/nn/unet.hpp"

namespace qdiff::diffusion {

struct TrainingState {
  // A fresh start: the model the options describe for images of in_channels x image_size^2,
  // initialised from train.seed and set to train.precision, with its optimizer, EMA, noise source
  // and timestep sampler.
  TrainingState(const RunOptions& run, int in_channels, int image_size);

  std::unique_ptr<nn::UNet> model;
  nn::Adam adam;
  nn::Ema ema;
  std::unique_ptr<NoiseSource> noise;          // the diffusion noise eps of training
  std::unique_ptr<TimestepSampler> timesteps;
  int64_t step = 0;                            // optimizer steps completed

  // Forward calls of the quantum branch so far (0 without one).
  uint64_t branch_calls() const;
  void set_branch_calls(uint64_t calls);
  // Data parallel: this process's rows start at sample `first` of the global batch (the quantum
  // branch forks its per-sample shot streams by the global index; nothing without one).
  void set_branch_first_sample(int64_t first);

  // A checkpoint of this state. `config`: the run's resolved config (RunOptions::config);
  // `meta` gains "step" and, with a quantum branch, "branch_calls".
  nn::Checkpoint save(const json& config, json meta) const;
  // Restores every part from a checkpoint written by save(), whose model section must equal
  // `config`'s. Throws FileError naming `path` when the checkpoint does not fit or lacks a part
  // (the state is then not to be used).
  void restore(const nn::Checkpoint& ck, const std::string& path, const json& config);
};

}  // namespace qdiff::diffusion
