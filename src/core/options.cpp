#include "qdiff/core/options.hpp"

#include "qdiff/core/error.hpp"

namespace qdiff {
namespace {

// The mode a string key names (the schema has already checked that it is one of them).
template <class E>
E mode(const Config& cfg, const std::string& key) {
  return parse_mode<E>(cfg.str(key));
}

int as_int(int64_t v) { return static_cast<int>(v); }

DataOptions data_options(const Config& c) {
  DataOptions o;
  o.path = c.str("data.path");
  o.split = c.str("data.split");
  o.classes = c.ints("data.classes");
  o.n = c.integer("data.n");
  o.subset = mode<SubsetMode>(c, "data.subset");
  o.seed = static_cast<uint64_t>(c.integer("data.seed"));
  return o;
}

ModelOptions model_options(const Config& c) {
  ModelOptions o;
  o.arch = mode<Arch>(c, "model.arch");
  o.bottleneck = mode<BottleneckKind>(c, "model.bottleneck");
  o.base_channels = as_int(c.integer("model.base_channels"));
  for (int64_t m : c.ints("model.channel_mult")) o.channel_mult.push_back(as_int(m));
  o.groups = as_int(c.integer("model.groups"));
  o.classical_hidden = as_int(c.integer("model.classical_hidden"));
  return o;
}

QuantumOptions quantum_options(const Config& c) {
  QuantumOptions o;
  o.n_qubits = as_int(c.integer("quantum.n_qubits"));
  o.n_layers = as_int(c.integer("quantum.n_layers"));
  o.ansatz = mode<Ansatz>(c, "quantum.ansatz");
  o.entangler = mode<Entangler>(c, "quantum.entangler");
  o.gradient = mode<GradMethod>(c, "quantum.gradient");
  o.precision = mode<Precision>(c, "quantum.precision");
  o.shots = c.integer("quantum.shots");
  o.reduce = mode<Reduce>(c, "quantum.reduce");
  o.simulation = mode<Simulation>(c, "quantum.simulation");
  o.trajectories = as_int(c.integer("quantum.trajectories"));
  o.depolarizing = c.number("quantum.depolarizing");
  o.depolarizing_2q = c.number("quantum.depolarizing_2q");
  o.amplitude_damping = c.number("quantum.amplitude_damping");
  o.dephasing = c.number("quantum.dephasing");
  o.readout_error = c.number("quantum.readout_error");
  o.t1 = c.number("quantum.t1");
  o.t2 = c.number("quantum.t2");
  o.gate_time_1q = c.number("quantum.gate_time_1q");
  o.gate_time_2q = c.number("quantum.gate_time_2q");
  o.gate_error_1q = c.number("quantum.gate_error_1q");
  o.gate_error_2q = c.number("quantum.gate_error_2q");
  check_noise_options(o);
  return o;
}

DiffusionOptions diffusion_options(const Config& c) {
  DiffusionOptions o;
  o.T = as_int(c.integer("diffusion.T"));
  o.schedule = mode<ScheduleKind>(c, "diffusion.schedule");
  o.beta_start = c.number("diffusion.beta_start");
  o.beta_end = c.number("diffusion.beta_end");
  o.cosine_s = c.number("diffusion.cosine_s");
  o.tailored_power = c.number("diffusion.tailored_power");
  o.timesteps = mode<TimestepKind>(c, "diffusion.timesteps");
  o.curriculum_start = c.number("diffusion.curriculum_start");
  o.curriculum_end = c.number("diffusion.curriculum_end");
  o.curriculum_width = c.number("diffusion.curriculum_width");
  o.importance_history = as_int(c.integer("diffusion.importance_history"));
  o.noise = mode<NoiseKind>(c, "diffusion.noise");
  o.noise_qubits = as_int(c.integer("diffusion.noise_qubits"));
  const bool linear_ends = o.schedule == ScheduleKind::Linear || o.schedule == ScheduleKind::Sigmoid;
  if (linear_ends && o.beta_end < o.beta_start)
    throw ConfigError("diffusion.beta_end",
                      "must be >= diffusion.beta_start for the " + mode_name(o.schedule) + " schedule");
  if (o.schedule == ScheduleKind::Tailored && !(o.beta_start < 0.5))
    throw ConfigError("diffusion.beta_start", "must be < 0.5 for the tailored schedule");
  return o;
}

TrainingOptions training_options(const Config& c) {
  TrainingOptions o;
  o.steps = c.integer("train.steps");
  o.batch = as_int(c.integer("train.batch"));
  o.lr = c.number("train.lr");
  o.optimizer = mode<OptimizerKind>(c, "train.optimizer");
  o.weight_decay = c.number("train.weight_decay");
  o.grad_clip = c.number("train.grad_clip");
  o.ema_decay = c.number("train.ema_decay");
  o.ema_warmup = c.flag("train.ema_warmup");
  o.seed = static_cast<uint64_t>(c.integer("train.seed"));
  o.log_every = c.integer("train.log_every");
  o.ckpt_every = c.integer("train.ckpt_every");
  o.sample_every = c.integer("train.sample_every");
  o.keep_checkpoints = c.integer("train.keep_checkpoints");
  o.threads = as_int(c.integer("train.threads"));
  o.precision = mode<MatmulPrecision>(c, "train.precision");
  return o;
}

SampleOptions sample_options(const Config& c, int T) {
  SampleOptions o;
  o.sampler = mode<SamplerKind>(c, "sample.sampler");
  o.steps = as_int(c.integer("sample.steps"));
  if (o.sampler == SamplerKind::Ddim && (o.steps < 1 || o.steps > T))
    throw ConfigError("sample.steps", "must be in [1, diffusion.T = " + std::to_string(T) + "] for DDIM");
  o.eta = c.number("sample.eta");
  o.clip_x0 = c.flag("sample.clip_x0");
  o.n = c.integer("sample.n");
  o.precision = mode<MatmulPrecision>(c, "sample.precision");
  return o;
}

}  // namespace

RunOptions resolve_options(const Config& cfg) {
  RunOptions r;
  r.data = data_options(cfg);
  r.model = model_options(cfg);
  r.quantum = quantum_options(cfg);
  r.diffusion = diffusion_options(cfg);
  r.train = training_options(cfg);
  r.sample = sample_options(cfg, r.diffusion.T);
  r.config = cfg.resolved();
  return r;
}

RunOptions resolve_options(const json& stored, const std::string& source, const json& overrides) {
  Config cfg;
  try {
    cfg = Config::from_json(stored, source);
  } catch (const ConfigError& e) {
    throw FileError(source, std::string("stored config is not valid for this qdiff: ") + e.what());
  }
  for (auto it = overrides.begin(); it != overrides.end(); ++it) cfg.set_value(it.key(), it.value());
  return resolve_options(cfg);
}

Config run_identity(const Config& cfg) {
  Config id = cfg;
  if (cfg.resolved()["model"]["bottleneck"] != "quantum") {
    static const char* const kCircuitOnly[] = {
        "quantum.simulation",  "quantum.trajectories", "quantum.depolarizing", "quantum.depolarizing_2q",
        "quantum.amplitude_damping", "quantum.dephasing", "quantum.readout_error", "quantum.t1",
        "quantum.t2",          "quantum.gate_time_1q", "quantum.gate_time_2q", "quantum.gate_error_1q",
        "quantum.gate_error_2q"};
    for (const char* key : kCircuitOnly) id.set_value(key, find_key(key)->default_value);
  }
  return id;
}

}  // namespace qdiff
