// Intrinsic quantum-generated noise (diffusion.noise = "quantum"): standard normals produced by
// Born-rule sampling of a simulated circuit.
//   circuit: H on every qubit, then a CZ ring and T phases (n = diffusion.noise_qubits). Phases do
//            not change |amplitude|^2, so every bitstring has probability exactly 2^-n: a
//            measurement yields n fair bits. (On hardware, device noise would bias them.)
//   bits -> uniforms: 53 measured bits per double in (0, 1)
//   uniforms -> normals: Box-Muller, both variates used.
// The simulator's measurement draws its own randomness from a seeded qdiff::Rng, so the stream is
// reproducible; its statistics are checked by `qdiff noise` and the tests. Honest caveat: a
// *simulated* quantum source is, at bottom, driven by a classical PRNG; what it adds is the
// pipeline of a real device (swap the sampler for hardware shots) and its finite-shot structure.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "qdiff/core/options.hpp"
#include "qdiff/diffusion/noise.hpp"
#include "qdiff/quantum/state.hpp"

namespace qdiff::diffusion {

class QuantumNoise final : public NoiseSource {
 public:
  QuantumNoise(int n_qubits, uint64_t seed);
  std::string name() const override { return "quantum"; }
  void fill_normal(float* out, int64_t n) override;
  nlohmann::json state() const override;
  void set_state(const nlohmann::json& state) override;
  // Next 53-bit uniform in (0, 1) built from measured bits.
  double next_uniform();
  int n_qubits() const { return state_.n_qubits(); }

 private:
  quantum::StateVector state_;
  Rng rng_;
  std::vector<uint64_t> shots_;  // measured bitstrings not yet consumed
  size_t next_shot_ = 0;
  uint64_t bit_buffer_ = 0;  // measured bits not yet used, low bits first
  int bits_ = 0;
  double spare_ = 0.0;
  bool has_spare_ = false;
  uint64_t next_bits(int k);
};

// The source the options' `noise` names (quantum: noise_qubits qubits), seeded with `seed`.
std::unique_ptr<NoiseSource> make_noise_source(const DiffusionOptions& diffusion, uint64_t seed);

}  // namespace qdiff::diffusion
