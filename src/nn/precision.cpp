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

}  // namespace qdiff::nn
