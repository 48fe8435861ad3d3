// Checkpoint files: everything needed to sample from a model and to resume training exactly.
//
// Layout (little-endian):
//   "QDIFFCKP" (8 bytes) | u32 format version | u32 flags (0) | u64 body length
//   body: u64 n + resolved config JSON | u64 n + metadata JSON
//         u32 tensor count, each: u32 name length, name, u32 ndim, i64 dims[ndim], u32 dtype (0 = f32),
//                                 u64 byte count, data
//         u32 blob count,   each: u32 name length, name, u64 byte count, bytes
//   u32 CRC-32 (zlib) of everything before it.
// Written with qdiff::write_file_atomic (temp file + fsync + rename). Every defect found on load
// (truncated, altered, bad magic, newer version, malformed, architecture mismatch) raises
// qdiff::FileError naming the file and the problem.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "qdiff/core/config.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/nn/optim.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::nn {

inline constexpr uint32_t kCheckpointVersion = 1;
inline constexpr char kCheckpointMagic[8] = {'Q', 'D', 'I', 'F', 'F', 'C', 'K', 'P'};

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct Checkpoint {
  json config = json::object();  // the resolved config of the run
  json meta = json::object();    // free-form: step, loss, timestamps, ...
  std::vector<NamedTensor> tensors;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> blobs;  // e.g. RNG state

  void add_tensor(const std::string& name, std::vector<int64_t> shape, std::span<const float> data);
  const NamedTensor* find_tensor(const std::string& name) const;
  void add_blob(const std::string& name, std::vector<uint8_t> bytes);
  const std::vector<uint8_t>* find_blob(const std::string& name) const;
};

std::vector<uint8_t> serialize_checkpoint(const Checkpoint& ck);
// `path` only names the source in errors.
Checkpoint parse_checkpoint(std::span<const uint8_t> bytes, const std::string& path);
void save_checkpoint(const std::string& path, const Checkpoint& ck);
Checkpoint load_checkpoint(const std::string& path);

// Training state <-> checkpoint. `config` is the run's resolved config (Config::resolved(), kept
// verbatim). Tensors "param/<name>", "ema/<name>", "adam.m/<name>", "adam.v/<name>" (EMA and
// Adam optional); meta gains "adam_steps", "ema_updates", "ema_decay", "ema_warmup",
// "adam": {lr, beta1, beta2, eps, weight_decay, decoupled}.
Checkpoint make_checkpoint(const json& config, const json& meta, const ParamRegistry& model, const Ema* ema = nullptr,
                           const Adam* adam = nullptr);
// Restores what is given (ema / adam may be null). Throws FileError(path, ...) when the model's
// parameter names or shapes differ from the file's ("architecture mismatch") or state is missing.
void restore_checkpoint(const Checkpoint& ck, const std::string& path, ParamRegistry& model, Ema* ema = nullptr,
                        Adam* adam = nullptr);
// Loads only weights: the EMA weights when use_ema (and present), else the raw parameters.
void load_weights(const Checkpoint& ck, const std::string& path, ParamRegistry& model, bool use_ema);
// Throws FileError(path, "config mismatch: ...") when the "model" sections of the checkpoint's
// config and of `config` (a resolved config) differ.
void require_same_model_config(const Checkpoint& ck, const json& config, const std::string& path);

// Rng state as a blob, for exact resume.
std::vector<uint8_t> rng_state_bytes(const Rng& rng);
void set_rng_state(Rng& rng, const std::vector<uint8_t>& bytes, const std::string& path);

}  // namespace qdiff::nn
