// The CPU check of the bf16 option (precision.hpp).
#include "qdiff/nn/precision.hpp"

#include "gemm_bf16.hpp"
#include "qdiff/core/error.hpp"

namespace qdiff::nn {

bool bf16_supported() { return bf16::supported(); }

void require_supported(Precision p, const std::string& key) {
  if (p == Precision::BF16 && !bf16_supported())
    throw ConfigError(key, "bf16 needs a CPU with AVX512_BF16 (vdpbf16ps), and this one has none "
                           "(or QDIFF_DISABLE_BF16 is set); use float32");
}

PrecisionNote precision_note(Precision p) {
  if (p != Precision::BF16 || !bf16_supported()) return {};
  if (bf16::amx_active()) return {"bf16 matrix products on AMX tiles (tdpbf16ps)", false};
  return {"bf16 matrix products on AVX512_BF16's vdpbf16ps: this CPU has no usable AMX tiles (or "
          "QDIFF_DISABLE_AMX is set), and there bf16 measured slower than float32, whose 3x3 "
          "convolutions run Winograd's fewer multiply-adds (bench/RESULTS.md); float32 is likely the "
          "faster choice here",
          true};
}

}  // namespace qdiff::nn
