#include "qdiff/diffusion/trainer.hpp"

#include <omp.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "qdiff/core/distributed.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/core/reduce.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/diffusion/forward.hpp"
#include "qdiff/diffusion/generate.hpp"
#include "qdiff/diffusion/loss.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/diffusion/schedule.hpp"
#include "qdiff/diffusion/timesteps.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/io/plot.hpp"
#include "qdiff/io/png.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "qdiff/nn/optim.hpp"

namespace qdiff::diffusion {
namespace fs = std::filesystem;

std::string checkpoint_name(int64_t step) {
  char b[32];
  std::snprintf(b, sizeof b, "ckpt_%08lld.bin", static_cast<long long>(step));
  return b;
}

namespace {

// Streams of the per-step random choices (forks of train.seed).
constexpr uint64_t kBatchStream = 1ull << 40, kTimestepStream = 2ull << 40;
constexpr uint64_t kNoiseSeedSalt = 0x6e6f697365ull, kPreviewSeedSalt = 0x70726576ull;

struct MetricsRow {
  int64_t step;
  double loss, grad_norm, lr, ema_decay, seconds, it_per_s;
};

class MetricsLog {
 public:
  // Keeps the rows of an earlier run up to `keep_until` (resume) and appends from there.
  MetricsLog(std::string path, int64_t keep_until) : path_(std::move(path)) {
    std::ifstream in(path_);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      MetricsRow r{};
      if (std::sscanf(line.c_str(), "%lld,%lf,%lf,%lf,%lf,%lf,%lf", reinterpret_cast<long long*>(&r.step), &r.loss,
                      &r.grad_norm, &r.lr, &r.ema_decay, &r.seconds, &r.it_per_s) == 7 &&
          r.step <= keep_until)
        rows_.push_back(r);
    }
    flush();
  }
  void add(const MetricsRow& r) {
    rows_.push_back(r);
    flush();
  }
  void plot(const std::string& png) const {
    if (rows_.empty()) return;
    Series s;
    s.label = "training loss";
    for (const auto& r : rows_) s.x.push_back(static_cast<double>(r.step)), s.y.push_back(r.loss);
    try {
      write_line_plot(png, {s}, {"eps-prediction MSE", "step", "loss", 720, 440, false, true});
    } catch (const InvalidArgument&) {
      // nothing finite to draw yet
    }
  }

 private:
  std::string path_;
  std::vector<MetricsRow> rows_;
  void flush() const {
    std::ostringstream o;
    o << "step,loss,grad_norm,lr,ema_decay,seconds,it_per_s\n";
    char buf[256];
    for (const auto& r : rows_) {
      std::snprintf(buf, sizeof buf, "%lld,%.8g,%.6g,%.6g,%.6g,%.3f,%.4g\n", static_cast<long long>(r.step), r.loss,
                    r.grad_norm, r.lr, r.ema_decay, r.seconds, r.it_per_s);
      o << buf;
    }
    write_file_atomic(path_, o.str());
  }
};

std::vector<uint8_t> json_blob(const json& j) {
  const std::string s = j.dump();
  return {s.begin(), s.end()};
}

json blob_json(const nn::Checkpoint& ck, const std::string& name, const std::string& path) {
  const auto* b = ck.find_blob(name);
  if (!b) throw FileError(path, "checkpoint lacks '" + name + "' needed to resume");
  try {
    return json::parse(std::string(b->begin(), b->end()));
  } catch (const json::parse_error& e) {
    throw FileError(path, "checkpoint blob '" + name + "' is not valid JSON");
  }
}

hybrid::QuantumBranch* quantum_branch(nn::UNet& model) {
  return dynamic_cast<hybrid::QuantumBranch*>(model.branch());
}

// Batch indices for one step: B distinct images out of n (partial Fisher-Yates on a fork).
void draw_batch(Rng rng, int64_t n, int B, std::vector<int64_t>& perm, int64_t* idx) {
  perm.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  for (int b = 0; b < B; ++b) {
    const int64_t j = b + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - b)));
    std::swap(perm[b], perm[j]);
    idx[b] = perm[b];
  }
}

