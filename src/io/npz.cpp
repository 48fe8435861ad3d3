#include "qdiff/io/npz.hpp"

#include <zip.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "bounded_read.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

namespace qdiff {
namespace {

zip_t* Z(void* p) { return static_cast<zip_t*>(p); }

std::string zip_error_text(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string s = zip_error_strerror(&e);
  zip_error_fini(&e);
  return s;
}

// RAII for an open member.
struct Member {
  zip_file_t* f = nullptr;
  ~Member() { if (f) zip_fclose(f); }
};

// Reads up to n bytes; returns bytes read; throws on a libzip error (e.g. CRC mismatch, bad data).
size_t read_some(zip_file_t* f, uint8_t* dst, size_t n, const std::string& where) {
  size_t done = 0;
  while (done < n) {
    const zip_int64_t r = zip_fread(f, dst + done, n - done);
    if (r < 0) throw FileError(where, std::string("corrupt member data: ") + zip_error_strerror(zip_file_get_error(f)));
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

}  // namespace

NpzFile::NpzFile(const std::string& path) : path_(path) {
  require_readable_file(path);  // "missing" and "not a zip" get different messages
  int err = 0;
  zip_ = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!zip_) {
    if (err == ZIP_ER_NOZIP) throw FileError(path, "not a .npz (zip) archive");
    throw FileError(path, "cannot open as .npz archive: " + zip_error_text(err));
  }
  list_members();
}

NpzFile::NpzFile(std::span<const uint8_t> bytes, const std::string& where)
    : path_(where), bytes_(bytes.begin(), bytes.end()) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes_.data(), bytes_.size(), 0, &error);
  if (src) {
    zip_ = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (!zip_) zip_source_free(src);
  }
  const int err = zip_error_code_zip(&error);
  zip_error_fini(&error);
  if (!zip_) {
    if (err == ZIP_ER_NOZIP) throw FileError(where, "not a .npz (zip) archive");
    throw FileError(where, "cannot open as .npz archive: " + zip_error_text(err));
  }
  list_members();
}

void NpzFile::list_members() {
  const zip_int64_t n = zip_get_num_entries(Z(zip_), 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(Z(zip_), static_cast<zip_uint64_t>(i), 0);
    if (!name) continue;
    std::string key = name;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    members_.emplace_back(key, i);
  }
}

NpzFile::~NpzFile() {
  if (zip_) zip_discard(Z(zip_));
}

std::vector<std::string> NpzFile::keys() const {
  std::vector<std::string> k;
  for (const auto& m : members_) k.push_back(m.first);
  return k;
}

bool NpzFile::has(const std::string& key) const { return index_of(key) >= 0; }

int64_t NpzFile::index_of(const std::string& key) const {
  for (const auto& m : members_)
    if (m.first == key) return m.second;
  return -1;
}

namespace {

struct OpenedMember {
  Member m;
  NpyHeader header;
  std::vector<uint8_t> prefix;  // bytes read so far (header and possibly some payload)
  zip_stat_t st;
};

void open_member(zip_t* z, int64_t idx, const std::string& where, OpenedMember& om) {
  zip_stat_init(&om.st);
  if (zip_stat_index(z, static_cast<zip_uint64_t>(idx), 0, &om.st) != 0)
    throw FileError(where, std::string("cannot stat member: ") + zip_strerror(z));
  if (om.st.encryption_method != ZIP_EM_NONE) throw FileError(where, "encrypted members are not supported");
  om.m.f = zip_fopen_index(z, static_cast<zip_uint64_t>(idx), 0);
  if (!om.m.f) throw FileError(where, std::string("cannot open member: ") + zip_strerror(z));
  size_t need = 10;
  om.prefix.clear();
  while (true) {
    const size_t have = om.prefix.size();
    om.prefix.resize(need);
    const size_t got = read_some(om.m.f, om.prefix.data() + have, need - have, where);
    om.prefix.resize(have + got);
    if (got < need - have) {
      // Ran out of data inside the header.
      parse_npy_header(om.prefix, where, nullptr);  // throws a precise message
      throw FileError(where, "truncated .npy header");
    }
    size_t more = 0;
    om.header = parse_npy_header(om.prefix, where, &more);
    if (more == 0) break;
    need = more;
  }
  if ((om.st.valid & ZIP_STAT_SIZE) && om.st.size != om.header.header_bytes + om.header.payload_bytes) {
    throw FileError(where, "member size " + std::to_string(om.st.size) + " bytes does not match its header (shape " +
                               "needs " + std::to_string(om.header.header_bytes + om.header.payload_bytes) + ")");
  }
}

}  // namespace

