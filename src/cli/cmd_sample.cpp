// `qdiff sample`: images from a checkpoint as a PNG grid and an .npz (key "images", uint8).
#include <spdlog/spdlog.h>

#include <cmath>

#include "commands.hpp"
#include "options.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/diffusion/generate.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/diffusion/schedule.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/io/png.hpp"
#include "qdiff/nn/precision.hpp"

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
  cmd->add_option("--n", o->n, "number of images")->capture_default_str()->transform(like_key("sample.n"));
  cmd->add_option("--out,-o", o->out, "PNG grid path ('' = none)")->capture_default_str();
  cmd->add_option("--npz", o->npz, "also write the raw samples as .npz (key images, uint8)");
  cmd->add_option("--sampler", o->sampler, "ddpm or ddim (default: the run's sample.sampler)")->transform(like_key("sample.sampler"));
  cmd->add_option("--steps", o->steps, "DDIM steps (default: the run's sample.steps)")->transform(like_key("sample.steps"));
  cmd->add_option("--eta", o->eta, "DDIM eta in [0,1] (default: the run's sample.eta)")->transform(like_key("sample.eta"));
  cmd->add_option("--precision", o->precision, "float32 or bf16 (default: the run's sample.precision)")
      ->transform(like_key("sample.precision"));
  cmd->add_option("--seed", o->seed, "seed of the sampling noise")->capture_default_str()->transform(seed_value());
  cmd->add_option("--batch", o->batch, "images per batch")->capture_default_str()->transform(integer_in(1, 4096));
  cmd->add_option("--nrow", o->nrow, "images per grid row (default: square)")->transform(integer_in(0, 10000000));
  cmd->add_option("--scale", o->scale, "grid upscaling factor")->capture_default_str()->transform(integer_in(1, 16));
  cmd->add_flag("--raw", o->raw, "use the raw weights instead of the EMA weights");
  cmd->callback([o] {
    nlohmann::json sampling = nlohmann::json::object();  // the run's sample.* keys, overridden
    if (!o->sampler.empty()) sampling["sample.sampler"] = o->sampler;
    if (o->steps > 0) sampling["sample.steps"] = o->steps;
    if (o->eta >= 0) sampling["sample.eta"] = o->eta;
    if (!o->precision.empty()) sampling["sample.precision"] = o->precision;
    auto lm = hybrid::load_model(o->ckpt, !o->raw, sampling);
    const auto& opt = lm.options.sample;
    nn::require_supported(opt.precision, "sample.precision");  // before the progress bar
    const auto schedule = diffusion::make_schedule(lm.options.diffusion);
    auto noise = diffusion::make_noise_source(lm.options.diffusion, static_cast<uint64_t>(o->seed));
    spdlog::info("sampling {} images with {} ({} steps, {} noise, {}) from {} ({} weights, step {})", o->n,
                 mode_name(opt.sampler), diffusion::steps_per_batch(schedule, opt), noise->name(),
                 mode_name(opt.precision), o->ckpt, o->raw ? "raw" : "EMA",
                 lm.checkpoint.meta.value("step", int64_t(0)));
    diffusion::log_precision_note(opt.precision);
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
                                   {"batch", o->batch}, {"config", lm.options.config}, {"version", version()}};
      write_file_atomic(o->npz + ".json", meta.dump(2) + "\n");
      spdlog::info("wrote {} (images: {} x {}x{}{}) and {}.json", o->npz, o->n, S, S, C == 1 ? "" : "x" + std::to_string(C), o->npz);
    }
  });
}

}  // namespace qdiff::cli
