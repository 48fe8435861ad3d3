// `qdiff eval`: FID, KID, precision/recall, SSIM and a classifier view of generated images.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "commands.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/diffusion/generate.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/eval/evaluate.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/io/dataset.hpp"

namespace qdiff::cli {

void register_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "FID, KID, precision/recall, SSIM and classifier view of samples vs a reference set");
  struct Opts {
    bool fid = false, kid = false, prc = false, ssim = false, classify = false;
    std::string samples, samples_split = "train", ref, split = "test", features, json_out, ckpt, sampler;
    std::vector<int64_t> classes;
    int64_t n = 1000, seed = 0, max_ref = 5000, steps = 0, batch = 64;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_flag("--fid", o->fid, "Frechet distance (with a bootstrap interval)");
  cmd->add_flag("--kid", o->kid, "kernel inception distance (unbiased, cubic kernel)");
  cmd->add_flag("--prc", o->prc, "precision / recall (k-NN manifolds, k = 3)");
  cmd->add_flag("--ssim", o->ssim, "SSIM to the nearest reference image and pairwise diversity");
  cmd->add_flag("--classify", o->classify, "predicted-class histogram and confidence");
  cmd->add_option("--samples", o->samples, "generated images (.npz from `qdiff sample`, or MedMNIST/Keras keys)");
  cmd->add_option("--samples-split", o->samples_split, "split to read from --samples when it has split keys")->capture_default_str();
  cmd->add_option("--ckpt", o->ckpt, "generate the samples from this checkpoint instead of --samples");
  cmd->add_option("--n", o->n, "images to generate with --ckpt")->capture_default_str()->check(CLI::Range(int64_t(2), int64_t(1000000)));
  cmd->add_option("--sampler", o->sampler, "with --ckpt: ddpm or ddim (default: the run's)")->check(CLI::IsMember({"ddpm", "ddim"}));
  cmd->add_option("--steps", o->steps, "with --ckpt: DDIM steps")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->batch, "with --ckpt: images per batch")->capture_default_str();
  cmd->add_option("--ref", o->ref, "reference data (e.g. data/mnist.npz)")->required();
  cmd->add_option("--split", o->split, "reference split")->capture_default_str();
  cmd->add_option("--class", o->classes, "keep only these reference labels (repeatable)");
  cmd->add_option("--max-ref", o->max_ref, "at most this many reference images (seeded subset; 0 = all)")->capture_default_str();
  cmd->add_option("--features", o->features, "feature network file or 'pixels' (default: data/features/<ref stem>.bin)");
  cmd->add_option("--seed", o->seed, "seed of generation, KID subsets and bootstrap")->capture_default_str();
  cmd->add_option("--json", o->json_out, "also write the results as JSON");
  cmd->callback([o] {
    if (o->samples.empty() == o->ckpt.empty()) throw InvalidArgument("eval needs exactly one of --samples or --ckpt");
    eval::EvalOptions opt;
    const bool any = o->fid || o->kid || o->prc || o->ssim || o->classify;
    opt.fid = !any || o->fid, opt.kid = !any || o->kid, opt.prc = !any || o->prc;
    opt.ssim = !any || o->ssim, opt.classify = !any || o->classify;
    opt.seed = static_cast<uint64_t>(o->seed);
    opt.features = o->features.empty() ? eval::default_feature_net(o->ref) : o->features;
    if (opt.features == "pixels") opt.classify = false;

    ImageSet ref = filter_classes(load_split(o->ref, o->split), o->classes);
    if (o->max_ref > 0 && ref.n > o->max_ref) {
      Rng rng(static_cast<uint64_t>(o->seed));
      ref = take_subset(ref, o->max_ref, SubsetMode::Random, rng);
    }
    ImageSet samples;
    if (!o->samples.empty()) {
      samples = load_split(o->samples, o->samples_split);
    } else {
      nlohmann::json sampling = nlohmann::json::object();  // the run's sample.* keys, overridden
      if (!o->sampler.empty()) sampling["sample.sampler"] = o->sampler;
      if (o->steps > 0) sampling["sample.steps"] = o->steps;
      auto lm = hybrid::load_model(o->ckpt, true, sampling);
      const auto& sopt = lm.options.sample;
      const auto schedule = diffusion::make_schedule(lm.options.diffusion);
      auto noise = diffusion::make_noise_source(lm.options.diffusion, static_cast<uint64_t>(o->seed));
      Progress bar("generate", diffusion::steps_per_batch(schedule, sopt) * ((o->n + o->batch - 1) / o->batch));
      samples.pixels = diffusion::generate_images(*lm.model, schedule, *noise, sopt, o->n, static_cast<int>(o->batch),
                                                  [&](int64_t d, int64_t) { bar.update(d); });
      bar.finish();
      samples.n = o->n, samples.c = lm.in_channels, samples.h = samples.w = lm.image_size;
      samples.source = o->ckpt;
    }
    spdlog::info("evaluating {} samples against {} reference images ({} [{}])", samples.n, ref.n, o->ref, o->split);
    nlohmann::json report = eval::evaluate(samples, ref, opt);
    report["samples"] = o->samples.empty() ? o->ckpt : o->samples;
    report["reference"] = {{"path", o->ref}, {"split", o->split}, {"classes", o->classes}};
    report["seed"] = o->seed;
    report["version"] = version();
    std::fputs(eval::format_report(report).c_str(), stdout);
    for (const auto& w : report["warnings"]) spdlog::warn("{}", w.get<std::string>());
    if (!o->json_out.empty()) {
      write_file_atomic(o->json_out, report.dump(2) + "\n");
      spdlog::info("wrote {}", o->json_out);
    }
  });
}

}  // namespace qdiff::cli
