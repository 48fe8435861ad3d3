// libFuzzer target: the checkpoint reader. A random file almost never passes the CRC, so an
// input whose first byte is odd is taken as a checkpoint *body* and wrapped in a valid header
// and CRC first: that way the fuzzer reaches the tensor, blob and JSON parsing behind the
// checksum. A parsed checkpoint is then restored into a tiny model (names, shapes, metadata).
#include <zlib.h>

#include <cstring>
#include <vector>

#include "fuzz_target.hpp"
#include "qdiff/nn/checkpoint.hpp"

namespace {

std::vector<uint8_t> wrap_body(std::span<const uint8_t> body) {
  std::vector<uint8_t> out(qdiff::nn::kCheckpointMagic, qdiff::nn::kCheckpointMagic + 8);
  auto put = [&](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  };
  const uint32_t version = qdiff::nn::kCheckpointVersion, flags = 0;
  const uint64_t len = body.size();
  put(&version, 4);
  put(&flags, 4);
  put(&len, 8);
  put(body.data(), body.size());
  const uint32_t crc = static_cast<uint32_t>(crc32(0L, out.data(), static_cast<uInt>(out.size())));
  put(&crc, 4);
  return out;
}

void run(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> file;
  if (!bytes.empty() && (bytes[0] & 1)) file = wrap_body(bytes.subspan(1));
  else file.assign(bytes.begin(), bytes.end());
  const qdiff::nn::Checkpoint ck = qdiff::nn::parse_checkpoint(file, "fuzz.bin");
  qdiff::nn::ParamRegistry reg;
  reg.add("w", {2, 3}, qdiff::nn::Init::Zeros);
  reg.add("b", {3}, qdiff::nn::Init::Zeros);
  qdiff::Rng rng(0);
  reg.finalize(rng);
  qdiff::nn::Ema ema(reg.params(), 0.999, true);
  qdiff::nn::Adam adam(reg.size(), {});
  qdiff::nn::restore_checkpoint(ck, "fuzz.bin", reg, &ema, &adam);
}

}  // namespace

QDIFF_FUZZ_TARGET(run)
