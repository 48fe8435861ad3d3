#include "qdiff/io/idx.hpp"

#include <zlib.h>

#include <algorithm>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

namespace qdiff {
namespace {

struct GzFile {
  gzFile f = nullptr;
  ~GzFile() { if (f) gzclose(f); }
};

size_t gz_read_exact(gzFile f, uint8_t* dst, size_t n, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    const int r = gzread(f, dst + done, chunk);
    if (r < 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      throw FileError(path, std::string("corrupt gzip data: ") + (msg ? msg : "unknown error"));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

}  // namespace

bool looks_like_idx(const std::string& path) {
  return path.find("idx") != std::string::npos || path.find("ubyte") != std::string::npos;
}

NpyArray read_idx(const std::string& path) {
  require_readable_file(path);
  GzFile gz;
  gz.f = gzopen(path.c_str(), "rb");
  if (!gz.f) throw FileError(path, "cannot open");
  uint8_t head[4];
  if (gz_read_exact(gz.f, head, 4, path) != 4) throw FileError(path, "too short for an IDX header");
  if (head[0] != 0 || head[1] != 0) throw FileError(path, "not an IDX file (magic must start with two zero bytes)");
  DType dtype;
  size_t item;
  switch (head[2]) {
    case 0x08: dtype = DType::U1; item = 1; break;
    case 0x09: dtype = DType::I1; item = 1; break;
    case 0x0C: dtype = DType::I4; item = 4; break;
    case 0x0D: dtype = DType::F4; item = 4; break;
    case 0x0E: dtype = DType::F8; item = 8; break;
    default: throw FileError(path, "unsupported IDX element type 0x" + std::to_string(head[2]));
  }
  const int rank = head[3];
  if (rank < 1 || rank > 8) throw FileError(path, "IDX rank " + std::to_string(rank) + " out of range 1..8");
  std::vector<int64_t> shape(rank);
  uint64_t n = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t b[4];
    if (gz_read_exact(gz.f, b, 4, path) != 4) throw FileError(path, "truncated IDX header");
    shape[i] = (int64_t(b[0]) << 24) | (int64_t(b[1]) << 16) | (int64_t(b[2]) << 8) | int64_t(b[3]);
    if (shape[i] != 0 && n > kMaxArrayBytes / static_cast<uint64_t>(shape[i]))
      throw FileError(path, "absurd IDX shape, array too large");
    n *= static_cast<uint64_t>(shape[i]);
  }
  if (n > kMaxArrayBytes / item) throw FileError(path, "absurd IDX shape, array too large");
  std::vector<uint8_t> data(n * item);
  const size_t got = gz_read_exact(gz.f, data.data(), data.size(), path);
  if (got != data.size())
    throw FileError(path, "data ends after " + std::to_string(got) + " of " + std::to_string(data.size()) +
                              " bytes the header promises (truncated)");
  uint8_t extra[16];
  if (gz_read_exact(gz.f, extra, sizeof extra, path) != 0)
    throw FileError(path, "holds more data than its header says");
  if (item > 1)  // IDX is big-endian
    for (size_t i = 0; i < data.size(); i += item) std::reverse(data.begin() + i, data.begin() + i + item);
  NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data = std::move(data);
  return a;
}

}  // namespace qdiff
