// DDPM training of the hybrid U-Net: eps-prediction MSE, Adam/AdamW, gradient clipping, EMA,
// periodic checkpoints and preview grids, a metrics CSV and a loss-curve PNG, exact resume.
//
// Output directory:
//   config.json                 resolved config + qdiff version (written before step 1)
//   metrics.csv                 step, loss, grad_norm, lr, ema_decay, seconds, it_per_s
//   loss.png                    loss curve (refreshed at every checkpoint and at the end)
//   ckpt_<step>.bin             checkpoints (train.ckpt_every); model.bin = the final one
//   preview_<step>.png          EMA sample grids (train.sample_every); samples.png at the end
//
// Reproducibility: every random choice derives from train.seed: batch indices and timesteps
// from per-step forks of one seed, the diffusion noise from a NoiseSource whose state is
// checkpointed. Resuming from ckpt_<k>.bin continues bit for bit as if never interrupted.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"

namespace qdiff::diffusion {

struct TrainOptions {
  std::string out_dir;
  std::string resume;                        // checkpoint to continue from ("" = fresh start)
  std::function<bool()> should_stop;         // polled every step (Ctrl-C): save and return
  bool final_samples = true;                 // write samples.png from the EMA weights at the end
  bool data_parallel = true;                 // under mpirun: split each batch over the processes
};

struct TrainSummary {
  int64_t start_step = 0, steps_done = 0;    // steps_done = optimizer steps completed in total
  double last_loss = 0.0;                    // mean loss of the last logging window
  double seconds = 0.0;                      // wall time of this invocation
  std::string model_path;                    // final checkpoint (or the interrupt checkpoint)
  bool interrupted = false;
};

// Training stopped because the loss or gradient became NaN/Inf. The last good checkpoint is
// untouched and named in the message.
class TrainingDiverged : public Error {
 public:
  using Error::Error;
};

// Trains with `cfg`; with opt.resume the model, optimizer, EMA, noise and timestep-sampler
// states come from that checkpoint (whose model config must match cfg's).
TrainSummary train(const Config& cfg, const TrainOptions& opt);

// "ckpt_00000500.bin"
std::string checkpoint_name(int64_t step);

}  // namespace qdiff::diffusion