void write_grid(const std::string& path, const std::vector<float>& images, int64_t n, const nn::UNetSpec& spec) {
  GridOptions g;
  g.nrow = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  write_png_grid(path, images.data(), n, spec.in_channels, spec.image_size, spec.image_size, g);
}

}  // namespace

TrainSummary train(const Config& cfg, const TrainOptions& opt) {
  if (opt.out_dir.empty()) throw InvalidArgument("train: an output directory is needed (--out)");
  make_dirs(opt.out_dir);
  if (const int th = static_cast<int>(cfg.integer("train.threads")); th > 0) omp_set_num_threads(th);

  // ---- data ---------------------------------------------------------------------------------
  const ImageSet data = load_training_images(cfg);
  if (data.h != data.w) throw InvalidArgument(data.source + ": images must be square, got " + std::to_string(data.h) + "x" + std::to_string(data.w));
  {
    std::string counts;
    for (auto [l, k] : label_counts(data.labels)) counts += " " + std::to_string(l) + ":" + std::to_string(k);
    spdlog::info("data: {} images {}x{}x{} from {} (labels{})", data.n, data.c, data.h, data.w, data.source,
                 counts.empty() ? " none" : counts);
  }
  const int64_t D = data.image_size();
  const int B = static_cast<int>(std::min<int64_t>(cfg.integer("train.batch"), data.n));
  const int64_t total_steps = cfg.integer("train.steps");
  const uint64_t seed = static_cast<uint64_t>(cfg.integer("train.seed"));
  // Data parallel over MPI processes: every process draws the same global batch (same seeds),
  // runs the model on its shard of rows [b0, b1) and the gradients are summed.
  const int P = opt.data_parallel ? Distributed::size() : 1, rank = opt.data_parallel ? Distributed::rank() : 0;
  const bool root = rank == 0;
  if (B % P != 0)
    throw InvalidArgument("data-parallel training needs the batch (" + std::to_string(B) + ") divisible by the " +
                          std::to_string(P) + " processes");
  const int Bl = B / P, b0 = rank * Bl;
  if (P > 1) spdlog::info("data parallel: {} processes, {} images each per step", P, Bl);
  if (P > 2 || !tree_has_shards(B, kBatchLeaf, P))  // core/reduce.hpp; MPI adds 2 numbers in one way only
    spdlog::warn("data parallel: {} processes with batch {} match one process to float rounding only "
                 "(bit for bit needs 2 processes and an even batch > {})", P, B, kBatchLeaf);

  // ---- model, optimizer, EMA, diffusion -----------------------------------------------------
  auto model = hybrid::build_model(cfg, data.c, seed, data.h);
  model->set_precision(nn::precision_from_config(cfg, "train.precision"));
  const SampleOptions sample_opt = sample_options_from_config(cfg);  // checked now, not at the first preview
  spdlog::info("model: {} arch, {} parameters (per block with --log-level debug)", cfg.str("model.arch"), model->num_params());
  spdlog::debug("\n{}", model->param_table());
  spdlog::info("{}", hybrid::bottleneck_summary(cfg));
  if (const auto w = hybrid::untrainable_ansatz_warning(cfg); !w.empty()) spdlog::warn("{}", w);
  nn::AdamOptions ao;
  ao.lr = cfg.number("train.lr");
  ao.weight_decay = cfg.number("train.weight_decay");
  ao.decoupled = cfg.str("train.optimizer") == "adamw";
  nn::Adam adam(model->num_params(), ao);
  nn::Ema ema(model->params(), cfg.number("train.ema_decay"), cfg.flag("train.ema_warmup"));
  const Schedule schedule = make_schedule(cfg);
  auto timesteps = make_timestep_sampler(cfg);
  auto noise = make_noise_source(cfg, seed ^ kNoiseSeedSalt);
  const double clip = cfg.number("train.grad_clip");

  int64_t step = 0;
  if (!opt.resume.empty()) {
    const nn::Checkpoint ck = nn::load_checkpoint(opt.resume);
    nn::require_same_model_config(ck, cfg, opt.resume);
    nn::restore_checkpoint(ck, opt.resume, model->registry(), &ema, &adam);
    if (!ck.meta.contains("step")) throw FileError(opt.resume, "checkpoint lacks 'step' needed to resume");
    step = ck.meta["step"].get<int64_t>();
    try {
      noise->set_state(blob_json(ck, "noise_state", opt.resume));
      timesteps->load_state(blob_json(ck, "timestep_state", opt.resume));
    } catch (const InvalidArgument& e) {
      throw FileError(opt.resume, std::string("cannot resume: ") + e.what());
    }
    if (auto* qb = quantum_branch(*model)) qb->set_forward_calls(ck.meta.value("branch_calls", uint64_t(0)));
    spdlog::info("resumed from {} at step {}", opt.resume, step);
    if (step >= total_steps) spdlog::warn("checkpoint is at step {} >= train.steps = {}: nothing to train", step, total_steps);
  }

  json resolved = cfg.resolved();
  resolved["version"] = version();
  if (root) write_file_atomic(opt.out_dir + "/config.json", resolved.dump(2) + "\n");
  std::optional<MetricsLog> metrics;
  if (root) metrics.emplace(opt.out_dir + "/metrics.csv", step);

  auto save = [&](const std::string& path, double loss) {
    if (!root) return path;
    json meta = {{"step", step},           {"total_steps", total_steps}, {"loss", loss},
                 {"in_channels", data.c},  {"image_size", data.h},       {"version", version()},
                 {"build", build_info()},  {"train_images", data.n}};
    if (auto* qb = quantum_branch(*model)) meta["branch_calls"] = qb->forward_calls();
    nn::Checkpoint ck = nn::make_checkpoint(cfg, meta, model->registry(), &ema, &adam);
    ck.add_blob("noise_state", json_blob(noise->state()));
    ck.add_blob("timestep_state", json_blob(timesteps->state()));
    nn::save_checkpoint(path, ck);
    return path;
  };
  // Samples from the EMA weights with a fixed seed (so previews are comparable across steps).
  auto sample_grid = [&](const std::string& path, int64_t n) {
    if (!root) return;
    std::vector<float> raw(model->params().begin(), model->params().end());
    std::copy(ema.shadow().begin(), ema.shadow().end(), model->params().begin());
    auto preview_noise = make_noise_source(cfg, seed ^ kPreviewSeedSalt);
    const auto imgs = generate_images(*model, schedule, *preview_noise, sample_opt, n, B);
    std::copy(raw.begin(), raw.end(), model->params().begin());
    write_grid(path, imgs, n, model->spec());
  };

  // ---- buffers (allocated once) -----------------------------------------------------------------
  std::vector<float> x0(static_cast<size_t>(B) * D), eps(x0.size()), xt(x0.size()), pred(static_cast<size_t>(Bl) * D),
      dpred(pred.size());
  std::vector<float> weight(B), loss_per(B), loss_local(Bl);
  std::vector<int> t(B);
  std::vector<int64_t> idx(B), perm;

  TrainSummary summary;
  summary.start_step = step;
  const int64_t log_every = cfg.integer("train.log_every"), ckpt_every = cfg.integer("train.ckpt_every");
  const int64_t sample_every = cfg.integer("train.sample_every");
  const Rng seed_rng(seed);
  std::optional<Progress> bar;
  if (root) bar.emplace("train", total_steps, step);
  std::string last_good = opt.resume.empty() ? "none" : opt.resume;
  double window_loss = 0.0, window_gnorm = 0.0;
  int window = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

  while (step < total_steps) {
    float stop = opt.should_stop && opt.should_stop() ? 1.0f : 0.0f;
    if (P > 1) Distributed::allreduce_sum(&stop, 1);  // every process stops at the same step
    if (stop > 0) {
      summary.interrupted = true;
      break;
    }
    // x0: [B, D] batch, t: [B], eps: [B, D]
    draw_batch(seed_rng.fork(kBatchStream + step), data.n, B, perm, idx.data());
    for (int b = 0; b < B; ++b) std::copy_n(data.image(idx[b]), D, x0.data() + b * D);
    Rng trng = seed_rng.fork(kTimestepStream + step);
    timesteps->sample(trng, step, total_steps, B, t.data(), weight.data());
    noise->fill_normal(eps.data(), B * D);
    q_sample(schedule, x0.data(), eps.data(), t.data(), B, D, xt.data());

    // pred, dpred: [Bl, D] for rows b0 .. b0 + Bl of the batch; dpred is normalised by the global
    // B (the values one process holding the whole batch writes), the shards' loss sums added once
    model->forward(xt.data() + b0 * D, t.data() + b0, Bl, pred.data(), true);
    double loss = eps_mse_sum(pred.data(), eps.data() + b0 * D, weight.data() + b0, Bl, B, D, loss_local.data(), dpred.data());
    if (P > 1) {
      Distributed::allreduce_sum(&loss, 1);
      Distributed::allgather(loss_local.data(), Bl, loss_per.data());
    } else {
      std::copy(loss_local.begin(), loss_local.end(), loss_per.begin());
    }
    loss /= B;
    model->zero_grad();
    model->backward(dpred.data());
    if (P > 1) Distributed::allreduce_sum(model->grads().data(), static_cast<int64_t>(model->grads().size()));
    const double gnorm = nn::clip_grad_norm(model->grads(), clip);
    if (!std::isfinite(loss) || !std::isfinite(gnorm)) {
      if (bar) bar->finish();
      if (metrics) metrics->plot(opt.out_dir + "/loss.png");
      throw TrainingDiverged("training diverged at step " + std::to_string(step + 1) + ": " +
                             (!std::isfinite(loss) ? "loss" : "gradient norm") + " is " +
                             std::to_string(!std::isfinite(loss) ? loss : gnorm) +
                             "; stopped without saving. Last good checkpoint: " + last_good);
    }
    adam.step(model->params(), model->grads());
    ema.update(model->params());
    timesteps->update(t.data(), loss_per.data(), B);
    ++step;

    window_loss += loss, window_gnorm += gnorm, ++window;
    char extra[64];
    std::snprintf(extra, sizeof extra, "loss %.4f", loss);
    if (bar) bar->update(step, extra);
    if (step % log_every == 0 || step == total_steps) {
      summary.last_loss = window_loss / window;
      if (metrics) metrics->add({step, summary.last_loss, window_gnorm / window, adam.options().lr, ema.decay_at(ema.updates() - 1),
                   seconds(), static_cast<double>(step - summary.start_step) / std::max(1e-9, seconds())});
      window_loss = window_gnorm = 0.0, window = 0;
    }
    if (ckpt_every > 0 && step % ckpt_every == 0 && step < total_steps) {
      last_good = save(opt.out_dir + "/" + checkpoint_name(step), loss);
      if (metrics) metrics->plot(opt.out_dir + "/loss.png");
    }
    if (sample_every > 0 && step % sample_every == 0 && step < total_steps) {
      char name[64];
      std::snprintf(name, sizeof name, "/preview_%08lld.png", static_cast<long long>(step));
      sample_grid(opt.out_dir + name, std::min<int64_t>(cfg.integer("sample.n"), 64));
    }
  }
  if (bar) bar->finish();
  summary.steps_done = step;
  summary.seconds = seconds();
  if (window > 0) summary.last_loss = window_loss / window;
  if (summary.interrupted) {
    summary.model_path = save(opt.out_dir + "/" + checkpoint_name(step), summary.last_loss);
    spdlog::warn("interrupted at step {}: saved {} (resume with --resume {})", step, summary.model_path,
                 summary.model_path);
  } else {
    summary.model_path = save(opt.out_dir + "/model.bin", summary.last_loss);
    if (opt.final_samples) sample_grid(opt.out_dir + "/samples.png", cfg.integer("sample.n"));
  }
  if (metrics) metrics->plot(opt.out_dir + "/loss.png");
  if (P > 1) Distributed::barrier();  // the root's files are complete before anyone returns
  return summary;
}

}  // namespace qdiff::diffusion
