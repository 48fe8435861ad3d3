#include "qdiff/hybrid/model.hpp"

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "qdiff/nn/bottleneck.hpp"
#include "qdiff/quantum/ansatz.hpp"

namespace qdiff::hybrid {

std::unique_ptr<nn::UNet> build_model(const Config& cfg, int in_channels, uint64_t seed, int image_size) {
  std::unique_ptr<nn::BottleneckBranch> branch;
  if (cfg.str("model.bottleneck") == "quantum") branch = std::make_unique<QuantumBranch>(quantum_branch_spec(cfg, seed));
  else branch = nn::make_bottleneck<float>(cfg);
  return nn::make_unet(cfg, in_channels, std::move(branch), seed, image_size);
}

LoadedModel load_model(const std::string& path, bool use_ema) {
  LoadedModel lm;
  lm.checkpoint = nn::load_checkpoint(path);
  try {
    lm.config = Config::from_json(lm.checkpoint.config, path);
  } catch (const ConfigError& e) {
    throw FileError(path, std::string("stored config is not valid for this qdiff: ") + e.what());
  }
  const auto& meta = lm.checkpoint.meta;
  lm.in_channels = meta.value("in_channels", 0);
  lm.image_size = meta.value("image_size", 0);
  if ((lm.in_channels != 1 && lm.in_channels != 3) || lm.image_size <= 0)
    throw FileError(path, "checkpoint metadata lacks a valid in_channels/image_size (is it a training checkpoint?)");
  lm.model = build_model(lm.config, lm.in_channels, 0, lm.image_size);
  nn::load_weights(lm.checkpoint, path, lm.model->registry(), use_ema);
  return lm;
}

std::string bottleneck_summary(const Config& cfg, int channels) {
  const int64_t nq = cfg.integer("quantum.n_qubits"), L = cfg.integer("quantum.n_layers");
  const int hidden = nn::classical_hidden_for(cfg, channels);
  std::string s = "bottleneck parameters: quantum " + std::to_string(nn::quantum_branch_params(cfg, channels)) + " (" +
                  std::to_string(nq) + " qubits, " + std::to_string(L) + " layers, " + cfg.str("quantum.ansatz") +
                  " ansatz, " + cfg.str("quantum.entangler") + ", reduce " + cfg.str("quantum.reduce") + ", " +
                  cfg.str("quantum.precision") + " simulator); classical " + std::to_string(nn::classical_branch_params(channels, hidden)) + " (MLP " +
                  std::to_string(channels) + "-" + std::to_string(hidden) + "-" + std::to_string(channels) + ")";
  return s + "; using " + cfg.str("model.bottleneck");
}

std::string untrainable_ansatz_warning(const Config& cfg) {
  if (cfg.str("model.bottleneck") != "quantum" || quantum::ansatz_weights_can_train(cfg.str("quantum.ansatz"))) return "";
  return "quantum.ansatz = " + cfg.str("quantum.ansatz") +
         ": its weights cannot change the output (RZ is diagonal and CNOT a permutation, so <Z_i> does not "
         "depend on them); they will not train. Only the encoding angles and the read-out layer learn.";
}

}  // namespace qdiff::hybrid
