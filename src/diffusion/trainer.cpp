#include "qdiff/diffusion/trainer.hpp"

#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "qdiff/core/distributed.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/core/reduce.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/diffusion/generate.hpp"
#include "qdiff/diffusion/metrics_log.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/diffusion/train_step.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "qdiff/io/png.hpp"
#include "qdiff/nn/precision.hpp"

namespace qdiff::diffusion {

std::string checkpoint_name(int64_t step) {
  char b[32];
  std::snprintf(b, sizeof b, "ckpt_%08lld.bin", static_cast<long long>(step));
  return b;
}

int64_t checkpoint_step(const std::string& file_name) {
  constexpr std::string_view prefix = "ckpt_", suffix = ".bin";
  if (file_name.size() < prefix.size() + 8 + suffix.size() || !file_name.starts_with(prefix) ||
      !file_name.ends_with(suffix))
    return -1;
  const std::string digits = file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  const int64_t step = std::stoll(digits);
  return checkpoint_name(step) == file_name ? step : -1;
}

void prune_checkpoints(const std::string& dir, int64_t newest, int64_t keep) {
  if (keep <= 0) return;
  std::vector<std::pair<int64_t, std::filesystem::path>> older;  // (step, path) below `newest`
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const int64_t step = checkpoint_step(e.path().filename().string());
    if (step >= 0 && step < newest) older.emplace_back(step, e.path());
  }
  if (ec) spdlog::warn("checkpoint retention: cannot list {}: {}", dir, ec.message());
  std::sort(older.begin(), older.end());
  const int64_t remove = static_cast<int64_t>(older.size()) - (keep - 1);
  for (int64_t i = 0; i < remove; ++i)
    if (!std::filesystem::remove(older[i].second, ec) && ec)
      spdlog::warn("checkpoint retention: cannot delete {}: {}", older[i].second.string(), ec.message());
}

namespace {

constexpr uint64_t kPreviewSeedSalt = 0x70726576ull;  // previews: the same noise at every step

ImageSet load_data(const DataOptions& options) {
  ImageSet data = load_training_images(options);
  if (data.h != data.w)
    throw InvalidArgument(data.source + ": images must be square, got " + std::to_string(data.h) + "x" +
                          std::to_string(data.w));
  std::string counts;
  for (auto [l, k] : label_counts(data.labels)) counts += ' ' + std::to_string(l) + ':' + std::to_string(k);
  spdlog::info("data: {} images {}x{}x{} from {} (labels{})", data.n, data.c, data.h, data.w, data.source,
               counts.empty() ? " none" : counts);
  return data;
}

void log_model(const ModelOptions& model_options, const QuantumOptions& quantum, const nn::UNet& model) {
  spdlog::info("model: {} arch, {} parameters (per block with --log-level debug), {} matrix products",
               mode_name(model_options.arch), model.num_params(), mode_name(model.precision()));
  spdlog::debug("\n{}", model.param_table());
  log_precision_note(model.precision());
  spdlog::info("{}", hybrid::bottleneck_summary(model_options, quantum, model.spec()));
  if (model_options.bottleneck == BottleneckKind::Quantum)
    spdlog::info("{}", hybrid::noise_summary(hybrid::quantum_branch_spec(quantum, 0), quantum.simulation));
  if (const auto w = hybrid::untrainable_ansatz_warning(model_options, quantum); !w.empty()) spdlog::warn("{}", w);
}

void write_grid(const std::string& path, const std::vector<float>& images, int64_t n, const nn::UNetSpec& spec) {
  GridOptions g;
  g.nrow = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  write_png_grid(path, images.data(), n, spec.in_channels, spec.image_size, spec.image_size, g);
}

}  // namespace

void require_runnable(const RunOptions& run) {
  nn::require_supported(run.train.precision, "train.precision");
  nn::require_supported(run.sample.precision, "sample.precision");  // previews: now, not at the first
}

