// safetensors files (Hugging Face's format, read by PyTorch tools, diffusers and
// stable-diffusion.cpp), float32 tensors only:
//   u64 little-endian N | N bytes of UTF-8 JSON header | byte buffer (raw little-endian tensors)
//   header: {"__metadata__": {"key": "value", ...},                 strings only, optional
//            "<name>": {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}, ...}
// with offsets relative to the start of the byte buffer.
// The writer packs the tensors in name order with no gaps and pads the header with spaces so the
// buffer starts at a multiple of 8 bytes (as the reference implementation does).
// The reader treats a file as hostile and raises FileError naming the file and the first problem:
// a header length past the file or above kMaxSafetensorsHeader, a header that is not a JSON object
// or repeats a key, an unknown or non-F32 dtype, a bad shape, offsets out of range or not matching
// the shape, tensors that overlap, and buffer bytes no tensor covers.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace qdiff {

inline constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;  // the reference implementation's limit

struct SafeTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
};

struct SafeTensors {
  std::map<std::string, std::string> metadata;
  std::vector<SafeTensor> tensors;  // reading gives them in name order
  // nullptr when absent.
  const SafeTensor* find(const std::string& name) const;
};

// Throws InvalidArgument on duplicate or empty names, data that does not match a shape, or the
// reserved name "__metadata__".
std::vector<uint8_t> serialize_safetensors(const SafeTensors& st);
// `where` names the source in errors.
SafeTensors parse_safetensors(std::span<const uint8_t> bytes, const std::string& where);

void save_safetensors(const std::string& path, const SafeTensors& st);  // atomic
SafeTensors load_safetensors(const std::string& path);

}  // namespace qdiff
