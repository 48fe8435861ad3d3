// IDX files (the original MNIST format), gzip-compressed or raw, read through zlib.
// Big-endian header: magic (0x0000, type byte, rank), one uint32 per dimension, then data.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "qdiff/io/npy.hpp"

namespace qdiff {

// Reads an IDX file (gzip or not: the gzip magic decides). Types: 0x08 u8, 0x09 i8, 0x0C i32,
// 0x0D f32, 0x0E f64 (converted to little-endian). Inflation stops at what the header promises
// and memory grows with the data actually present, whatever the header claims; a shape over
// kMaxArrayBytes, extra data or a short payload is a FileError naming the file.
NpyArray read_idx(const std::string& path);
// The same from the bytes of a file; `where` names the source in errors.
NpyArray parse_idx(std::span<const uint8_t> bytes, const std::string& where);

// True when the file name looks like an IDX file (e.g. "train-images-idx3-ubyte.gz").
bool looks_like_idx(const std::string& path);

}  // namespace qdiff
