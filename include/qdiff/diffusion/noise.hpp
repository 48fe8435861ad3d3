// Sources of the diffusion noise eps (diffusion.noise), used identically by training (targets)
// and by the samplers (x_T and every stochastic step).
//
// A NoiseSource fills buffers with standard-normal floats. Its contract:
//  * deterministic: the same seed and the same sequence of fill_normal calls give the same bits;
//  * resumable: state() captures everything needed so that after set_state() the next values are
//    exactly those an uninterrupted source would have produced;
//  * a fill of n values followed by a fill of m values equals one fill of n + m values is NOT
//    required (a source may draw values in blocks), so callers should keep their call pattern
//    fixed between a run and its resume.
// GaussianNoise draws from qdiff::Rng::normal (Box-Muller on xoshiro256**). A quantum source
// (Born-rule bits -> uniforms -> Box-Muller) implements the same interface elsewhere.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "qdiff/core/rng.hpp"

namespace qdiff::diffusion {

class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  // "gaussian", "quantum", ...
  virtual std::string name() const = 0;
  // out: [n] standard-normal variates.
  virtual void fill_normal(float* out, int64_t n) = 0;
  // Serialisable state for exact resume; set_state throws qdiff::InvalidArgument on a state
  // that is not this source's.
  virtual nlohmann::json state() const = 0;
  virtual void set_state(const nlohmann::json& state) = 0;
};

class GaussianNoise final : public NoiseSource {
 public:
  explicit GaussianNoise(uint64_t seed) : rng_(seed) {}
  std::string name() const override { return "gaussian"; }
  void fill_normal(float* out, int64_t n) override;
  nlohmann::json state() const override;
  void set_state(const nlohmann::json& state) override;

 private:
  Rng rng_;
};

// Exact JSON form of an Rng state (64-bit words as numbers, the spare normal as its bit pattern).
nlohmann::json rng_state_to_json(const Rng::State& st);
Rng::State rng_state_from_json(const nlohmann::json& j);

}  // namespace qdiff::diffusion
