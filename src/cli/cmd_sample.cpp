// `qdiff sample`: images from a checkpoint as a PNG grid and an .npz (key "images", uint8).
#include <spdlog/spdlog.h>

#include <cmath>

#include "commands.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/diffusion/generate.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/diffusion/schedule.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/io/png.hpp"

namespace qdiff::cli {

void register_sample(CLI::App& app) {
  auto* cmd = app.add_subcommand("sample", "Sample images from a checkpoint: PNG grid and .npz");
  struct Opts {
    std::string ckpt, out = "samples.png", npz, sampler, precision;
    int64_t n = 64, steps = 0, seed = 0, batch = 64, nrow = 0, scale = 2;
    double eta = -1;
    bool raw = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--ckpt", o->ckpt, "checkpoint (e.g. runs/mnist/model.bin)")->required();
  cmd->add_option("--n", o->n, "number of images")->capture_default_str()->check(CLI::Range(int64_t(1), int64_t(10000000)));
  cmd->add_option("--out,-o", o->out, "PNG grid path ('' = none)")->capture_default_str();
  cmd->add_option("--npz", o->npz, "also write the raw samples as .npz (key images, uint8)");
  cmd->add_option("--sampler", o->sampler, "ddpm or ddim (default: the run's sample.sampler)")->check(CLI::IsMember({"ddpm", "ddim"}));
  cmd->add_option("--steps", o->steps, "DDIM steps (default: the run's sample.steps)")->check(CLI::PositiveNumber);
  cmd->add_option("--eta", o->eta, "DDIM eta in [0,1] (default: the run's sample.eta)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--precision", o->precision, "float32 or bf16 (default: the run's sample.precision)")
      ->check(CLI::IsMember({"float32", "bf16"}));
  cmd->add_option("--seed", o->seed, "seed of the sampling noise")->capture_default_str();
  cmd->add_option("--batch", o->batch, "images per batch")->capture_default_str()->check(CLI::Range(int64_t(1), int64_t(4096)));
  cmd->add_option("--nrow", o->nrow, "images per grid row (default: square)");
  cmd->add_option("--scale", o->scale, "grid upscaling factor")->capture_default_str()->check(CLI::Range(int64_t(1), int64_t(16)));
  cmd->add_flag("--raw", o->raw, "use the raw weights instead of the EMA weights");
  cmd->callback([o] {
    auto lm = hybrid::load_model(o->ckpt, !o->raw);
    if (!o->sampler.empty()) lm.config.set_value("sample.sampler", o->sampler);
    if (o->steps > 0) lm.config.set_value("sample.steps", o->steps);
    if (o->eta >= 0) lm.config.set_value("sample.eta", o->eta);
    if (!o->precision.empty()) lm.config.set_value("sample.precision", o->precision);
    const auto opt = diffusion::sample_options_from_config(lm.config);
    const auto schedule = diffusion::make_schedule(lm.config);
    auto noise = diffusion::make_noise_source(lm.config, static_cast<uint64_t>(o->seed));
    spdlog::info("sampling {} images with {} ({} steps, {} noise, {}) from {} ({} weights, step {})", o->n, opt.sampler,
                 diffusion::steps_per_batch(schedule, opt), noise->name(), nn::precision_name(opt.precision), o->ckpt,
                 o->raw ? "raw" : "EMA",
                 lm.checkpoint.meta.value("step", int64_t(0)));
    const int64_t total = diffusion::steps_per_batch(schedule, opt) * ((o->n + o->batch - 1) / o->batch);
    Progress bar("sample", total);
    const auto imgs = diffusion::generate_images(*lm.model, schedule, *noise, opt, o->n, static_cast<int>(o->batch),
                                                 [&](int64_t done, int64_t) { bar.update(done); });
    bar.finish();
    const int S = lm.image_size, C = lm.in_channels;
    if (!o->out.empty()) {
      GridOptions g;
      g.nrow = o->nrow > 0 ? static_cast<int>(o->nrow) : static_cast<int>(std::ceil(std::sqrt(double(o->n))));
      g.scale = static_cast<int>(o->scale);
      write_png_grid(o->out, imgs.data(), o->n, C, S, S, g);
      spdlog::info("wrote {}", o->out);
    }
    if (!o->npz.empty()) {
      save_images_npz(o->npz, imgs.data(), o->n, C, S, S);
      // Beside the samples: how they were made (the run's resolved config, the sampling options).
      const nlohmann::json meta = {{"checkpoint", o->ckpt}, {"step", lm.checkpoint.meta.value("step", int64_t(0))},
                                   {"weights", o->raw ? "raw" : "ema"}, {"n", o->n}, {"seed", o->seed},
                                   {"batch", o->batch}, {"config", lm.config.resolved()}, {"version", version()}};
      write_file_atomic(o->npz + ".json", meta.dump(2) + "\n");
      spdlog::info("wrote {} (images: {} x {}x{}{}) and {}.json", o->npz, o->n, S, S, C == 1 ? "" : "x" + std::to_string(C), o->npz);
    }
  });
}

}  // namespace qdiff::cli
