// `qdiff export`: a checkpoint's weights as safetensors for PyTorch and other tools, and
// optionally a probe (a fixed input and qdiff's output for it) to check a loader against.
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/io/safetensors.hpp"
#include "qdiff/nn/export.hpp"

namespace qdiff::cli {
namespace {

// x: [B,C,S,S] standard normal from Rng(seed), t: [B] spread over 0..T-1, and the model's
// eps = model(x, t): [B,C,S,S], as F32 tensors "x", "t", "eps".
SafeTensors make_probe(hybrid::LoadedModel& lm, int B, uint64_t seed) {
  const int C = lm.in_channels, S = lm.image_size;
  const int T = lm.options.diffusion.T;
  const int64_t D = int64_t(C) * S * S;
  std::vector<float> x(static_cast<size_t>(B * D)), eps(x.size()), tf(static_cast<size_t>(B));
  Rng rng(seed);
  for (auto& v : x) v = static_cast<float>(rng.normal());
  std::vector<int> t(static_cast<size_t>(B));
  for (int b = 0; b < B; ++b) t[b] = B == 1 ? 0 : static_cast<int>(int64_t(b) * (T - 1) / (B - 1)), tf[b] = float(t[b]);
  lm.model->forward(x.data(), t.data(), B, eps.data(), false);
  SafeTensors probe;
  probe.tensors = {{"x", {B, C, S, S}, x}, {"t", {B}, tf}, {"eps", {B, C, S, S}, eps}};
  probe.metadata = {{"what", "qdiff probe: eps = model(x, t) in float32, inference mode"}, {"seed", std::to_string(seed)}};
  return probe;
}

}  // namespace

void register_export(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write a checkpoint's weights as safetensors (for PyTorch: scripts/torch_load_qdiff.py)");
  struct Opts {
    std::string ckpt, out, probe;
    bool raw = false;
    int probe_batch = 3;
    uint64_t probe_seed = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--ckpt", o->ckpt, "training checkpoint (model.bin or ckpt_<step>.bin)")->required();
  cmd->add_option("--out,-o", o->out, "output .safetensors file")->required();
  cmd->add_flag("--raw", o->raw, "the raw parameters instead of the EMA weights");
  cmd->add_option("--probe", o->probe, "also write a fixed input x, t and the model's output eps as safetensors");
  cmd->add_option("--probe-batch", o->probe_batch, "images in the probe")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--probe-seed", o->probe_seed, "seed of the probe input")->capture_default_str();
  cmd->callback([o] {
    auto lm = hybrid::load_model(o->ckpt, !o->raw);  // validates config and architecture
    const SafeTensors st = nn::export_weights(lm.checkpoint, o->raw, o->ckpt);
    save_safetensors(o->out, st);
    spdlog::info("wrote {}: {} tensors, {} parameters ({} weights of a {} U-Net, {} bottleneck), qdiff {}", o->out,
                 st.tensors.size(), lm.model->num_params(), o->raw ? "raw" : "EMA", mode_name(lm.options.model.arch),
                 lm.model->bottleneck_kind(), st.metadata.at("qdiff_version"));
    if (!o->probe.empty()) {
      save_safetensors(o->probe, make_probe(lm, o->probe_batch, o->probe_seed));
      spdlog::info("wrote {}: x, t and eps = model(x, t) for {} images", o->probe, o->probe_batch);
    }
  });
}

}  // namespace qdiff::cli
