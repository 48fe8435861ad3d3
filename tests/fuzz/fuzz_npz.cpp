// libFuzzer target: .npz archives (libzip container, member .npy headers, stored and deflated
// payloads, CRC) on hostile bytes: open, describe every member, read every member.
#include "fuzz_target.hpp"
#include "qdiff/io/npz.hpp"

namespace {
void run(std::span<const uint8_t> bytes) {
  const qdiff::NpzFile z(bytes, "fuzz.npz");
  (void)z.describe();
  for (const auto& key : z.keys()) (void)z.read(key).to_float();
}
}  // namespace

QDIFF_FUZZ_TARGET(run)
