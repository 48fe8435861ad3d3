#include "qdiff/diffusion/training_state.hpp"

#include "qdiff/core/error.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"

namespace qdiff::diffusion {
namespace {

constexpr uint64_t kNoiseSeedSalt = 0x6e6f697365ull;  // the noise stream: a fork of train.seed

nn::AdamOptions adam_options(const TrainingOptions& train) {
  nn::AdamOptions o;
  o.lr = train.lr;
  o.weight_decay = train.weight_decay;
  o.decoupled = train.optimizer == OptimizerKind::AdamW;
  return o;
}

hybrid::QuantumBranch* quantum_branch(nn::UNet& model) {
  return dynamic_cast<hybrid::QuantumBranch*>(model.branch());
}

std::vector<uint8_t> json_blob(const json& j) {
  const std::string s = j.dump();
  return {s.begin(), s.end()};
}

// Hands the JSON of the checkpoint's blob `name` to `load`. A missing blob, one that is not JSON
// or JSON of the wrong shape (any nlohmann::json exception), or one `load` rejects, is a
// FileError naming the file and the blob.
template <class Load>
void load_blob(const nn::Checkpoint& ck, const std::string& name, const std::string& path, Load&& load) {
  const auto* b = ck.find_blob(name);
  if (!b) throw FileError(path, "checkpoint lacks '" + name + "' needed to resume");
  try {
    load(json::parse(std::string(b->begin(), b->end())));
  } catch (const json::exception& e) {
    throw FileError(path, "cannot resume: checkpoint blob '" + name + "' is malformed: " + e.what());
  } catch (const InvalidArgument& e) {
    throw FileError(path, "cannot resume: checkpoint blob '" + name + "': " + e.what());
  }
}

}  // namespace

TrainingState::TrainingState(const RunOptions& run, int in_channels, int image_size)
    : model(hybrid::build_model(run.model, run.quantum, in_channels, run.train.seed, image_size)),
      adam(model->num_params(), adam_options(run.train)),
      ema(model->params(), run.train.ema_decay, run.train.ema_warmup),
      noise(make_noise_source(run.diffusion, run.train.seed ^ kNoiseSeedSalt)),
      timesteps(make_timestep_sampler(run.diffusion)) {
  model->set_precision(run.train.precision);
}

uint64_t TrainingState::branch_calls() const {
  const auto* qb = quantum_branch(*model);
  return qb ? qb->forward_calls() : 0;
}

void TrainingState::set_branch_calls(uint64_t calls) {
  if (auto* qb = quantum_branch(*model)) qb->set_forward_calls(calls);
}

void TrainingState::set_branch_first_sample(int64_t first) {
  if (auto* qb = quantum_branch(*model)) qb->set_first_sample(first);
}

nn::Checkpoint TrainingState::save(const json& config, json meta) const {
  meta["step"] = step;
  if (quantum_branch(*model)) meta["branch_calls"] = branch_calls();
  nn::Checkpoint ck = nn::make_checkpoint(config, meta, model->registry(), &ema, &adam);
  ck.add_blob("noise_state", json_blob(noise->state()));
  ck.add_blob("timestep_state", json_blob(timesteps->state()));
  return ck;
}

void TrainingState::restore(const nn::Checkpoint& ck, const std::string& path, const json& config) {
  nn::require_same_model_config(ck, config, path);
  nn::restore_checkpoint(ck, path, model->registry(), &ema, &adam);
  if (!ck.meta.contains("step")) throw FileError(path, "checkpoint lacks 'step' needed to resume");
  try {
    step = ck.meta.at("step").get<int64_t>();
    set_branch_calls(ck.meta.value("branch_calls", uint64_t(0)));
  } catch (const json::exception& e) {
    throw FileError(path, std::string("cannot resume: checkpoint metadata 'step' or 'branch_calls' is malformed: ") +
                              e.what());
  }
  load_blob(ck, "noise_state", path, [&](const json& j) { noise->set_state(j); });
  load_blob(ck, "timestep_state", path, [&](const json& j) { timesteps->load_state(j); });
}

}  // namespace qdiff::diffusion
