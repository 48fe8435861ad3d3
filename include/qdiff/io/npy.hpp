// NumPy .npy arrays: strict header parsing (format versions 1.0, 2.0, 3.0) and writing.
// Supported dtypes: u1, i1, <i4, <i8, <f4, <f8. Big-endian versions of these and bool (|b1)
// are converted on read; object/pickle arrays and anything else are refused.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace qdiff {

enum class DType { U1, I1, I4, I8, F4, F8 };

const char* dtype_descr(DType t);  // "|u1", "<f4", ...
size_t dtype_size(DType t);

// An n-dimensional array in C order with little-endian element bytes.
struct NpyArray {
  DType dtype = DType::U1;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // numel() * dtype_size(dtype) bytes

  int64_t numel() const;
  // Element i converted to double.
  double at(int64_t i) const;
  std::vector<float> to_float() const;
  std::vector<int64_t> to_int64() const;
  std::string shape_string() const;  // "(60000, 28, 28)"

  static NpyArray from_u8(std::vector<int64_t> shape, std::vector<uint8_t> values);
  static NpyArray from_f32(std::vector<int64_t> shape, const std::vector<float>& values);
  static NpyArray from_i64(std::vector<int64_t> shape, const std::vector<int64_t>& values);
};

// Largest payload qdiff accepts for one array (guards against absurd shapes).
constexpr uint64_t kMaxArrayBytes = uint64_t(1) << 34;  // 16 GiB

// The parsed header of a .npy stream.
struct NpyHeader {
  DType dtype;
  bool big_endian = false;  // the stored bytes need swapping
  bool from_bool = false;   // stored as |b1, read as u1
  std::vector<int64_t> shape;
  size_t header_bytes = 0;    // bytes before the payload
  uint64_t payload_bytes = 0; // numel * itemsize, checked against kMaxArrayBytes
};

// Parses the magic, version and header dict from the first bytes of a .npy stream.
// `prefix` must hold at least the whole header; returns std::nullopt-like via header_bytes=0
// when more bytes are needed (need_bytes tells how many). Throws FileError(where, ...) on bad input.
NpyHeader parse_npy_header(std::span<const uint8_t> prefix, const std::string& where, size_t* need_bytes);

// Parses a whole .npy buffer (header + exactly the payload).
NpyArray parse_npy(std::span<const uint8_t> bytes, const std::string& where);
// Converts a raw payload to an NpyArray (byte swap, bool) per the header.
NpyArray npy_from_payload(const NpyHeader& h, std::vector<uint8_t> payload);

// Serializes as .npy format 1.0 (2.0 if the header would not fit).
std::vector<uint8_t> serialize_npy(const NpyArray& a);

NpyArray read_npy_file(const std::string& path);
void write_npy_file(const std::string& path, const NpyArray& a);

}  // namespace qdiff
