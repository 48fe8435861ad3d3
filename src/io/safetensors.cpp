#include "qdiff/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

namespace qdiff {
using json = nlohmann::json;

static_assert(std::endian::native == std::endian::little, "safetensors bytes are copied as little-endian");

namespace {

constexpr const char* kMetadataKey = "__metadata__";
// Every dtype name of the format; only F32 is read.
const std::set<std::string> kKnownDtypes = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
                                            "BF16", "I32", "U32", "F32", "F64",     "I64",     "U64"};

uint64_t numel_of(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (auto d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

// A tensor's place in the byte buffer while parsing.
struct Extent {
  std::string name;
  uint64_t begin, end;
};

// The header as JSON, refusing repeated keys in any object (nlohmann would keep the last).
json parse_header_json(std::string_view text, const std::string& where) {
  std::vector<std::set<std::string>> open;  // keys seen per open object
  std::string repeated;
  auto cb = [&](int, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::object_start) open.emplace_back();
    else if (ev == json::parse_event_t::object_end && !open.empty()) open.pop_back();
    else if (ev == json::parse_event_t::key && !open.empty() && !open.back().insert(parsed.get<std::string>()).second &&
             repeated.empty())
      repeated = parsed.get<std::string>();
    return true;
  };
  json h;
  try {
    h = json::parse(text.begin(), text.end(), cb);
  } catch (const json::exception& e) {
    throw FileError(where, std::string("safetensors header is not valid JSON: ") + e.what());
  }
  if (!repeated.empty()) throw FileError(where, "safetensors header repeats the key '" + repeated + "'");
  if (!h.is_object()) throw FileError(where, "safetensors header is not a JSON object");
  return h;
}

std::map<std::string, std::string> parse_metadata(const json& m, const std::string& where) {
  if (!m.is_object()) throw FileError(where, "safetensors __metadata__ is not an object");
  std::map<std::string, std::string> out;
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (!it.value().is_string()) throw FileError(where, "safetensors __metadata__['" + it.key() + "'] is not a string");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

// Checks one tensor entry against the buffer size; returns its shape and extent.
Extent parse_entry(const std::string& name, const json& e, uint64_t buffer_bytes, std::vector<int64_t>* shape,
                   const std::string& where) {
  const std::string t = "tensor '" + name + "': ";
  if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
    throw FileError(where, t + "needs an object with dtype, shape and data_offsets");
  const json& dt = e["dtype"];
  if (!dt.is_string() || !kKnownDtypes.count(dt.get<std::string>()))
    throw FileError(where, t + "unknown dtype " + dt.dump());
  if (dt != "F32") throw FileError(where, t + "dtype " + dt.get<std::string>() + " is not supported (qdiff reads F32)");
  const json& sh = e["shape"];
  if (!sh.is_array()) throw FileError(where, t + "shape is not a list");
  const uint64_t cap = buffer_bytes / 4;  // the most elements the buffer can hold
  uint64_t numel = 1;
  bool empty = false, too_big = false;  // multiplied without overflow: stops growing at the cap
  for (const auto& d : sh) {
    if (!d.is_number_unsigned()) throw FileError(where, t + "shape holds " + d.dump() + ", not a non-negative integer");
    const uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) too_big = true;
    else if (v == 0) empty = true;
    else if (numel > cap / v) too_big = true;
    else numel *= v;
    shape->push_back(static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max())));
  }
  if (empty) numel = 0;
  else if (too_big) throw FileError(where, t + "shape " + sh.dump() + " holds more F32 values than the file");
  const json& off = e["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
    throw FileError(where, t + "data_offsets must be two non-negative integers, got " + off.dump());
  const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
  if (begin > end || end > buffer_bytes)
    throw FileError(where, t + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                               "] out of range (the buffer has " + std::to_string(buffer_bytes) + " bytes)");
  if (end - begin != numel * 4)
    throw FileError(where, t + "data_offsets span " + std::to_string(end - begin) + " bytes but shape " + sh.dump() +
                               " in F32 needs " + std::to_string(numel * 4));
  return {name, begin, end};
}

}  // namespace

