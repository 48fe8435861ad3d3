// libFuzzer target: IDX files, raw and gzip (the reader picks by the gzip magic), on hostile bytes.
#include "fuzz_target.hpp"
#include "qdiff/io/idx.hpp"

namespace {
void run(std::span<const uint8_t> bytes) { (void)qdiff::parse_idx(bytes, "fuzz-idx").to_float(); }
}  // namespace

QDIFF_FUZZ_TARGET(run)
