#include "qdiff/diffusion/noise.hpp"

#include <bit>

#include "qdiff/core/error.hpp"

namespace qdiff::diffusion {

void GaussianNoise::fill_normal(float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(rng_.normal());
}

nlohmann::json rng_state_to_json(const Rng::State& st) {
  return {{"s", {st.s[0], st.s[1], st.s[2], st.s[3]}},
          {"seed", st.seed},
          {"spare_bits", std::bit_cast<uint64_t>(st.spare)},
          {"has_spare", st.has_spare}};
}

Rng::State rng_state_from_json(const nlohmann::json& j) {
  try {
    Rng::State st{};
    const auto& s = j.at("s");
    if (!s.is_array() || s.size() != 4) throw InvalidArgument("rng state: 's' must have 4 words");
    for (int i = 0; i < 4; ++i) st.s[i] = s.at(i).get<uint64_t>();
    st.seed = j.at("seed").get<uint64_t>();
    st.spare = std::bit_cast<double>(j.at("spare_bits").get<uint64_t>());
    st.has_spare = j.at("has_spare").get<bool>();
    return st;
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("rng state: ") + e.what());
  }
}

nlohmann::json GaussianNoise::state() const {
  return {{"kind", name()}, {"rng", rng_state_to_json(rng_.state())}};
}

void GaussianNoise::set_state(const nlohmann::json& st) {
  if (!st.is_object() || st.value("kind", std::string()) != name())
    throw InvalidArgument("noise source state is not a gaussian source's");
  rng_.set_state(rng_state_from_json(st.at("rng")));
}

}  // namespace qdiff::diffusion
