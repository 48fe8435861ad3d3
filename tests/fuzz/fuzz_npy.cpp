// libFuzzer target: the .npy parser (header dict, dtypes, shapes, payload size) on hostile bytes.
#include <string>

#include "fuzz_target.hpp"
#include "qdiff/io/npy.hpp"

namespace {
void run(std::span<const uint8_t> bytes) {
  const qdiff::NpyArray a = qdiff::parse_npy(bytes, "fuzz.npy");
  (void)a.shape_string();
  if (a.numel() > 0) (void)a.at(a.numel() - 1);
  (void)a.to_float();
}
}  // namespace

QDIFF_FUZZ_TARGET(run)
