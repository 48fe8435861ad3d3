#include "qdiff/nn/checkpoint.hpp"

#include <zlib.h>

#include <cstring>
#include <sstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

namespace qdiff::nn {

namespace {
uint32_t crc32_of(const uint8_t* p, size_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    c = crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(c);
}

class Writer {
 public:
  std::vector<uint8_t> out;
  template <class U>
  void pod(U v) {
    bytes(&v, sizeof(U));
  }
  void bytes(const void* p, size_t n) {
    const size_t o = out.size();
    out.resize(o + n);
    if (n) std::memcpy(out.data() + o, p, n);
  }
  void str32(const std::string& s) {
    pod<uint32_t>(static_cast<uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
};

class Reader {
 public:
  Reader(const uint8_t* p, size_t n, const std::string& path) : p_(p), n_(n), path_(path) {}
  template <class U>
  U pod(const char* what) {
    need(sizeof(U), what);
    U v;
    std::memcpy(&v, p_ + pos_, sizeof(U));
    pos_ += sizeof(U);
    return v;
  }
  const uint8_t* take(size_t n, const char* what) {
    need(n, what);
    const uint8_t* r = p_ + pos_;
    pos_ += n;
    return r;
  }
  std::string str(size_t n, const char* what) {
    const auto* b = take(n, what);
    return std::string(reinterpret_cast<const char*>(b), n);
  }
  bool done() const { return pos_ == n_; }

 private:
  void need(size_t n, const char* what) {
    if (n > n_ - pos_) throw FileError(path_, std::string("malformed checkpoint: ") + what + " runs past the end");
  }
  const uint8_t* p_;
  size_t n_, pos_ = 0;
  const std::string& path_;
};

constexpr size_t kHeader = 8 + 4 + 4 + 8;

std::string shape_str(const std::vector<int64_t>& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? "," : "") << s[i];
  os << "]";
  return os.str();
}
}  // namespace

void Checkpoint::add_tensor(const std::string& name, std::vector<int64_t> shape, std::span<const float> data) {
  size_t n = 1;
  for (auto d : shape) n *= static_cast<size_t>(d);
  if (n != data.size()) throw InvalidArgument("checkpoint tensor '" + name + "': shape does not match data size");
  if (find_tensor(name)) throw InvalidArgument("checkpoint tensor '" + name + "' added twice");
  tensors.push_back({name, std::move(shape), std::vector<float>(data.begin(), data.end())});
}

const NamedTensor* Checkpoint::find_tensor(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

void Checkpoint::add_blob(const std::string& name, std::vector<uint8_t> bytes) {
  if (find_blob(name)) throw InvalidArgument("checkpoint blob '" + name + "' added twice");
  blobs.emplace_back(name, std::move(bytes));
}

const std::vector<uint8_t>* Checkpoint::find_blob(const std::string& name) const {
  for (const auto& [n, b] : blobs)
    if (n == name) return &b;
  return nullptr;
}

std::vector<uint8_t> serialize_checkpoint(const Checkpoint& ck) {
  Writer body;
  const std::string cfg = ck.config.dump(), meta = ck.meta.dump();
  body.pod<uint64_t>(cfg.size());
  body.bytes(cfg.data(), cfg.size());
  body.pod<uint64_t>(meta.size());
  body.bytes(meta.data(), meta.size());
  body.pod<uint32_t>(static_cast<uint32_t>(ck.tensors.size()));
  for (const auto& t : ck.tensors) {
    body.str32(t.name);
    body.pod<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (auto d : t.shape) body.pod<int64_t>(d);
    body.pod<uint32_t>(0);  // dtype f32
    body.pod<uint64_t>(t.data.size() * sizeof(float));
    body.bytes(t.data.data(), t.data.size() * sizeof(float));
  }
  body.pod<uint32_t>(static_cast<uint32_t>(ck.blobs.size()));
  for (const auto& [name, b] : ck.blobs) {
    body.str32(name);
    body.pod<uint64_t>(b.size());
    body.bytes(b.data(), b.size());
  }
  Writer all;
  all.bytes(kCheckpointMagic, 8);
  all.pod<uint32_t>(kCheckpointVersion);
  all.pod<uint32_t>(0);
  all.pod<uint64_t>(body.out.size());
  all.bytes(body.out.data(), body.out.size());
  all.pod<uint32_t>(crc32_of(all.out.data(), all.out.size()));
  return std::move(all.out);
}

Checkpoint parse_checkpoint(std::span<const uint8_t> bytes, const std::string& path) {
  const size_t n = bytes.size();
  if (n >= 8 && std::memcmp(bytes.data(), kCheckpointMagic, 8) != 0)
    throw FileError(path, "not a qdiff checkpoint (bad magic)");
  if (n < kHeader + 4)
    throw FileError(path, "truncated checkpoint: " + std::to_string(n) + " bytes, shorter than the header");
  Reader h(bytes.data(), kHeader, path);
  h.take(8, "magic");
  const auto version = h.pod<uint32_t>("version");
  h.pod<uint32_t>("flags");
  const auto body_len = h.pod<uint64_t>("body length");
  if (version == 0) throw FileError(path, "invalid checkpoint format version 0");
  if (version > kCheckpointVersion)
    throw FileError(path, "checkpoint format version " + std::to_string(version) +
                              " is newer than this build supports (" + std::to_string(kCheckpointVersion) +
                              "); upgrade qdiff");
  if (body_len > n || kHeader + body_len + 4 != n) {
    if (body_len <= n && kHeader + body_len + 4 < n)
      throw FileError(path, "checkpoint has " + std::to_string(n - kHeader - body_len - 4) + " unexpected trailing bytes");
    throw FileError(path, "truncated checkpoint: header announces " + std::to_string(kHeader + body_len + 4) +
                              " bytes, file has " + std::to_string(n));
  }
  uint32_t stored;
  std::memcpy(&stored, bytes.data() + n - 4, 4);
  if (crc32_of(bytes.data(), n - 4) != stored) throw FileError(path, "checksum mismatch: the checkpoint is corrupted");

  Checkpoint ck;
  Reader r(bytes.data() + kHeader, body_len, path);
  try {
    ck.config = json::parse(r.str(r.pod<uint64_t>("config length"), "config"));
    ck.meta = json::parse(r.str(r.pod<uint64_t>("metadata length"), "metadata"));
  } catch (const json::exception& e) {
    throw FileError(path, std::string("malformed checkpoint JSON: ") + e.what());
  }
  const auto nt = r.pod<uint32_t>("tensor count");
  for (uint32_t i = 0; i < nt; ++i) {
    NamedTensor t;
    t.name = r.str(r.pod<uint32_t>("tensor name length"), "tensor name");
    const auto nd = r.pod<uint32_t>("tensor rank");
    if (nd > 16) throw FileError(path, "malformed checkpoint: tensor '" + t.name + "' has rank " + std::to_string(nd));
    uint64_t count = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      const auto dim = r.pod<int64_t>("tensor shape");
      if (dim < 0) throw FileError(path, "malformed checkpoint: tensor '" + t.name + "' has a negative dimension");
      // Bounded by the body, so count * sizeof(float) cannot overflow.
      if (dim != 0 && count > body_len / sizeof(float) / static_cast<uint64_t>(dim))
        throw FileError(path, "malformed checkpoint: tensor '" + t.name + "' has a shape larger than the file");
      t.shape.push_back(dim);
      count *= static_cast<uint64_t>(dim);
    }
    if (r.pod<uint32_t>("tensor dtype") != 0)
      throw FileError(path, "unsupported dtype for tensor '" + t.name + "' (only float32)");
    const auto nb = r.pod<uint64_t>("tensor byte count");
    if (nb != count * sizeof(float))
      throw FileError(path, "malformed checkpoint: tensor '" + t.name + "' byte count does not match its shape");
    const auto* d = r.take(nb, "tensor data");
    t.data.resize(count);
    if (nb > 0) std::memcpy(t.data.data(), d, nb);  // an empty vector's data() may be null
    ck.tensors.push_back(std::move(t));
  }
  const auto nblob = r.pod<uint32_t>("blob count");
  for (uint32_t i = 0; i < nblob; ++i) {
    std::string name = r.str(r.pod<uint32_t>("blob name length"), "blob name");
    const auto nb = r.pod<uint64_t>("blob length");
    const auto* d = r.take(nb, "blob data");
    ck.blobs.emplace_back(std::move(name), std::vector<uint8_t>(d, d + nb));
  }
  if (!r.done()) throw FileError(path, "malformed checkpoint: unread bytes at the end of the body");
  return ck;
}

void save_checkpoint(const std::string& path, const Checkpoint& ck) {
  write_file_atomic(path, serialize_checkpoint(ck));
}

Checkpoint load_checkpoint(const std::string& path) {
  const auto bytes = read_file_bytes(path);
  return parse_checkpoint(bytes, path);
}

Checkpoint make_checkpoint(const json& config, const json& meta, const ParamRegistry& model, const Ema* ema,
                           const Adam* adam) {
  Checkpoint ck;
  ck.config = config;
  ck.meta = meta.is_null() ? json::object() : meta;
  auto add_all = [&](const std::string& prefix, std::span<const float> flat) {
    for (const auto& p : model.infos()) ck.add_tensor(prefix + p.name, p.shape, flat.subspan(p.offset, p.size));
  };
  add_all("param/", model.params());
  if (ema) {
    add_all("ema/", ema->shadow());
    ck.meta["ema_updates"] = ema->updates();
    ck.meta["ema_decay"] = ema->decay();
    ck.meta["ema_warmup"] = ema->warmup();
  }
  if (adam) {
    add_all("adam.m/", adam->m());
    add_all("adam.v/", adam->v());
    const auto& o = adam->options();
    ck.meta["adam_steps"] = adam->steps();
    ck.meta["adam"] = {{"lr", o.lr},   {"beta1", o.beta1},          {"beta2", o.beta2},
                       {"eps", o.eps}, {"weight_decay", o.weight_decay}, {"decoupled", o.decoupled}};
  }
  return ck;
}

namespace {
// Copies tensors "<prefix><name>" into `flat`, requiring exactly the model's names and shapes.
void restore_group(const Checkpoint& ck, const std::string& path, const ParamRegistry& model, const std::string& prefix,
                   std::span<float> flat) {
  size_t in_file = 0;
  for (const auto& t : ck.tensors)
    if (t.name.compare(0, prefix.size(), prefix) == 0) {
      ++in_file;
      const std::string name = t.name.substr(prefix.size());
      if (!model.contains(name))
        throw FileError(path, "architecture mismatch: the file has parameter '" + name +
                                  "' that the model does not (check model.* in the config)");
    }
  for (const auto& p : model.infos()) {
    const NamedTensor* t = ck.find_tensor(prefix + p.name);
    if (!t)
      throw FileError(path, "architecture mismatch: parameter '" + p.name + "' of the model is missing from the file" +
                                (prefix == "param/" ? "" : " (" + prefix + " state)"));
    if (t->shape != p.shape)
      throw FileError(path, "architecture mismatch: parameter '" + p.name + "' has shape " + shape_str(t->shape) +
                                " in the file but " + shape_str(p.shape) + " in the model");
    std::copy(t->data.begin(), t->data.end(), flat.begin() + static_cast<std::ptrdiff_t>(p.offset));
  }
  if (in_file != model.infos().size())
    throw FileError(path, "architecture mismatch: parameter count differs");
}

int64_t meta_int(const Checkpoint& ck, const std::string& key, const std::string& path) {
  if (!ck.meta.contains(key) || !ck.meta[key].is_number_integer())
    throw FileError(path, "checkpoint metadata lacks '" + key + "' needed to resume");
  return ck.meta[key].get<int64_t>();
}
}  // namespace

void restore_checkpoint(const Checkpoint& ck, const std::string& path, ParamRegistry& model, Ema* ema, Adam* adam) {
  // Validate everything before changing anything.
  std::vector<float> p(model.size()), e, m, v;
  restore_group(ck, path, model, "param/", p);
  if (ema) {
    e.resize(model.size());
    restore_group(ck, path, model, "ema/", e);
  }
  if (adam) {
    m.resize(model.size());
    v.resize(model.size());
    restore_group(ck, path, model, "adam.m/", m);
    restore_group(ck, path, model, "adam.v/", v);
  }
  const int64_t ema_updates = ema ? meta_int(ck, "ema_updates", path) : 0;
  const int64_t adam_steps = adam ? meta_int(ck, "adam_steps", path) : 0;
  std::copy(p.begin(), p.end(), model.params().begin());
  if (ema) {
    std::copy(e.begin(), e.end(), ema->shadow().begin());
    ema->set_updates(ema_updates);
  }
  if (adam) {
    std::copy(m.begin(), m.end(), adam->m().begin());
    std::copy(v.begin(), v.end(), adam->v().begin());
    adam->set_steps(adam_steps);
  }
}

void load_weights(const Checkpoint& ck, const std::string& path, ParamRegistry& model, bool use_ema) {
  std::vector<float> p(model.size());
  const bool ema = use_ema && ck.find_tensor("ema/" + model.infos().front().name);
  restore_group(ck, path, model, ema ? "ema/" : "param/", p);
  std::copy(p.begin(), p.end(), model.params().begin());
}

void require_same_model_config(const Checkpoint& ck, const json& config, const std::string& path) {
  const json& a = ck.config.contains("model") ? ck.config["model"] : json();
  const json& b = config.contains("model") ? config["model"] : json();
  if (a != b)
    throw FileError(path, "config mismatch: the checkpoint's model section " + a.dump() +
                              " differs from the requested " + b.dump());
}

std::vector<uint8_t> rng_state_bytes(const Rng& rng) {
  const Rng::State st = rng.state();
  Writer w;
  for (auto s : st.s) w.pod<uint64_t>(s);
  w.pod<uint64_t>(st.seed);
  w.pod<double>(st.spare);
  w.pod<uint8_t>(st.has_spare ? 1 : 0);
  return std::move(w.out);
}

void set_rng_state(Rng& rng, const std::vector<uint8_t>& bytes, const std::string& path) {
  if (bytes.size() != 6 * 8 + 1) throw FileError(path, "malformed RNG state blob");
  Reader r(bytes.data(), bytes.size(), path);
  Rng::State st{};
  for (auto& s : st.s) s = r.pod<uint64_t>("rng");
  st.seed = r.pod<uint64_t>("rng");
  st.spare = r.pod<double>("rng");
  st.has_spare = r.pod<uint8_t>("rng") != 0;
  rng.set_state(st);
}

}  // namespace qdiff::nn
