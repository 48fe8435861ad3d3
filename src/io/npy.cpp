#include "qdiff/io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <sstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

namespace qdiff {

const char* dtype_descr(DType t) {
  switch (t) {
    case DType::U1: return "|u1";
    case DType::I1: return "|i1";
    case DType::I4: return "<i4";
    case DType::I8: return "<i8";
    case DType::F4: return "<f4";
    case DType::F8: return "<f8";
  }
  return "?";
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::U1:
    case DType::I1: return 1;
    case DType::I4:
    case DType::F4: return 4;
    case DType::I8:
    case DType::F8: return 8;
  }
  return 0;
}

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

double NpyArray::at(int64_t i) const {
  const uint8_t* p = data.data() + static_cast<size_t>(i) * dtype_size(dtype);
  switch (dtype) {
    case DType::U1: return *p;
    case DType::I1: return static_cast<int8_t>(*p);
    case DType::I4: { int32_t v; std::memcpy(&v, p, 4); return v; }
    case DType::I8: { int64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
    case DType::F4: { float v; std::memcpy(&v, p, 4); return v; }
    case DType::F8: { double v; std::memcpy(&v, p, 8); return v; }
  }
  return 0;
}

std::vector<float> NpyArray::to_float() const {
  std::vector<float> out(static_cast<size_t>(numel()));
  if (dtype == DType::U1) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = data[i];
  } else {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(at(static_cast<int64_t>(i)));
  }
  return out;
}

std::vector<int64_t> NpyArray::to_int64() const {
  std::vector<int64_t> out(static_cast<size_t>(numel()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int64_t>(at(static_cast<int64_t>(i)));
  return out;
}

std::string NpyArray::shape_string() const {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

NpyArray NpyArray::from_u8(std::vector<int64_t> shape, std::vector<uint8_t> values) {
  NpyArray a;
  a.dtype = DType::U1;
  a.shape = std::move(shape);
  a.data = std::move(values);
  if (static_cast<int64_t>(a.data.size()) != a.numel()) throw InvalidArgument("from_u8: size does not match shape");
  return a;
}

NpyArray NpyArray::from_f32(std::vector<int64_t> shape, const std::vector<float>& values) {
  NpyArray a;
  a.dtype = DType::F4;
  a.shape = std::move(shape);
  if (static_cast<int64_t>(values.size()) != a.numel()) throw InvalidArgument("from_f32: size does not match shape");
  a.data.resize(values.size() * 4);
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());  // an empty vector may hold null
  return a;
}

NpyArray NpyArray::from_i64(std::vector<int64_t> shape, const std::vector<int64_t>& values) {
  NpyArray a;
  a.dtype = DType::I8;
  a.shape = std::move(shape);
  if (static_cast<int64_t>(values.size()) != a.numel()) throw InvalidArgument("from_i64: size does not match shape");
  a.data.resize(values.size() * 8);
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());  // an empty vector may hold null
  return a;
}

namespace {

// A tiny strict parser for the Python-literal header dict numpy writes:
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view s, const std::string& where) : s_(s), where_(where) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_ws();
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') { ++i_; break; }
      const std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"')
          fail("descr is not a simple type string (structured or object dtypes are not supported)");
        descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = parse_bool();
        have_fortran = true;
      } else if (key == "shape") {
        shape = parse_tuple();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "' in header");
      }
      skip_ws();
      if (peek() == ',') { ++i_; continue; }
      skip_ws();
      if (peek() == '}') { ++i_; break; }
      fail("expected ',' or '}' in header");
    }
    skip_ws();
    if (i_ != s_.size()) fail("trailing characters after header dict");
    if (!have_descr || !have_fortran || !have_shape) fail("header lacks descr, fortran_order or shape");
  }

 private:
  std::string_view s_;
  const std::string& where_;
  size_t i_ = 0;

  [[noreturn]] void fail(const std::string& what) const { throw FileError(where_, "malformed .npy header: " + what); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() { while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t')) ++i_; }
  void expect(char c) { if (peek() != c) fail(std::string("expected '") + c + "'"); ++i_; }
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    ++i_;
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != q) ++i_;
    if (i_ >= s_.size()) fail("unterminated string");
    return std::string(s_.substr(start, i_++ - start));
  }
  bool parse_bool() {
    if (s_.substr(i_, 4) == "True") { i_ += 4; return true; }
    if (s_.substr(i_, 5) == "False") { i_ += 5; return false; }
    fail("expected True or False");
  }
  std::vector<int64_t> parse_tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (true) {
      skip_ws();
      if (peek() == ')') { ++i_; break; }
      if (peek() == '-') fail("negative dimension in shape");
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a dimension in shape");
      int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (v > (int64_t(1) << 50)) fail("absurd dimension in shape");
        v = v * 10 + (s_[i_++] - '0');
      }
      if (peek() == 'L') ++i_;  // Python 2 long suffix
      dims.push_back(v);
      skip_ws();
      if (peek() == ',') { ++i_; continue; }
      skip_ws();
      if (peek() == ')') { ++i_; break; }
      fail("expected ',' or ')' in shape");
    }
    if (dims.size() > 32) fail("more than 32 dimensions");
    return dims;
  }
};