const SafeTensor* SafeTensors::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<uint8_t> serialize_safetensors(const SafeTensors& st) {
  std::vector<const SafeTensor*> order;
  for (const auto& t : st.tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name < b->name; });
  json header = json::object();
  if (!st.metadata.empty()) header[kMetadataKey] = st.metadata;
  uint64_t offset = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const SafeTensor& t = *order[i];
    if (t.name.empty() || t.name == kMetadataKey || (i > 0 && order[i - 1]->name == t.name))
      throw InvalidArgument("safetensors: empty, reserved or repeated tensor name '" + t.name + "'");
    for (auto d : t.shape)
      if (d < 0) throw InvalidArgument("safetensors: tensor '" + t.name + "' has a negative dimension");
    if (numel_of(t.shape) != t.data.size())
      throw InvalidArgument("safetensors: tensor '" + t.name + "' data does not match its shape");
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * t.data.size()}}};
    offset += 4 * t.data.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the buffer starts at a multiple of 8
  std::vector<uint8_t> out(8 + text.size() + offset);
  const uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* p = out.data() + 8 + text.size();
  for (const SafeTensor* t : order) {
    if (!t->data.empty()) std::memcpy(p, t->data.data(), 4 * t->data.size());
    p += 4 * t->data.size();
  }
  return out;
}

SafeTensors parse_safetensors(std::span<const uint8_t> bytes, const std::string& where) {
  if (bytes.size() < 8) throw FileError(where, "too short for a safetensors file (" + std::to_string(bytes.size()) + " bytes)");
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n > kMaxSafetensorsHeader)
    throw FileError(where, "safetensors header length " + std::to_string(n) + " exceeds the limit of " +
                               std::to_string(kMaxSafetensorsHeader) + " bytes");
  if (n > bytes.size() - 8)
    throw FileError(where, "safetensors header length " + std::to_string(n) + " runs past the end of the file (" +
                               std::to_string(bytes.size()) + " bytes)");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + 8, n);
  if (text.empty() || text[0] != '{') throw FileError(where, "safetensors header does not start with '{'");
  const json h = parse_header_json(text, where);
  const uint64_t buffer_bytes = bytes.size() - 8 - n;
  const uint8_t* buffer = bytes.data() + 8 + n;

  SafeTensors st;
  std::vector<Extent> extents;
  for (auto it = h.begin(); it != h.end(); ++it) {
    if (it.key() == kMetadataKey) {
      st.metadata = parse_metadata(it.value(), where);
      continue;
    }
    SafeTensor t;
    t.name = it.key();
    extents.push_back(parse_entry(t.name, it.value(), buffer_bytes, &t.shape, where));
    t.data.resize((extents.back().end - extents.back().begin) / 4);
    if (!t.data.empty()) std::memcpy(t.data.data(), buffer + extents.back().begin, 4 * t.data.size());
    st.tensors.push_back(std::move(t));
  }
  // The tensors must tile the buffer exactly: no overlap, no gap, nothing after the last.
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Extent* last = nullptr;
  for (const Extent& e : extents) {
    if (e.begin < covered)
      throw FileError(where, "tensor '" + e.name + "' overlaps tensor '" + last->name + "' (bytes " +
                                 std::to_string(e.begin) + ".." + std::to_string(covered) + ")");
    if (e.begin > covered)
      throw FileError(where, "bytes " + std::to_string(covered) + ".." + std::to_string(e.begin) +
                                 " of the buffer belong to no tensor");
    covered = e.end;
    last = &e;
  }
  if (covered != buffer_bytes)
    throw FileError(where, "the buffer has " + std::to_string(buffer_bytes - covered) +
                               " bytes after the last tensor that belong to no tensor");
  return st;
}

void save_safetensors(const std::string& path, const SafeTensors& st) { write_file_atomic(path, serialize_safetensors(st)); }

SafeTensors load_safetensors(const std::string& path) { return parse_safetensors(read_file_bytes(path), path); }

}  // namespace qdiff
