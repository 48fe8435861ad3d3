// Precision parsing and the CPU check (precision.hpp).
#include "qdiff/nn/precision.hpp"

#include "gemm_bf16.hpp"
#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"

namespace qdiff::nn {

bool bf16_supported() { return bf16::supported(); }

Precision parse_precision(const std::string& value, const std::string& key) {
  if (value == "float32") return Precision::Float32;
  if (value != "bf16") throw ConfigError(key, "unknown precision '" + value + "' (expected float32 or bf16)");
  if (!bf16_supported())
    throw ConfigError(key, "bf16 needs a CPU with AVX512_BF16 (vdpbf16ps), and this one has none; use float32");
  return Precision::BF16;
}

Precision precision_from_config(const Config& cfg, const std::string& key) { return parse_precision(cfg.str(key), key); }

const char* precision_name(Precision p) { return p == Precision::BF16 ? "bf16" : "float32"; }

}  // namespace qdiff::nn
