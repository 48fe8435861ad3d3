// Whole-file reads and atomic writes (hidden temp file in the same directory, fsync, rename,
// fsync of the directory),
// so an interrupted write never leaves a half-written checkpoint or result behind.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qdiff {

// Reads the whole file; throws FileError naming the path when it cannot.
std::vector<uint8_t> read_file_bytes(const std::string& path);
std::string read_file_text(const std::string& path);

// Writes `bytes` to `path` atomically. Creates missing parent directories.
void write_file_atomic(const std::string& path, std::string_view bytes);
inline void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// Throws FileError unless `path` is an existing, readable regular file.
void require_readable_file(const std::string& path);

// Creates a directory and its parents; throws FileError on failure.
void make_dirs(const std::string& path);

}  // namespace qdiff