uint32_t read_le(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

NpyHeader parse_npy_header(std::span<const uint8_t> b, const std::string& where, size_t* need_bytes) {
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  NpyHeader h{};
  if (b.size() < 10) {
    if (need_bytes) { *need_bytes = 10; return h; }
    throw FileError(where, "too short for a .npy header (" + std::to_string(b.size()) + " bytes)");
  }
  if (std::memcmp(b.data(), kMagic, 6) != 0) throw FileError(where, "not a .npy array (bad magic)");
  const int major = b[6];
  if (major < 1 || major > 3)
    throw FileError(where, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(b[7]));
  const int len_bytes = major == 1 ? 2 : 4;
  const size_t pre = 8 + len_bytes;
  if (b.size() < pre) {
    if (need_bytes) { *need_bytes = pre; return h; }
    throw FileError(where, "truncated .npy header");
  }
  const uint32_t hlen = read_le(b.data() + 8, len_bytes);
  if (hlen > (1u << 20)) throw FileError(where, "absurd .npy header length " + std::to_string(hlen));
  if (b.size() < pre + hlen) {
    if (need_bytes) { *need_bytes = pre + hlen; return h; }
    throw FileError(where, "truncated .npy header");
  }
  std::string_view text(reinterpret_cast<const char*>(b.data() + pre), hlen);
  // Python-literal dict, padded with spaces and ending in '\n'.
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  std::string descr;
  bool fortran = false;
  HeaderParser(text, where).parse(descr, fortran, h.shape);
  if (fortran) throw FileError(where, "fortran_order arrays are not supported (save in C order)");
  if (descr.find('O') != std::string::npos)
    throw FileError(where, "object arrays (pickled Python objects) are refused");
  if (descr == "|u1" || descr == "u1" || descr == "<u1" || descr == ">u1") h.dtype = DType::U1;
  else if (descr == "|i1" || descr == "i1" || descr == "<i1" || descr == ">i1") h.dtype = DType::I1;
  else if (descr == "|b1" || descr == "?") { h.dtype = DType::U1; h.from_bool = true; }
  else if (descr == "<i4") h.dtype = DType::I4;
  else if (descr == "<i8") h.dtype = DType::I8;
  else if (descr == "<f4") h.dtype = DType::F4;
  else if (descr == "<f8") h.dtype = DType::F8;
  else if (descr == ">i4") { h.dtype = DType::I4; h.big_endian = true; }
  else if (descr == ">i8") { h.dtype = DType::I8; h.big_endian = true; }
  else if (descr == ">f4") { h.dtype = DType::F4; h.big_endian = true; }
  else if (descr == ">f8") { h.dtype = DType::F8; h.big_endian = true; }
  else throw FileError(where, "unsupported dtype '" + descr + "' (supported: u1, i1, b1, i4, i8, f4, f8)");
  uint64_t n = 1;
  for (auto d : h.shape) {
    if (d != 0 && n > kMaxArrayBytes / static_cast<uint64_t>(d)) throw FileError(where, "absurd shape, array too large");
    n *= static_cast<uint64_t>(d);
  }
  if (n > kMaxArrayBytes / dtype_size(h.dtype)) throw FileError(where, "absurd shape, array too large");
  h.payload_bytes = n * dtype_size(h.dtype);
  h.header_bytes = pre + hlen;
  if (need_bytes) *need_bytes = 0;
  return h;
}

NpyArray npy_from_payload(const NpyHeader& h, std::vector<uint8_t> payload) {
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.data = std::move(payload);
  if (h.big_endian) {
    const size_t w = dtype_size(h.dtype);
    for (size_t i = 0; i + w <= a.data.size(); i += w) std::reverse(a.data.begin() + i, a.data.begin() + i + w);
  }
  if (h.from_bool)
    for (auto& v : a.data) v = v ? 1 : 0;
  return a;
}

NpyArray parse_npy(std::span<const uint8_t> bytes, const std::string& where) {
  const NpyHeader h = parse_npy_header(bytes, where, nullptr);
  const uint64_t have = bytes.size() - h.header_bytes;
  if (have < h.payload_bytes)
    throw FileError(where, "payload has " + std::to_string(have) + " bytes but shape needs " +
                               std::to_string(h.payload_bytes) + " (truncated or shape larger than data)");
  if (have > h.payload_bytes)
    throw FileError(where, "payload has " + std::to_string(have - h.payload_bytes) + " bytes more than the shape needs");
  std::vector<uint8_t> payload(bytes.begin() + h.header_bytes, bytes.end());
  return npy_from_payload(h, std::move(payload));
}

std::vector<uint8_t> serialize_npy(const NpyArray& a) {
  std::ostringstream d;
  d << "{'descr': '" << dtype_descr(a.dtype) << "', 'fortran_order': False, 'shape': " << a.shape_string() << ", }";
  std::string dict = d.str();
  int major = 1;
  size_t pre = 10;
  if (dict.size() + 1 + pre > 65535) major = 2, pre = 12;
  const size_t total = ((pre + dict.size() + 1 + 63) / 64) * 64;
  dict.append(total - pre - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const uint32_t hlen = static_cast<uint32_t>(dict.size());
  for (size_t i = 0; i < pre - 8; ++i) out.push_back(static_cast<uint8_t>(hlen >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), a.data.begin(), a.data.end());
  return out;
}

NpyArray read_npy_file(const std::string& path) {
  const auto bytes = read_file_bytes(path);
  return parse_npy(bytes, path);
}

void write_npy_file(const std::string& path, const NpyArray& a) { write_file_atomic(path, serialize_npy(a)); }

}  // namespace qdiff
