// `qdiff eval`: FID, KID, precision/recall, SSIM and a classifier view of generated images.
#include <optional>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "commands.hpp"
#include "options.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/diffusion/generate.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/eval/evaluate.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/io/image_source.hpp"

namespace qdiff::cli {
namespace {

ArrayFormat array_format(const std::string& layout, const std::string& range) {
  ArrayFormat f;
  f.layout = layout == "nhwc" ? ArrayLayout::ChannelsLast : layout == "nchw" ? ArrayLayout::ChannelsFirst : ArrayLayout::Auto;
  f.range = range == "0,1" ? ValueRange::Unit : range == "-1,1" ? ValueRange::Symmetric : ValueRange::Auto;
  return f;
}

}  // namespace

void register_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "FID, KID, precision/recall, SSIM and classifier view of samples vs a reference set");
  struct Opts {
    bool fid = false, kid = false, prc = false, ssim = false, classify = false;
    std::string samples, samples_split = "train", ref, split = "test", features, json_out, ckpt, sampler;
    std::string layout = "auto", range = "auto";
    std::vector<int64_t> classes;
    int64_t n = 1000, seed = 0, max_ref = 5000, steps = 0, batch = 64;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_flag("--fid", o->fid, "Frechet distance (with a bias-corrected jackknife interval; reference fixed)");
  cmd->add_flag("--kid", o->kid, "kernel inception distance (unbiased, cubic kernel)");
  cmd->add_flag("--prc", o->prc, "precision / recall (k-NN manifolds, k = 3)");
  cmd->add_flag("--ssim", o->ssim, "SSIM to the nearest reference image and pairwise diversity");
  cmd->add_flag("--classify", o->classify, "predicted-class histogram and confidence");
  cmd->add_option("--samples", o->samples,
                  "generated images: a folder of PNG/JPEG files, an .npy array, or an .npz (`qdiff sample`, MedMNIST or Keras keys)");
  cmd->add_option("--layout", o->layout, "4-d sample arrays: nhwc, nchw, or auto (channels-last when the last axis is 1 or 3)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "nhwc", "nchw"}));
  cmd->add_option("--range", o->range, "float sample arrays: 0,1 or -1,1, or auto ([0,1] when no value is negative)")
      ->capture_default_str()->check(CLI::IsMember({"auto", "0,1", "-1,1"}));
  cmd->add_option("--samples-split", o->samples_split, "split to read from --samples when it has split keys")->capture_default_str();
  cmd->add_option("--ckpt", o->ckpt, "generate the samples from this checkpoint instead of --samples");
  cmd->add_option("--n", o->n, "images to generate with --ckpt")->capture_default_str()->transform(integer_in(2, 1000000));
  cmd->add_option("--sampler", o->sampler, "with --ckpt: ddpm or ddim (default: the run's)")->transform(like_key("sample.sampler"));
  cmd->add_option("--steps", o->steps, "with --ckpt: DDIM steps")->transform(like_key("sample.steps"));
  cmd->add_option("--batch", o->batch, "with --ckpt: images per batch")->capture_default_str()->transform(integer_in(1, 4096));
  cmd->add_option("--ref", o->ref, "reference data (e.g. data/mnist.npz; also a folder or .npy)")->required();
  cmd->add_option("--split", o->split, "reference split")->capture_default_str();
  cmd->add_option("--class", o->classes, "keep only these reference labels (repeatable)")->transform(integer_in(0, 1000));
  cmd->add_option("--max-ref", o->max_ref, "at most this many reference images (seeded subset; 0 = all)")->capture_default_str()->transform(integer_in(0, 1e9));
  cmd->add_option("--features", o->features, "feature network file or 'pixels' (default: data/features/<ref stem>.bin)");
  cmd->add_option("--seed", o->seed, "seed of generation, KID subsets and jackknife groups")->capture_default_str()->transform(seed_value());
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

    const ArrayFormat format = array_format(o->layout, o->range);
    // Inputs are read before anything slow: a bad --samples or --ckpt fails first, alone, in one line.
    SourceReading ref_read, samples_read;
    ImageSet samples;
    std::optional<hybrid::LoadedModel> lm;
    if (!o->samples.empty()) {
      samples = load_images(o->samples, o->samples_split, format, &samples_read);
    } else {
      nlohmann::json sampling = nlohmann::json::object();  // the run's sample.* keys, overridden
      if (!o->sampler.empty()) sampling["sample.sampler"] = o->sampler;
      if (o->steps > 0) sampling["sample.steps"] = o->steps;
      lm = hybrid::load_model(o->ckpt, true, sampling);
    }
    ImageSet ref = load_images(o->ref, o->split, {}, &ref_read);
    if (!o->samples.empty()) {
      spdlog::info("samples: {}", samples_read.text(samples));
      if (samples_read.array.ambiguous_layout)
        spdlog::warn("the samples' shape fits (N,H,W,C) and (N,C,H,W): read as {} (pass --layout nchw or nhwc to choose)",
                     samples_read.array.layout);
    }
    spdlog::info("reference: {}", ref_read.text(ref));
    ref = filter_classes(ref, o->classes);
    if (o->max_ref > 0 && ref.n > o->max_ref) {
      Rng rng(static_cast<uint64_t>(o->seed));
      ref = take_subset(ref, o->max_ref, SubsetMode::Random, rng);
    }
    if (lm) {
      const auto& sopt = lm->options.sample;
      const auto schedule = diffusion::make_schedule(lm->options.diffusion);
      auto noise = diffusion::make_noise_source(lm->options.diffusion, static_cast<uint64_t>(o->seed));
      Progress bar("generate", diffusion::steps_per_batch(schedule, sopt) * ((o->n + o->batch - 1) / o->batch));
      samples.pixels = diffusion::generate_images(*lm->model, schedule, *noise, sopt, o->n, static_cast<int>(o->batch),
                                                  [&](int64_t d, int64_t) { bar.update(d); });
      bar.finish();
      samples.n = o->n, samples.c = lm->in_channels, samples.h = samples.w = lm->image_size;
      samples.source = o->ckpt;
    }
    spdlog::info("evaluating {} samples against {} reference images ({} [{}])", samples.n, ref.n, o->ref, o->split);
    nlohmann::json report = eval::evaluate(samples, ref, opt);
    report["samples"] = o->samples.empty() ? o->ckpt : o->samples;
    if (!o->samples.empty()) report["samples_format"] = {{"source", samples_read.kind}, {"layout", samples_read.array.layout},
                                                         {"values", samples_read.array.values}};
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
