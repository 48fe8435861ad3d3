// Reading a payload whose size a file header declares, without trusting the header: the buffer
// grows with the bytes the stream actually delivers (doubling, from 1 MiB), so a header that
// claims gigabytes over a few bytes of data costs at most twice the data, never the claim.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace qdiff::io_detail {

// read_some(dst, max) -> bytes read (0 at the end of the stream; throws on a stream error).
// Returns up to `declared` bytes: fewer only when the stream ended first (the caller reports it).
template <class ReadSome>
std::vector<uint8_t> read_declared(uint64_t declared, ReadSome&& read_some) {
  constexpr uint64_t kFirstChunk = uint64_t(1) << 20;
  std::vector<uint8_t> out;
  uint64_t have = 0;
  while (have < declared) {
    const uint64_t target = std::min(declared, std::max(kFirstChunk, 2 * have));
    out.resize(static_cast<size_t>(target));
    while (have < target) {
      const size_t got = read_some(out.data() + have, static_cast<size_t>(target - have));
      if (got == 0) {
        out.resize(static_cast<size_t>(have));
        return out;
      }
      have += got;
    }
  }
  return out;
}

}  // namespace qdiff::io_detail
