// A validated config resolved once into typed options, one struct per config section, which is
// all the library (io, quantum, nn, hybrid, diffusion, eval) ever sees of a config. Only the
// config layer (core/config, this file) and the top layers (sweep, cli) read keys by name;
// modes are enums (modes.hpp). Cross-key rules (beta_end >= beta_start, DDIM steps <= T, ...)
// are checked here, as ConfigError naming the key.
//
// Every field mirrors the key of the same name (`quantum.n_qubits` -> QuantumOptions::n_qubits);
// config_schema.cpp documents them. The structs are zero-initialised, not defaulted: the
// schema's defaults are the only ones (resolve_options(Config()) gives them).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/core/config.hpp"
#include "qdiff/core/modes.hpp"

namespace qdiff {

struct DataOptions {
  std::string path;
  std::string split;             // "train" | "val" | "test": a key prefix of the data file
  std::vector<int64_t> classes;  // empty: all labels
  int64_t n = 0;                 // exact number of images (0 = all)
  SubsetMode subset{};
  uint64_t seed = 0;
};

struct ModelOptions {
  Arch arch{};
  BottleneckKind bottleneck{};
  int base_channels = 0;          // large arch
  std::vector<int> channel_mult;  // large arch
  int groups = 0;                 // large arch
  int classical_hidden = 0;       // 0: match the quantum branch's parameter count
};

struct QuantumOptions {
  int n_qubits = 0, n_layers = 0;
  Ansatz ansatz{};
  Entangler entangler{};
  GradMethod gradient{};
  Precision precision{};
  int64_t shots = 0;  // 0: exact <Z_i>
  Reduce reduce{};
  // hardware noise (hybrid/quantum_branch turns these into a quantum::NoiseModel)
  Simulation simulation{};
  int trajectories = 0;
  double depolarizing = 0, depolarizing_2q = 0, amplitude_damping = 0, dephasing = 0, readout_error = 0;
  double t1 = 0, t2 = 0, gate_time_1q = 0, gate_time_2q = 0, gate_error_1q = 0, gate_error_2q = 0;  // t1 > 0: device preset
  // The first noise key that is set ("quantum.depolarizing_2q", ...; "quantum.t1" for the device
  // preset), "" without noise.
  std::string noise_key() const;
};
// The cross-key rules of the noise keys (noise_options.cpp): noise with simulation = statevector,
// float precision with a noisy simulation, the device preset (t1, t2 > 0, T2 <= 2 T1) with channel
// keys or gate errors without it. ConfigError naming the key.
void check_noise_options(const QuantumOptions& quantum);

struct DiffusionOptions {
  int T = 0;
  ScheduleKind schedule{};
  double beta_start = 0, beta_end = 0, cosine_s = 0, tailored_power = 0;
  TimestepKind timesteps{};
  double curriculum_start = 0, curriculum_end = 0, curriculum_width = 0;
  int importance_history = 0;
  NoiseKind noise{};
  int noise_qubits = 0;
};

struct TrainingOptions {
  int64_t steps = 0;
  int batch = 0;
  double lr = 0;
  OptimizerKind optimizer{};
  double weight_decay = 0, grad_clip = 0, ema_decay = 0;
  bool ema_warmup = false;
  uint64_t seed = 0;
  int64_t log_every = 0, ckpt_every = 0, sample_every = 0;
  int64_t keep_checkpoints = 0;  // 0: keep every periodic checkpoint
  int threads = 0;  // 0: all cores
  MatmulPrecision precision{};
};

// Also what the samplers take (diffusion/sampler.hpp); `n` is the size of the final grid.
struct SampleOptions {
  SamplerKind sampler{};
  int steps = 0;        // DDIM steps S (DDPM always runs all T)
  double eta = 0;       // DDIM eta: 0 deterministic, 1 ~ DDPM-like variance
  bool clip_x0 = false;  // clip the predicted x0 to [-1, 1]
  int64_t n = 0;
  MatmulPrecision precision{};  // the U-Net's arithmetic while sampling (generate_images)
};

// One run's options, and the resolved config they came from (recorded verbatim in checkpoints
// and config.json; the library never reads it).
struct RunOptions {
  DataOptions data;
  ModelOptions model;
  QuantumOptions quantum;
  DiffusionOptions diffusion;
  TrainingOptions train;
  SampleOptions sample;
  json config;
};

RunOptions resolve_options(const Config& cfg);
// The same from a resolved config stored in a file (a checkpoint's), after `overrides`
// ({"sample.steps": 20, ...}, validated like --set). A stored config this qdiff does not accept
// is a FileError naming `source`; a bad override or cross-key rule a ConfigError.
RunOptions resolve_options(const json& stored, const std::string& source, const json& overrides = json::object());

// The config with the keys its run never reads reset to their defaults: without a quantum
// bottleneck, the circuit's noise and simulation keys (quantum.simulation, trajectories, the
// channel strengths, the device preset). The classical twin keeps n_qubits, n_layers, ansatz and
// reduce, which size it. Two configs with the same run_identity().hash() train the same weights
// and draw the same samples bit for bit (tested), so a sweep runs them once.
Config run_identity(const Config& cfg);

}  // namespace qdiff
