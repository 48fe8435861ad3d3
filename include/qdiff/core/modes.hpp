// The named modes of a run (`model.arch = large`, `quantum.ansatz = strong`, ...) as enums, each
// with its names in one table. The table is the single source of a mode's spellings: the config
// schema's allowed values (config_schema.cpp), the parsing of a resolved config (options.cpp)
// and every name printed in logs come from it. Library code compares enums, never strings.
//
//   parse_mode<Ansatz>("strong") == Ansatz::Strong   (unknown names: InvalidArgument listing the valid ones)
//   mode_name(Ansatz::Strong) == "strong"
#pragma once
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qdiff {

enum class SubsetMode { Random, Balanced };                    // data.subset
enum class Arch { Paper, Large };                              // model.arch
enum class BottleneckKind { Quantum, Classical, None };        // model.bottleneck
enum class Ansatz { Default, Paper, Strong };                  // quantum.ansatz
enum class Entangler { Chain, Ring, All };                     // quantum.entangler
enum class GradMethod { Adjoint, ParameterShift };             // quantum.gradient
enum class Precision { Double, Float };                        // quantum.precision
enum class Reduce { Pool, Linear };                            // quantum.reduce
enum class Simulation { Statevector, DensityMatrix, Trajectories, Auto };  // quantum.simulation
enum class ScheduleKind { Linear, Cosine, Sigmoid, Tailored };  // diffusion.schedule
enum class TimestepKind { Uniform, Curriculum, Importance };   // diffusion.timesteps
enum class NoiseKind { Gaussian, Quantum };                    // diffusion.noise
enum class OptimizerKind { Adam, AdamW };                      // train.optimizer
enum class SamplerKind { Ddpm, Ddim };                         // sample.sampler
enum class MatmulPrecision { Float32, BF16 };                  // train.precision, sample.precision (the U-Net's GEMMs)

// names[i] spells the enumerator with value i; `what` names the mode in errors.
template <class E>
struct ModeNames;

#define QDIFF_MODE_NAMES(E, WHAT, ...)                                      \
  template <>                                                               \
  struct ModeNames<E> {                                                     \
    static constexpr std::string_view what = WHAT;                          \
    static constexpr std::array names = std::to_array<std::string_view>({__VA_ARGS__}); \
  };
QDIFF_MODE_NAMES(SubsetMode, "subset mode", "random", "balanced")
QDIFF_MODE_NAMES(Arch, "U-Net arch", "paper", "large")
QDIFF_MODE_NAMES(BottleneckKind, "bottleneck", "quantum", "classical", "none")
QDIFF_MODE_NAMES(Ansatz, "ansatz", "default", "paper", "strong")
QDIFF_MODE_NAMES(Entangler, "entangler", "chain", "ring", "all")
QDIFF_MODE_NAMES(GradMethod, "gradient method", "adjoint", "parameter_shift")
QDIFF_MODE_NAMES(Precision, "simulator precision", "double", "float")
QDIFF_MODE_NAMES(Reduce, "reduce", "pool", "linear")
QDIFF_MODE_NAMES(Simulation, "quantum simulation", "statevector", "density_matrix", "trajectories", "auto")
QDIFF_MODE_NAMES(ScheduleKind, "diffusion schedule", "linear", "cosine", "sigmoid", "tailored")
QDIFF_MODE_NAMES(TimestepKind, "timestep sampling", "uniform", "curriculum", "importance")
QDIFF_MODE_NAMES(NoiseKind, "noise source", "gaussian", "quantum")
QDIFF_MODE_NAMES(OptimizerKind, "optimizer", "adam", "adamw")
QDIFF_MODE_NAMES(SamplerKind, "sampler", "ddpm", "ddim")
QDIFF_MODE_NAMES(MatmulPrecision, "U-Net precision", "float32", "bf16")
#undef QDIFF_MODE_NAMES

// Throws InvalidArgument: "unknown <what> '<name>' (use a, b or c)".
[[noreturn]] void throw_unknown_mode(std::string_view what, std::string_view name,
                                     std::span<const std::string_view> names);

template <class E>
std::string mode_name(E e) {
  return std::string(ModeNames<E>::names.at(static_cast<size_t>(e)));
}

template <class E>
E parse_mode(std::string_view name) {
  const auto& names = ModeNames<E>::names;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<E>(i);
  throw_unknown_mode(ModeNames<E>::what, name, names);
}

// Every name of E, in enumerator order (the schema's allowed values).
template <class E>
std::vector<std::string> mode_names() {
  return {ModeNames<E>::names.begin(), ModeNames<E>::names.end()};
}

}  // namespace qdiff
