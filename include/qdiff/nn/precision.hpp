// The arithmetic of the U-Net's matrix products: float32 (the reference, the default) or bf16
// mixed precision (the options train.precision / sample.precision): GEMM operands rounded to
// bfloat16, products summed in float32 (on AMX tiles where present, else by AVX512_BF16's
// vdpbf16ps); weights, gradients, optimizer state, EMA, activations, normalisation statistics and
// the bottleneck branch stay float32 (the usual mixed-precision recipe, as PyTorch's CPU
// autocast). Chosen at run time: bf16 needs a CPU with AVX512_BF16 (cpuid), and asking for it
// elsewhere is an error, never a silent fallback. QDIFF_DISABLE_BF16=1 in the environment makes
// this CPU count as one without it (to test that path, or to compare on one machine);
// QDIFF_DISABLE_AMX=1 keeps bf16 off the AMX tiles.
#pragma once
#include <string>

#include "qdiff/core/modes.hpp"

namespace qdiff::nn {

using Precision = MatmulPrecision;

// Whether this CPU executes AVX512_BF16 instructions (and QDIFF_DISABLE_BF16 is not set).
bool bf16_supported();

// Throws ConfigError naming `key` (train.precision, sample.precision) when this CPU cannot run
// precision p.
void require_supported(Precision p, const std::string& key);

// What a run in precision p should tell its user about where the matrix products run: empty for
// float32; for bf16, that they run on AMX tiles, or (no AMX, or QDIFF_DISABLE_AMX) on vdpbf16ps,
// with `slower` set: there bf16 measured slower than float32 (Intel Xeon without AMX, AMD Zen 4;
// bench/RESULTS.md), whose 3x3 convolutions run Winograd and the bf16 ones do not.
struct PrecisionNote {
  std::string text;
  bool slower = false;
};
PrecisionNote precision_note(Precision p);

}  // namespace qdiff::nn
