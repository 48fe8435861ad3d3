// IDX files (the original MNIST format), gzip-compressed or raw, read through zlib.
// Big-endian header: magic (0x0000, type byte, rank), one uint32 per dimension, then data.
#pragma once
#include <string>

#include "qdiff/io/npy.hpp"

namespace qdiff {

// Reads an IDX file (".gz" or not: zlib detects the gzip header). Types: 0x08 u8, 0x09 i8,
// 0x0C i32, 0x0D f32, 0x0E f64 (converted to little-endian). Inflation stops at what the
// header promises; extra data or a short payload is a FileError naming the file.
NpyArray read_idx(const std::string& path);

// True when the file name looks like an IDX file (e.g. "train-images-idx3-ubyte.gz").
bool looks_like_idx(const std::string& path);

}  // namespace qdiff
