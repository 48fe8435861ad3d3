// NumPy .npz archives through libzip: stored and deflate members (np.savez and
// np.savez_compressed), ZIP64, CRC-32 checked. Members are read defensively: the .npy header
// is parsed first, the declared size is checked against the shape, memory grows with the data
// actually inflated (never with what a header claims), and inflation stops at what the header
// promises.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "qdiff/io/npy.hpp"

namespace qdiff {

struct NpzMemberInfo {
  std::string key;  // member name without ".npy"
  DType dtype;
  std::vector<int64_t> shape;
  bool compressed;
};

class NpzFile {
 public:
  explicit NpzFile(const std::string& path);  // throws FileError
  // An archive held in memory (copied); `where` names it in errors.
  NpzFile(std::span<const uint8_t> bytes, const std::string& where);
  ~NpzFile();
  NpzFile(const NpzFile&) = delete;
  NpzFile& operator=(const NpzFile&) = delete;

  const std::string& path() const { return path_; }
  std::vector<std::string> keys() const;
  bool has(const std::string& key) const;
  // Header-only description of every member (reads just the .npy headers).
  std::vector<NpzMemberInfo> describe() const;
  // Reads one member fully; throws FileError naming "path[key]" on any problem.
  NpyArray read(const std::string& key) const;

 private:
  std::string path_;
  void* zip_ = nullptr;  // zip_t*
  std::vector<uint8_t> bytes_;  // the archive when opened from memory
  std::vector<std::pair<std::string, int64_t>> members_;  // key -> zip index
  int64_t index_of(const std::string& key) const;
  void list_members();
};

// Writes arrays as stored (uncompressed) .npy members, atomically (libzip writes a temp file
// and renames on close). Keys must be unique and non-empty.
void write_npz(const std::string& path, const std::vector<std::pair<std::string, NpyArray>>& arrays);

}  // namespace qdiff
