// The arithmetic of the U-Net's matrix products: float32 (the reference, the default) or bf16
// mixed precision (the option train.precision / sample.precision): GEMM operands rounded to
// bfloat16, products summed in float32 by AVX512_BF16's vdpbf16ps; weights, gradients, optimizer
// state, EMA, activations, normalisation statistics and the bottleneck branch stay float32 (the
// usual mixed-precision recipe, as PyTorch's CPU autocast). Chosen at run time: bf16 needs a CPU
// with AVX512_BF16 (cpuid), and asking for it elsewhere is an error.
#pragma once
#include <string>

namespace qdiff {
class Config;
}

namespace qdiff::nn {

enum class Precision { Float32, BF16 };

// Whether this CPU executes AVX512_BF16 instructions.
bool bf16_supported();

// "float32" | "bf16" -> Precision. ConfigError naming `key` for another value, or for "bf16" on a
// CPU without AVX512_BF16.
Precision parse_precision(const std::string& value, const std::string& key);
// The config's `key` (train.precision or sample.precision), parsed and checked as above.
Precision precision_from_config(const Config& cfg, const std::string& key);

const char* precision_name(Precision p);

}  // namespace qdiff::nn