std::vector<NpzMemberInfo> NpzFile::describe() const {
  std::vector<NpzMemberInfo> out;
  for (const auto& [key, idx] : members_) {
    OpenedMember om;
    open_member(Z(zip_), idx, path_ + "[" + key + "]", om);
    out.push_back({key, om.header.dtype, om.header.shape, om.st.comp_method != ZIP_CM_STORE});
  }
  return out;
}

NpyArray NpzFile::read(const std::string& key) const {
  const int64_t idx = index_of(key);
  if (idx < 0) {
    std::string have;
    for (const auto& m : members_) have += (have.empty() ? "" : ", ") + m.first;
    throw FileError(path_, "no array '" + key + "' (has: " + have + ")");
  }
  const std::string where = path_ + "[" + key + "]";
  OpenedMember om;
  open_member(Z(zip_), idx, where, om);
  // Whatever the header and the zip directory claim, memory grows only with inflated data.
  const size_t already = om.prefix.size() - om.header.header_bytes;  // 0 in practice
  std::vector<uint8_t> rest = io_detail::read_declared(
      om.header.payload_bytes - already, [&](uint8_t* dst, size_t n) { return read_some(om.m.f, dst, n, where); });
  if (rest.size() < om.header.payload_bytes - already)
    throw FileError(where, "data ends after " + std::to_string(already + rest.size()) + " of " +
                               std::to_string(om.header.payload_bytes) +
                               " payload bytes (truncated, or shape larger than data)");
  std::vector<uint8_t> payload = std::move(rest);
  payload.insert(payload.begin(), om.prefix.begin() + static_cast<std::ptrdiff_t>(om.header.header_bytes), om.prefix.end());
  // Reading on to the end makes libzip verify the CRC; any extra byte means the member
  // inflates to more than its header promised.
  uint8_t extra[64];
  if (read_some(om.m.f, extra, sizeof extra, where) != 0)
    throw FileError(where, "member holds more data than its header says");
  return npy_from_payload(om.header, std::move(payload));
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, NpyArray>>& arrays) {
  std::set<std::string> seen;
  for (const auto& [k, a] : arrays) {
    if (k.empty() || !seen.insert(k).second) throw InvalidArgument("write_npz: empty or duplicate key '" + k + "'");
    if (static_cast<int64_t>(a.data.size()) != a.numel() * static_cast<int64_t>(dtype_size(a.dtype)))
      throw InvalidArgument("write_npz: array '" + k + "' data does not match its shape");
  }
  std::filesystem::path p(path);
  if (p.has_parent_path()) make_dirs(p.parent_path().string());
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) throw FileError(path, "cannot create .npz: " + zip_error_text(err));
  std::vector<std::vector<uint8_t>> buffers;  // must outlive zip_close
  buffers.reserve(arrays.size());
  for (const auto& [k, a] : arrays) {
    buffers.push_back(serialize_npy(a));
    auto& buf = buffers.back();
    zip_source_t* src = zip_source_buffer(z, buf.data(), buf.size(), 0);
    if (!src) { zip_discard(z); throw FileError(path, "cannot add member " + k); }
    const zip_int64_t idx = zip_file_add(z, (k + ".npy").c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) { zip_source_free(src); zip_discard(z); throw FileError(path, "cannot add member " + k); }
    zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
  }
  if (zip_close(z) != 0) {
    const std::string why = zip_strerror(z);
    zip_discard(z);
    throw FileError(path, "writing .npz failed: " + why);
  }
}

}  // namespace qdiff
