// The one place that lists every configuration key, its default, range and meaning.
#include "qdiff/core/config.hpp"

namespace qdiff {

const std::vector<KeySpec>& config_schema() {
  using T = KeyType;
  static const std::vector<KeySpec> schema = {
      // ---- data -----------------------------------------------------------------
      {"data.path", T::String, "data/mnist.npz", -1e300, 1e300, {}, "image file: .npz (MedMNIST or Keras keys) or IDX .gz"},
      {"data.split", T::String, "train", -1e300, 1e300, {"train", "val", "test"}, "which split to train on"},
      {"data.classes", T::IntList, json::array(), 0, 1000, {}, "keep only these labels ([] = all)"},
      {"data.n", T::Int, 100, 0, 1e9, {}, "exact number of training images (0 = all); the low-data knob"},
      {"data.subset", T::String, "balanced", -1e300, 1e300, {"random", "balanced"}, "how the n images are chosen"},
      {"data.seed", T::Int, 0, 0, 4294967295.0, {}, "seed of the subset selection"},
      // ---- model ----------------------------------------------------------------
      {"model.arch", T::String, "paper", -1e300, 1e300, {"paper", "large"}, "paper: reference U-Net of DESIGN.md; large: GroupNorm+SiLU U-Net"},
      {"model.bottleneck", T::String, "quantum", -1e300, 1e300, {"quantum", "classical", "none"}, "branch that scales the bottleneck channels"},
      {"model.base_channels", T::Int, 32, 4, 512, {}, "large arch: channels at full resolution"},
      {"model.channel_mult", T::IntList, json::array({1, 2, 4}), 1, 16, {}, "large arch: channel multiplier per resolution"},
      {"model.groups", T::Int, 8, 1, 64, {}, "large arch: GroupNorm groups"},
      {"model.classical_hidden", T::Int, 0, 0, 4096, {}, "classical bottleneck MLP hidden width (0 = match the quantum parameter count)"},
      // ---- quantum bottleneck ----------------------------------------------------
      {"quantum.n_qubits", T::Int, 8, 1, 24, {}, "qubits of the bottleneck circuit"},
      {"quantum.n_layers", T::Int, 3, 1, 64, {}, "variational layers"},
      {"quantum.ansatz", T::String, "default", -1e300, 1e300, {"default", "paper", "strong"}, "default: RY(w)RZ(w)+entangler per layer; paper: RZ(w)+CNOT chain (weights cannot train); strong: strongly entangling Rot layers"},
      {"quantum.entangler", T::String, "ring", -1e300, 1e300, {"chain", "ring", "all"}, "CNOT pattern of each layer"},
      {"quantum.gradient", T::String, "adjoint", -1e300, 1e300, {"adjoint", "parameter_shift"}, "gradient method of the circuit"},
      {"quantum.precision", T::String, "double", -1e300, 1e300, {"double", "float"}, "simulator amplitudes: double (the reference) or float (16-qubit circuit 1.7-1.9x faster, gradients within ~3e-6 of double; bench/RESULTS.md)"},
      {"quantum.shots", T::Int, 0, 0, 1e9, {}, "0 = exact <Z_i>; otherwise finite-shot estimates"},
      {"quantum.reduce", T::String, "pool", -1e300, 1e300, {"pool", "linear"}, "128 -> n_qubits: adaptive average pool (paper) or Linear"},
      // ---- diffusion --------------------------------------------------------------
      {"diffusion.T", T::Int, 1000, 2, 100000, {}, "number of diffusion steps"},
      {"diffusion.schedule", T::String, "linear", -1e300, 1e300, {"linear", "cosine", "sigmoid", "tailored"}, "beta schedule"},
      {"diffusion.beta_start", T::Float, 1e-4, 1e-8, 0.5, {}, "first beta (linear, sigmoid)"},
      {"diffusion.beta_end", T::Float, 0.02, 1e-6, 0.999, {}, "last beta (linear, sigmoid)"},
      {"diffusion.cosine_s", T::Float, 0.008, 0.0, 1.0, {}, "cosine schedule offset s"},
      {"diffusion.tailored_power", T::Float, 2.0, 0.1, 10.0, {}, "tailored schedule: exponent of the SNR decay shape"},
      {"diffusion.timesteps", T::String, "uniform", -1e300, 1e300, {"uniform", "curriculum", "importance"}, "distribution training draws t from"},
      {"diffusion.curriculum_start", T::Float, 0.7, 0.0, 1.0, {}, "curriculum: centre of emphasis (fraction of T) at step 0"},
      {"diffusion.curriculum_end", T::Float, 0.3, 0.0, 1.0, {}, "curriculum: centre of emphasis at the last step"},
      {"diffusion.curriculum_width", T::Float, 0.35, 0.01, 10.0, {}, "curriculum: width of the emphasis (fraction of T)"},
      {"diffusion.importance_history", T::Int, 10, 1, 1000, {}, "importance sampling: losses remembered per timestep"},
      {"diffusion.noise", T::String, "gaussian", -1e300, 1e300, {"gaussian", "quantum"}, "source of the diffusion noise eps"},
      {"diffusion.noise_qubits", T::Int, 12, 2, 24, {}, "quantum noise: qubits of the Born-rule sampling circuit"},
      // ---- training ----------------------------------------------------------------
      {"train.steps", T::Int, 2000, 1, 1e9, {}, "optimizer steps"},
      {"train.batch", T::Int, 64, 1, 4096, {}, "batch size (capped at n images when fewer)"},
      {"train.lr", T::Float, 3e-4, 0.0, 1.0, {}, "learning rate"},
      {"train.optimizer", T::String, "adam", -1e300, 1e300, {"adam", "adamw"}, "optimizer"},
      {"train.weight_decay", T::Float, 0.0, 0.0, 1.0, {}, "AdamW decoupled weight decay"},
      {"train.grad_clip", T::Float, 1.0, 0.0, 1e6, {}, "global gradient-norm clip (0 = off)"},
      {"train.ema_decay", T::Float, 0.999, 0.0, 1.0, {}, "EMA decay ceiling"},
      {"train.ema_warmup", T::Bool, true, -1e300, 1e300, {}, "EMA decay min(decay, (1+step)/(10+step))"},
      {"train.seed", T::Int, 0, 0, 4294967295.0, {}, "seed of initialization, batches, timesteps and noise"},
      {"train.log_every", T::Int, 50, 1, 1e9, {}, "steps between metrics CSV rows"},
      {"train.ckpt_every", T::Int, 500, 0, 1e9, {}, "steps between checkpoints (0 = only at the end)"},
      {"train.sample_every", T::Int, 0, 0, 1e9, {}, "steps between preview grids (0 = only at the end)"},
      {"train.threads", T::Int, 0, 0, 256, {}, "OpenMP threads (0 = all cores)"},
      {"train.precision", T::String, "float32", -1e300, 1e300, {"float32", "bf16"}, "U-Net matrix products: float32 (the reference) or bf16 mixed precision (bfloat16 operands, float32 sums, weights and state; needs AVX512_BF16)"},
      // ---- sampling --------------------------------------------------------------
      {"sample.sampler", T::String, "ddim", -1e300, 1e300, {"ddpm", "ddim"}, "sampler for preview and final grids"},
      {"sample.steps", T::Int, 50, 1, 100000, {}, "DDIM steps (DDPM always uses T)"},
      {"sample.eta", T::Float, 0.0, 0.0, 1.0, {}, "DDIM eta (0 = deterministic)"},
      {"sample.n", T::Int, 64, 1, 1e7, {}, "images in the final grid"},
      {"sample.clip_x0", T::Bool, true, -1e300, 1e300, {}, "clip predicted x0 to [-1, 1]"},
      {"sample.precision", T::String, "float32", -1e300, 1e300, {"float32", "bf16"}, "U-Net matrix products when sampling: float32 or bf16 (as train.precision)"},
  };
  return schema;
}

}  // namespace qdiff
