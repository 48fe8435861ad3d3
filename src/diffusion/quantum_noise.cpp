#include "qdiff/diffusion/quantum_noise.hpp"

#include <bit>
#include <cmath>
#include <numbers>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/sampling.hpp"

namespace qdiff::diffusion {
namespace {
constexpr int64_t kShotsPerDraw = 4096;  // bitstrings sampled per Born-rule call
}

QuantumNoise::QuantumNoise(int n_qubits, uint64_t seed) : state_(n_qubits), rng_(seed) {
  if (n_qubits < 2 || n_qubits > 24) throw InvalidArgument("quantum noise needs 2..24 qubits");
  state_.set_zero_state();
  for (int q = 0; q < n_qubits; ++q) state_.apply(quantum::GateKind::H, {q});
  for (int q = 0; q < n_qubits; ++q) state_.apply(quantum::GateKind::CZ, {q, (q + 1) % n_qubits});
  for (int q = 0; q < n_qubits; q += 2) state_.apply(quantum::GateKind::T, {q});
}

uint64_t QuantumNoise::next_bits(int k) {
  // k <= 53; refill the buffer from measured bitstrings n bits at a time.
  const int n = state_.n_qubits();
  uint64_t out = 0;
  int have = 0;
  while (have < k) {
    if (bits_ == 0) {
      if (next_shot_ >= shots_.size()) {
        shots_ = quantum::sample_bitstrings(state_, kShotsPerDraw, rng_);
        next_shot_ = 0;
      }
      bit_buffer_ = shots_[next_shot_++];
      bits_ = n;
    }
    const int take = std::min(k - have, bits_);
    out |= (bit_buffer_ & ((uint64_t(1) << take) - 1)) << have;
    bit_buffer_ >>= take;
    bits_ -= take;
    have += take;
  }
  return out;
}

double QuantumNoise::next_uniform() {
  // (m + 0.5) / 2^53 lies strictly inside (0, 1), so log() below is finite.
  return (static_cast<double>(next_bits(53)) + 0.5) * 0x1.0p-53;
}

void QuantumNoise::fill_normal(float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (has_spare_) {
      out[i] = static_cast<float>(spare_);
      has_spare_ = false;
      continue;
    }
    const double u1 = next_uniform(), u2 = next_uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), a = 2.0 * std::numbers::pi * u2;
    out[i] = static_cast<float>(r * std::cos(a));
    spare_ = r * std::sin(a);
    has_spare_ = true;
  }
}

nlohmann::json QuantumNoise::state() const {
  // The unconsumed shots are re-derivable from the RNG state before they were drawn, but
  // storing them is simpler and exact.
  return {{"kind", name()},
          {"n_qubits", state_.n_qubits()},
          {"rng", rng_state_to_json(rng_.state())},
          {"shots", std::vector<uint64_t>(shots_.begin() + static_cast<int64_t>(next_shot_), shots_.end())},
          {"bit_buffer", bit_buffer_},
          {"bits", bits_},
          {"spare_bits", std::bit_cast<uint64_t>(spare_)},
          {"has_spare", has_spare_}};
}

void QuantumNoise::set_state(const nlohmann::json& st) {
  if (!st.is_object() || st.value("kind", std::string()) != name() || st.value("n_qubits", 0) != state_.n_qubits())
    throw InvalidArgument("noise source state is not this quantum source's");
  rng_.set_state(rng_state_from_json(st.at("rng")));
  shots_ = st.at("shots").get<std::vector<uint64_t>>();
  next_shot_ = 0;
  bit_buffer_ = st.at("bit_buffer").get<uint64_t>();
  bits_ = st.at("bits").get<int>();
  spare_ = std::bit_cast<double>(st.at("spare_bits").get<uint64_t>());
  has_spare_ = st.at("has_spare").get<bool>();
}

std::unique_ptr<NoiseSource> make_noise_source(const DiffusionOptions& diffusion, uint64_t seed) {
  switch (diffusion.noise) {
    case NoiseKind::Gaussian: return std::make_unique<GaussianNoise>(seed);
    case NoiseKind::Quantum: return std::make_unique<QuantumNoise>(diffusion.noise_qubits, seed);
  }
  throw InvalidArgument("make_noise_source: invalid noise source");
}

}  // namespace qdiff::diffusion
