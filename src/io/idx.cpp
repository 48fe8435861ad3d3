#include "qdiff/io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "bounded_read.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

namespace qdiff {
namespace {

// The content of an IDX file: the bytes themselves, or their inflation when they start with
// the gzip magic (one or more concatenated gzip members, as gzip and zcat accept).
class IdxStream {
 public:
  IdxStream(std::span<const uint8_t> bytes, const std::string& where) : bytes_(bytes), where_(where) {
    gzip_ = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    if (!gzip_) return;
    if (inflateInit2(&zs_, 15 + 16) != Z_OK) throw FileError(where, "cannot initialise zlib");
    zs_.next_in = const_cast<Bytef*>(bytes.data());
    zs_.avail_in = static_cast<uInt>(std::min<size_t>(bytes.size(), 1u << 30));
    in_left_ = bytes.size() - zs_.avail_in;
  }
  ~IdxStream() {
    if (gzip_) inflateEnd(&zs_);
  }
  IdxStream(const IdxStream&) = delete;
  IdxStream& operator=(const IdxStream&) = delete;

  // Up to n bytes into dst; 0 at the end of the content.
  size_t read(uint8_t* dst, size_t n) {
    if (!gzip_) {
      const size_t k = std::min(n, bytes_.size() - pos_);
      if (k) std::memcpy(dst, bytes_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    size_t done = 0;
    while (done < n && !ended_) {
      refill();
      zs_.next_out = dst + done;
      zs_.avail_out = static_cast<uInt>(std::min<size_t>(n - done, 1u << 30));
      const uInt before = zs_.avail_out;
      const int r = inflate(&zs_, Z_NO_FLUSH);
      done += before - zs_.avail_out;
      if (r == Z_STREAM_END) {
        refill();
        if (zs_.avail_in == 0) ended_ = true;
        else if (inflateReset(&zs_) != Z_OK) throw FileError(where_, "corrupt gzip data");
      } else if (r == Z_BUF_ERROR) {
        throw FileError(where_, "truncated gzip data");
      } else if (r != Z_OK) {
        throw FileError(where_, std::string("corrupt gzip data: ") + (zs_.msg ? zs_.msg : "inflate failed"));
      }
    }
    return done;
  }

  // Reads exactly n bytes or throws `what` (a header field runs past the end).
  void read_exact(uint8_t* dst, size_t n, const char* what) {
    if (read(dst, n) != n) throw FileError(where_, what);
  }

 private:
  void refill() {
    if (zs_.avail_in == 0 && in_left_ > 0) {
      zs_.avail_in = static_cast<uInt>(std::min<size_t>(in_left_, 1u << 30));
      in_left_ -= zs_.avail_in;
    }
  }
  std::span<const uint8_t> bytes_;
  const std::string& where_;
  bool gzip_ = false, ended_ = false;
  size_t pos_ = 0, in_left_ = 0;
  z_stream zs_{};
};

}  // namespace

bool looks_like_idx(const std::string& path) {
  return path.find("idx") != std::string::npos || path.find("ubyte") != std::string::npos;
}

NpyArray read_idx(const std::string& path) { return parse_idx(read_file_bytes(path), path); }

NpyArray parse_idx(std::span<const uint8_t> bytes, const std::string& where) {
  IdxStream in(bytes, where);
  uint8_t head[4];
  in.read_exact(head, 4, "too short for an IDX header");
  if (head[0] != 0 || head[1] != 0) throw FileError(where, "not an IDX file (magic must start with two zero bytes)");
  DType dtype;
  switch (head[2]) {
    case 0x08: dtype = DType::U1; break;
    case 0x09: dtype = DType::I1; break;
    case 0x0C: dtype = DType::I4; break;
    case 0x0D: dtype = DType::F4; break;
    case 0x0E: dtype = DType::F8; break;
    default: {
      char type[8];
      std::snprintf(type, sizeof type, "0x%02X", head[2]);
      throw FileError(where, std::string("unsupported IDX element type ") + type +
                                 " (supported: 0x08 u8, 0x09 i8, 0x0C i32, 0x0D f32, 0x0E f64)");
    }
  }
  const size_t item = dtype_size(dtype);
  const int rank = head[3];
  if (rank < 1 || rank > 8) throw FileError(where, "IDX rank " + std::to_string(rank) + " out of range 1..8");
  std::vector<int64_t> shape(rank);
  uint64_t n = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t b[4];
    in.read_exact(b, 4, "truncated IDX header");
    shape[i] = (int64_t(b[0]) << 24) | (int64_t(b[1]) << 16) | (int64_t(b[2]) << 8) | int64_t(b[3]);
    if (shape[i] != 0 && n > kMaxArrayBytes / static_cast<uint64_t>(shape[i]))
      throw FileError(where, "absurd IDX shape, the array would exceed " + std::to_string(kMaxArrayBytes >> 30) + " GiB");
    n *= static_cast<uint64_t>(shape[i]);
  }
  if (n > kMaxArrayBytes / item)
    throw FileError(where, "absurd IDX shape, the array would exceed " + std::to_string(kMaxArrayBytes >> 30) + " GiB");
  std::vector<uint8_t> data = io_detail::read_declared(n * item, [&](uint8_t* dst, size_t k) { return in.read(dst, k); });
  if (data.size() != n * item)
    throw FileError(where, "data ends after " + std::to_string(data.size()) + " of " + std::to_string(n * item) +
                               " bytes the header promises (truncated)");
  uint8_t extra[16];
  if (in.read(extra, sizeof extra) != 0) throw FileError(where, "holds more data than its header says");
  if (item > 1)  // IDX is big-endian
    for (size_t i = 0; i < data.size(); i += item) std::reverse(data.begin() + i, data.begin() + i + item);
  NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data = std::move(data);
  return a;
}

}  // namespace qdiff
