#include "qdiff/hybrid/model.hpp"

#include "qdiff/core/error.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "qdiff/nn/bottleneck.hpp"
#include "qdiff/quantum/ansatz.hpp"

namespace qdiff::hybrid {

int classical_hidden(const ModelOptions& model, const QuantumOptions& quantum, int channels) {
  if (model.classical_hidden > 0) return model.classical_hidden;
  return nn::classical_hidden_for_target(quantum_branch_params(quantum, channels), channels);
}

std::unique_ptr<nn::UNet> build_model(const ModelOptions& model, const QuantumOptions& quantum, int in_channels,
                                      uint64_t seed, int image_size) {
  const nn::UNetSpec spec = nn::spec_from_options(model, in_channels, image_size);
  std::unique_ptr<nn::BottleneckBranch> branch;
  if (model.bottleneck == BottleneckKind::Quantum)
    branch = std::make_unique<QuantumBranch>(quantum_branch_spec(quantum, seed));
  else
    branch = nn::make_bottleneck<float>(model.bottleneck, classical_hidden(model, quantum, spec.bottleneck_channels()));
  return std::make_unique<nn::UNet>(spec, std::move(branch), seed);
}

ModelOptions as_trained(const ModelOptions& model, const nn::Checkpoint& ck) {
  ModelOptions m = model;
  if (m.bottleneck != BottleneckKind::Classical || m.classical_hidden > 0) return m;
  // the classical branch's fc1: Linear(C, hidden), weight [hidden, C]
  if (const nn::NamedTensor* t = ck.find_tensor("param/bottleneck.fc1.weight"); t && t->shape.size() == 2)
    m.classical_hidden = static_cast<int>(t->shape[0]);
  return m;
}

LoadedModel load_model(const std::string& path, bool use_ema, const json& overrides) {
  LoadedModel lm;
  lm.checkpoint = nn::load_checkpoint(path);
  lm.options = resolve_options(lm.checkpoint.config, path, overrides);
  const auto& meta = lm.checkpoint.meta;
  lm.in_channels = meta.value("in_channels", 0);
  lm.image_size = meta.value("image_size", 0);
  if ((lm.in_channels != 1 && lm.in_channels != 3) || lm.image_size <= 0)
    throw FileError(path, "checkpoint metadata lacks a valid in_channels/image_size (is it a training checkpoint?)");
  lm.options.model = as_trained(lm.options.model, lm.checkpoint);
  lm.model = build_model(lm.options.model, lm.options.quantum, lm.in_channels, 0, lm.image_size);
  nn::load_weights(lm.checkpoint, path, lm.model->registry(), use_ema);
  return lm;
}

std::string bottleneck_summary(const ModelOptions& model, const QuantumOptions& quantum, const nn::UNetSpec& unet) {
  const int channels = unet.bottleneck_channels();
  const int hidden = classical_hidden(model, quantum, channels);
  const std::string c = std::to_string(channels);
  return "bottleneck parameters: quantum " + std::to_string(quantum_branch_params(quantum, channels)) + " (" +
         std::to_string(quantum.n_qubits) + " qubits, " + std::to_string(quantum.n_layers) + " layers, " +
         mode_name(quantum.ansatz) + " ansatz, " + mode_name(quantum.entangler) + ", reduce " +
         mode_name(quantum.reduce) + ", " + mode_name(quantum.precision) + " simulator); classical " +
         std::to_string(nn::classical_branch_params(channels, hidden)) + " (MLP " + c + "-" + std::to_string(hidden) +
         "-" + c + "); using " + mode_name(model.bottleneck);
}

std::string untrainable_ansatz_warning(const ModelOptions& model, const QuantumOptions& quantum) {
  if (model.bottleneck != BottleneckKind::Quantum || quantum::ansatz_weights_can_train(quantum.ansatz)) return "";
  return "quantum.ansatz = " + mode_name(quantum.ansatz) +
         ": its weights cannot change the output (RZ is diagonal and CNOT a permutation, so <Z_i> does not "
         "depend on them); they will not train. Only the encoding angles and the read-out layer learn.";
}

}  // namespace qdiff::hybrid
