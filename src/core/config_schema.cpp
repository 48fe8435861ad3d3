// The one place that lists every configuration key, its default, range and meaning. The allowed
// values of a mode key are its enum's names (modes.hpp).
#include "qdiff/core/config.hpp"
#include "qdiff/core/modes.hpp"

namespace qdiff {
namespace {

// Named bounds of the numeric keys.
constexpr double kMaxSeed = 4294967295.0;  // seeds are 32-bit
constexpr double kMaxCount = 1e9;          // steps, images, intervals: "as many as you like"

KeySpec integer(std::string key, int64_t def, double min, double max, std::string doc) {
  return {std::move(key), KeyType::Int, def, min, max, {}, std::move(doc)};
}
KeySpec number(std::string key, double def, double min, double max, std::string doc) {
  return {std::move(key), KeyType::Float, def, min, max, {}, std::move(doc)};
}
KeySpec int_list(std::string key, json def, double min, double max, std::string doc) {
  return {std::move(key), KeyType::IntList, std::move(def), min, max, {}, std::move(doc)};
}
KeySpec flag(std::string key, bool def, std::string doc) {
  KeySpec s;
  s.key = std::move(key), s.type = KeyType::Bool, s.default_value = def, s.doc = std::move(doc);
  return s;
}
// A string, one of `choices` (any string when empty).
KeySpec text(std::string key, std::string def, std::vector<std::string> choices, std::string doc) {
  KeySpec s;
  s.key = std::move(key), s.type = KeyType::String, s.default_value = std::move(def);
  s.choices = std::move(choices), s.doc = std::move(doc);
  return s;
}
// A mode: one of the names of E.
template <class E>
KeySpec mode(std::string key, E def, std::string doc) {
  return text(std::move(key), mode_name(def), mode_names<E>(), std::move(doc));
}

}  // namespace

const std::vector<KeySpec>& config_schema() {
  static const std::vector<KeySpec> schema = {
      // ---- data -----------------------------------------------------------------
      text("data.path", "data/mnist.npz", {}, "image file: .npz (MedMNIST or Keras keys) or IDX .gz"),
      text("data.split", "train", {"train", "val", "test"}, "which split to train on"),
      int_list("data.classes", json::array(), 0, 1000, "keep only these labels ([] = all)"),
      integer("data.n", 100, 0, kMaxCount, "exact number of training images (0 = all); the low-data knob"),
      mode("data.subset", SubsetMode::Balanced, "how the n images are chosen"),
      integer("data.seed", 0, 0, kMaxSeed, "seed of the subset selection"),
      // ---- model ----------------------------------------------------------------
      mode("model.arch", Arch::Paper, "paper: the source paper's U-Net (ReLU ResBlocks, 32/64/128 channels); large: GroupNorm+SiLU U-Net"),
      mode("model.bottleneck", BottleneckKind::Quantum, "branch that scales the bottleneck channels"),
      integer("model.base_channels", 32, 4, 512, "large arch: channels at full resolution"),
      int_list("model.channel_mult", json::array({1, 2, 4}), 1, 16, "large arch: channel multiplier per resolution"),
      integer("model.groups", 8, 1, 64, "large arch: GroupNorm groups"),
      integer("model.classical_hidden", 0, 0, 4096, "classical bottleneck MLP hidden width (0 = match the quantum parameter count)"),
      // ---- quantum bottleneck ----------------------------------------------------
      integer("quantum.n_qubits", 8, 1, 24, "qubits of the bottleneck circuit"),
      integer("quantum.n_layers", 3, 1, 64, "variational layers"),
      mode("quantum.ansatz", Ansatz::Default, "default: RY(w)RZ(w)+entangler per layer; paper: RZ(w)+CNOT chain (weights cannot train); strong: strongly entangling Rot layers"),
      mode("quantum.entangler", Entangler::Ring, "CNOT pattern of each layer"),
      mode("quantum.gradient", GradMethod::Adjoint, "gradient method of the circuit"),
      mode("quantum.precision", Precision::Double, "simulator amplitudes: double (the reference) or float (16-qubit circuit 1.7-1.9x faster, gradients within ~3e-6 of double; bench/RESULTS.md)"),
      integer("quantum.shots", 0, 0, kMaxCount, "0 = exact <Z_i>; otherwise finite-shot estimates"),
      mode("quantum.reduce", Reduce::Pool, "bottleneck channels -> n_qubits: adaptive average pool (paper) or Linear"),
      // hardware noise of the circuit (quantum/noise.hpp; every strength a probability per gate)
      mode("quantum.simulation", Simulation::Auto, "statevector (noiseless), density_matrix (exact under noise, up to ~12 qubits), trajectories (Monte Carlo, larger circuits), auto: statevector without noise, with noise density_matrix up to 10 qubits, else trajectories"),
      integer("quantum.trajectories", 64, 1, 1e6, "Monte Carlo trajectories per sample (trajectories simulation); with shots, each trajectory measures shots / trajectories of them"),
      number("quantum.depolarizing", 0.0, 0.0, 1.0, "depolarizing probability p after every single-qubit gate (<Z> -> (1 - 4p/3) <Z>)"),
      number("quantum.depolarizing_2q", 0.0, 0.0, 1.0, "two-qubit depolarizing probability p after every two-qubit gate (15 Paulis, p/15 each)"),
      number("quantum.amplitude_damping", 0.0, 0.0, 1.0, "amplitude damping (T1) gamma after every gate, on each of its qubits"),
      number("quantum.dephasing", 0.0, 0.0, 1.0, "phase damping (T2) lambda after every gate, on each of its qubits"),
      number("quantum.readout_error", 0.0, 0.0, 1.0, "bit-flip probability of every measured qubit (<Z> -> (1 - 2r) <Z>; shots flip bits)"),
      number("quantum.t1", 0.0, 0.0, 1e12, "device preset: T1 (0 = no preset); with t2 and the gate times sets every channel, see README"),
      number("quantum.t2", 0.0, 0.0, 1e12, "device preset: T2 (<= 2 T1; same unit as t1)"),
      number("quantum.gate_time_1q", 0.035, 0.0, 1e12, "device preset: single-qubit gate duration (unit of t1)"),
      number("quantum.gate_time_2q", 0.3, 0.0, 1e12, "device preset: two-qubit gate duration (unit of t1)"),
      number("quantum.gate_error_1q", 0.0, 0.0, 2.0 / 3.0, "device preset: single-qubit gate infidelity beyond T1/T2 (depolarizing p = 3e/2)"),
      number("quantum.gate_error_2q", 0.0, 0.0, 0.8, "device preset: two-qubit gate infidelity beyond T1/T2 (depolarizing p = 5e/4)"),
      // ---- diffusion --------------------------------------------------------------
      integer("diffusion.T", 1000, 2, 100000, "number of diffusion steps"),
      mode("diffusion.schedule", ScheduleKind::Linear, "beta schedule"),
      number("diffusion.beta_start", 1e-4, 1e-8, 0.5, "first beta (linear, sigmoid)"),
      number("diffusion.beta_end", 0.02, 1e-6, 0.999, "last beta (linear, sigmoid)"),
      number("diffusion.cosine_s", 0.008, 0.0, 1.0, "cosine schedule offset s"),
      number("diffusion.tailored_power", 2.0, 0.1, 10.0, "tailored schedule: exponent of the SNR decay shape"),
      mode("diffusion.timesteps", TimestepKind::Uniform, "distribution training draws t from"),
      number("diffusion.curriculum_start", 0.7, 0.0, 1.0, "curriculum: centre of emphasis (fraction of T) at step 0"),
      number("diffusion.curriculum_end", 0.3, 0.0, 1.0, "curriculum: centre of emphasis at the last step"),
      number("diffusion.curriculum_width", 0.35, 0.01, 10.0, "curriculum: width of the emphasis (fraction of T)"),
      integer("diffusion.importance_history", 10, 1, 1000, "importance sampling: losses remembered per timestep"),
      mode("diffusion.noise", NoiseKind::Gaussian, "source of the diffusion noise eps"),
      integer("diffusion.noise_qubits", 12, 2, 24, "quantum noise: qubits of the Born-rule sampling circuit"),
      // ---- training ----------------------------------------------------------------
      integer("train.steps", 2000, 1, kMaxCount, "optimizer steps"),
      integer("train.batch", 64, 1, 4096, "batch size (capped at n images when fewer)"),
      number("train.lr", 3e-4, 0.0, 1.0, "learning rate"),
      mode("train.optimizer", OptimizerKind::Adam, "optimizer"),
      number("train.weight_decay", 0.0, 0.0, 1.0, "AdamW decoupled weight decay"),
      number("train.grad_clip", 1.0, 0.0, 1e6, "global gradient-norm clip (0 = off)"),
      number("train.ema_decay", 0.999, 0.0, 1.0, "EMA decay ceiling"),
      flag("train.ema_warmup", true, "EMA decay min(decay, (1+step)/(10+step))"),
      integer("train.seed", 0, 0, kMaxSeed, "seed of initialization, batches, timesteps and noise"),
      integer("train.log_every", 50, 1, kMaxCount, "steps between metrics CSV rows"),
      integer("train.ckpt_every", 500, 0, kMaxCount, "steps between checkpoints (0 = only at the end)"),
      integer("train.keep_checkpoints", 0, 0, kMaxCount,
              "periodic checkpoints kept: after writing one, all but the last K ckpt_<step>.bin are deleted "
              "(0 = keep all; model.bin always stays)"),
      integer("train.sample_every", 0, 0, kMaxCount, "steps between preview grids (0 = only at the end)"),
      integer("train.threads", 0, 0, 256, "OpenMP threads (0 = all cores)"),
      mode("train.precision", MatmulPrecision::Float32, "U-Net matrix products: float32 (the reference) or bf16 mixed precision (bfloat16 operands, float32 sums, weights and state; needs AVX512_BF16)"),
      // ---- sampling --------------------------------------------------------------
      mode("sample.sampler", SamplerKind::Ddim, "sampler for preview and final grids"),
      integer("sample.steps", 50, 1, 100000, "DDIM steps (DDPM always uses T)"),
      number("sample.eta", 0.0, 0.0, 1.0, "DDIM eta (0 = deterministic)"),
      integer("sample.n", 64, 1, 1e7, "images in the final grid"),
      flag("sample.clip_x0", true, "clip predicted x0 to [-1, 1]"),
      mode("sample.precision", MatmulPrecision::Float32, "U-Net matrix products when sampling: float32 or bf16 (as train.precision)"),
  };
  return schema;
}

}  // namespace qdiff