TrainSummary train(const RunOptions& run, const TrainOptions& opt) {
  if (opt.out_dir.empty()) throw InvalidArgument("train: an output directory is needed (--out)");
  require_runnable(run);
  make_dirs(opt.out_dir);
  if (run.train.threads > 0) omp_set_num_threads(run.train.threads);

  const ImageSet data = load_data(run.data);
  const int B = static_cast<int>(std::min<int64_t>(run.train.batch, data.n));
  const int64_t total_steps = run.train.steps;
  // Data parallel over MPI processes: every process draws the same global batch (same seeds),
  // runs the model on its shard of rows and the gradients are summed.
  const int P = opt.data_parallel ? Distributed::size() : 1, rank = opt.data_parallel ? Distributed::rank() : 0;
  const bool root = rank == 0;
  if (B % P != 0)
    throw InvalidArgument("data-parallel training needs the batch (" + std::to_string(B) + ") divisible by the " +
                          std::to_string(P) + " processes");
  if (P > 1) spdlog::info("data parallel: {} processes, {} images each per step", P, B / P);
  if (P > 2 || !tree_has_shards(B, kBatchLeaf, P))  // core/reduce.hpp; MPI adds 2 numbers in one way only
    spdlog::warn("data parallel: {} processes with batch {} match one process to float rounding only "
                 "(bit for bit needs 2 processes and an even batch > {})", P, B, kBatchLeaf);

  // A resumed run continues the model of its checkpoint (hybrid::as_trained).
  std::optional<nn::Checkpoint> resume;
  RunOptions built = run;
  if (!opt.resume.empty()) {
    resume = nn::load_checkpoint(opt.resume);
    built.model = hybrid::as_trained(run.model, *resume);
  }
  TrainingState state(built, data.c, data.h);
  log_model(built.model, built.quantum, *state.model);
  if (resume) {
    state.restore(*resume, opt.resume, run.config);
    spdlog::info("resumed from {} at step {}", opt.resume, state.step);
    if (state.step >= total_steps)
      spdlog::warn("checkpoint is at step {} >= train.steps = {}: nothing to train", state.step, total_steps);
  }
  const Schedule schedule = make_schedule(run.diffusion);
  const StepContext ctx{data, schedule, B, run.train.seed, total_steps, run.train.grad_clip, P, rank};
  StepBuffers buffers;

  json resolved = run.config;
  resolved["version"] = version();
  if (root) write_file_atomic(opt.out_dir + "/config.json", resolved.dump(2) + "\n");
  std::optional<MetricsLog> metrics;
  if (root) metrics.emplace(opt.out_dir + "/metrics.csv", state.step);

  auto save = [&](const std::string& path, double loss) {
    if (!root) return path;
    const json meta = {{"total_steps", total_steps}, {"loss", loss},          {"in_channels", data.c},
                       {"image_size", data.h},       {"version", version()}, {"build", build_info()},
                       {"train_images", data.n}};
    nn::save_checkpoint(path, state.save(run.config, meta));
    return path;
  };
  // Samples from the EMA weights with a fixed seed (so previews are comparable across steps).
  auto sample_grid = [&](const std::string& path, int64_t n) {
    if (!root) return;
    std::vector<float> images;
    {
      const nn::ScopedEmaWeights ema_weights(state.model->params(), state.ema);
      auto preview_noise = make_noise_source(run.diffusion, run.train.seed ^ kPreviewSeedSalt);
      images = generate_images(*state.model, schedule, *preview_noise, run.sample, n, B);
    }
    write_grid(path, images, n, state.model->spec());
  };

  TrainSummary summary;
  summary.start_step = state.step;
  std::optional<Progress> bar;
  if (root) bar.emplace("train", total_steps, state.step);
  std::string last_good = opt.resume.empty() ? "none" : opt.resume;
  double window_loss = 0.0, window_gnorm = 0.0;
  int window = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

  while (state.step < total_steps) {
    float stop = opt.should_stop && opt.should_stop() ? 1.0f : 0.0f;
    if (P > 1) Distributed::allreduce_sum(&stop, 1);  // every process stops at the same step
    if (stop > 0) {
      summary.interrupted = true;
      break;
    }
    const StepResult r = train_step(state, ctx, buffers);
    if (!r.finite()) {
      if (bar) bar->finish();
      if (metrics) metrics->plot(opt.out_dir + "/loss.png");
      const bool bad_loss = !std::isfinite(r.loss);
      throw TrainingDiverged("training diverged at step " + std::to_string(state.step + 1) + ": " +
                             (bad_loss ? "loss" : "gradient norm") + " is " +
                             std::to_string(bad_loss ? r.loss : r.grad_norm) +
                             "; stopped without saving. Last good checkpoint: " + last_good);
    }
    const int64_t step = state.step;
    window_loss += r.loss, window_gnorm += r.grad_norm, ++window;
    char extra[64];
    std::snprintf(extra, sizeof extra, "loss %.4f", r.loss);
    if (bar) bar->update(step, extra);
    if (step % run.train.log_every == 0 || step == total_steps) {
      summary.last_loss = window_loss / window;
      if (metrics)
        metrics->add({step, summary.last_loss, window_gnorm / window, state.adam.options().lr,
                      state.ema.decay_at(state.ema.updates() - 1), seconds(),
                      static_cast<double>(step - summary.start_step) / std::max(1e-9, seconds())});
      window_loss = window_gnorm = 0.0, window = 0;
    }
    if (run.train.ckpt_every > 0 && step % run.train.ckpt_every == 0 && step < total_steps) {
      last_good = save(opt.out_dir + "/" + checkpoint_name(step), r.loss);
      if (root) prune_checkpoints(opt.out_dir, step, run.train.keep_checkpoints);
      if (metrics) metrics->plot(opt.out_dir + "/loss.png");
    }
    if (run.train.sample_every > 0 && step % run.train.sample_every == 0 && step < total_steps) {
      char name[64];
      std::snprintf(name, sizeof name, "/preview_%08lld.png", static_cast<long long>(step));
      sample_grid(opt.out_dir + name, std::min<int64_t>(run.sample.n, 64));
    }
  }
  if (bar) bar->finish();
  summary.steps_done = state.step;
  summary.seconds = seconds();
  if (window > 0) summary.last_loss = window_loss / window;
  if (summary.interrupted) {
    summary.model_path = save(opt.out_dir + "/" + checkpoint_name(state.step), summary.last_loss);
    spdlog::warn("interrupted at step {}: saved {} (resume with --resume {})", state.step, summary.model_path,
                 summary.model_path);
  } else {
    summary.model_path = save(opt.out_dir + "/model.bin", summary.last_loss);
    if (opt.final_samples) sample_grid(opt.out_dir + "/samples.png", run.sample.n);
  }
  if (metrics) metrics->plot(opt.out_dir + "/loss.png");
  if (P > 1) Distributed::barrier();  // the root's files are complete before anyone returns
  return summary;
}

}  // namespace qdiff::diffusion
