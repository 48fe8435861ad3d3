// DDPM training of the hybrid U-Net: the run around the steps. train() loads the data, shards it
// over MPI processes, builds or resumes the training state (training_state.hpp), takes the steps
// (train_step.hpp), logs metrics (metrics_log.hpp), writes checkpoints and EMA preview grids, and
// stops cleanly on Ctrl-C or divergence.
//
// Output directory:
//   config.json                 resolved config + qdiff version (written before step 1)
//   metrics.csv                 step, loss, grad_norm, lr, ema_decay, seconds, it_per_s
//   loss.png                    loss curve (refreshed at every checkpoint and at the end)
//   ckpt_<step>.bin             checkpoints (train.ckpt_every; the last train.keep_checkpoints of
//                               them when that is > 0); model.bin = the final one
//   preview_<step>.png          EMA sample grids (train.sample_every); samples.png at the end
//
// Reproducibility: every random choice derives from train.seed: batch indices and timesteps
// from per-step forks of one seed, the diffusion noise from a NoiseSource whose state is
// checkpointed. Resuming from ckpt_<k>.bin continues bit for bit as if never interrupted.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "qdiff/core/error.hpp"
#include "qdiff/core/options.hpp"

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

// Trains the run `run` describes; with opt.resume the training state comes from that checkpoint
// (whose model config must match run.config's). Calls require_runnable first.
TrainSummary train(const RunOptions& run, const TrainOptions& opt);

// Throws ConfigError naming the key when this CPU cannot run the options: train.precision or
// sample.precision (the previews) = bf16 without AVX512_BF16.
void require_runnable(const RunOptions& run);

// "ckpt_00000500.bin"
std::string checkpoint_name(int64_t step);
// The step of a file name checkpoint_name gives ("ckpt_00000500.bin" -> 500); -1 for any other.
int64_t checkpoint_step(const std::string& file_name);

// Checkpoint retention (train.keep_checkpoints = keep > 0), after the periodic checkpoint of step
// `newest` was written into `dir`: deletes the checkpoints ckpt_<step>.bin of `dir` with a step
// below `newest` except the keep - 1 latest of them. The one just written, later ones (another
// run's), model.bin and every other file stay; a checkpoint a run resumed from goes only once a
// newer one exists. A file that cannot be deleted is a warning, not an error.
void prune_checkpoints(const std::string& dir, int64_t newest, int64_t keep);

}  // namespace qdiff::diffusion
