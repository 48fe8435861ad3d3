// Checkpoints: round trip with identical outputs, bit-identical resume, and every bad-file case.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "qdiff/nn/unet.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::nn;

namespace {
UNetSpec small_spec() {
  UNetSpec s;
  s.in_channels = 1;
  s.image_size = 8;
  s.channels = {4, 8};
  s.temb_dim = 16;
  return s;
}

std::unique_ptr<UNet> small_net(uint64_t seed, int hidden = 3) {
  return std::make_unique<UNet>(small_spec(), std::make_unique<ClassicalBranch>(hidden), seed);
}

struct Trainer {
  std::unique_ptr<UNet> net;
  Adam adam;
  Ema ema;
  Rng rng;
  explicit Trainer(uint64_t seed)
      : net(small_net(seed)), adam(net->num_params(), {.lr = 1e-3}), ema(net->params(), 0.999, true), rng(77) {}
  void step() {
    const int B = 4, n = B * 64;
    std::vector<float> x(n), target(n), pred(n), d(n);
    std::vector<int> t(B);
    for (auto& v : x) v = static_cast<float>(rng.normal());
    for (auto& v : target) v = static_cast<float>(rng.normal());
    for (auto& v : t) v = static_cast<int>(rng.below(1000));
    net->zero_grad();
    net->forward(x.data(), t.data(), B, pred.data());
    for (int i = 0; i < n; ++i) d[i] = 2.0f * (pred[i] - target[i]) / n;
    net->backward(d.data());
    clip_grad_norm(net->grads(), 1.0);
    adam.step(net->params(), net->grads());
    ema.update(net->params());
  }
  Checkpoint save(const Config& cfg) {
    Checkpoint ck = make_checkpoint(cfg.resolved(), {{"step", adam.steps()}}, net->registry(), &ema, &adam);
    ck.add_blob("rng", rng_state_bytes(rng));
    return ck;
  }
};

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Expects FileError whose message names the path and contains `problem`.
void expect_file_error(const std::string& path, const std::string& problem) {
  try {
    UNet probe(small_spec(), std::make_unique<ClassicalBranch>(3), 1);
    Checkpoint ck = load_checkpoint(path);
    restore_checkpoint(ck, path, probe.registry());
    ADD_FAILURE() << "no error for " << problem;
  } catch (const FileError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Checkpoint, SaveLoadGivesIdenticalOutputs) {
  test::TempDir dir;
  Config cfg;
  auto a = small_net(1);
  Trainer tr(1);
  tr.step();
  const std::string path = dir.file("ck.bin");
  Checkpoint ck = tr.save(cfg);
  ck.meta["note"] = "hello";
  ck.add_blob("raw", {1, 2, 3});
  save_checkpoint(path, ck);

  auto b = small_net(999);  // different init, overwritten by the load
  Checkpoint back = load_checkpoint(path);
  EXPECT_EQ(back.config, cfg.resolved());
  EXPECT_EQ(back.meta["note"], "hello");
  EXPECT_EQ(back.meta["step"], 1);
  ASSERT_NE(back.find_blob("raw"), nullptr);
  EXPECT_EQ(*back.find_blob("raw"), (std::vector<uint8_t>{1, 2, 3}));
  restore_checkpoint(back, path, b->registry());
  EXPECT_TRUE(same_bits(b->params(), tr.net->params()));
  std::vector<float> x(2 * 64, 0.25f), y1(x.size()), y2(x.size());
  std::vector<int> t = {5, 700};
  tr.net->forward(x.data(), t.data(), 2, y1.data(), false);
  b->forward(x.data(), t.data(), 2, y2.data(), false);
  EXPECT_TRUE(same_bits(y1, y2));
  // EMA weights load
  auto c = small_net(5);
  load_weights(back, path, c->registry(), true);
  EXPECT_TRUE(same_bits(c->params(), tr.ema.shadow()));
}

TEST(Checkpoint, ResumeIsBitIdentical) {
  test::TempDir dir;
  Config cfg;
  Trainer full(1);
  for (int i = 0; i < 6; ++i) full.step();

  Trainer first(1);
  for (int i = 0; i < 3; ++i) first.step();
  save_checkpoint(dir.file("mid.bin"), first.save(cfg));

  Trainer resumed(42);  // different init and RNG: everything must come from the file
  resumed.rng.reseed(5);
  const Checkpoint ck = load_checkpoint(dir.file("mid.bin"));
  restore_checkpoint(ck, dir.file("mid.bin"), resumed.net->registry(), &resumed.ema, &resumed.adam);
  set_rng_state(resumed.rng, *ck.find_blob("rng"), dir.file("mid.bin"));
  EXPECT_EQ(resumed.adam.steps(), 3);
  EXPECT_TRUE(same_bits(resumed.net->params(), first.net->params())) << "restored params";
  EXPECT_TRUE(same_bits(resumed.adam.m(), first.adam.m())) << "restored m";
  EXPECT_TRUE(same_bits(resumed.ema.shadow(), first.ema.shadow())) << "restored ema";
  for (int i = 0; i < 3; ++i) resumed.step();
  EXPECT_TRUE(same_bits(resumed.net->params(), full.net->params()));
  EXPECT_TRUE(same_bits(resumed.ema.shadow(), full.ema.shadow()));
  EXPECT_TRUE(same_bits(resumed.adam.m(), full.adam.m()));
  EXPECT_TRUE(same_bits(resumed.adam.v(), full.adam.v()));
}

TEST(Checkpoint, BadFilesAreClearErrors) {
  test::TempDir dir;
  Config cfg;
  Trainer tr(1);
  const auto good = serialize_checkpoint(tr.save(cfg));
  const std::string p = dir.file("bad.bin");

  auto truncated = good;
  truncated.resize(good.size() / 2);
  write_bytes(p, truncated);
  expect_file_error(p, "truncated");
  truncated.resize(10);
  write_bytes(p, truncated);
  expect_file_error(p, "truncated");

  auto flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  write_bytes(p, flipped);
  expect_file_error(p, "checksum mismatch");
  auto flipped_crc = good;
  flipped_crc.back() ^= 1;
  write_bytes(p, flipped_crc);
  expect_file_error(p, "checksum mismatch");

  auto magic = good;
  magic[0] = 'X';
  write_bytes(p, magic);
  expect_file_error(p, "bad magic");

  auto future = good;
  const uint32_t v = kCheckpointVersion + 1;
  std::memcpy(future.data() + 8, &v, 4);
  write_bytes(p, future);
  expect_file_error(p, "newer than this build supports");

  auto trailing = good;
  trailing.push_back(0);
  write_bytes(p, trailing);
  expect_file_error(p, "trailing");

  write_bytes(p, {});
  expect_file_error(p, "truncated");
  expect_file_error(dir.file("absent.bin"), "no such file");
}

TEST(Checkpoint, ArchitectureMismatchNamesTheProblem) {
  test::TempDir dir;
  Config cfg;
  const std::string p = dir.file("ck.bin");
  auto net = small_net(1, /*hidden=*/3);
  save_checkpoint(p, make_checkpoint(cfg.resolved(), {}, net->registry()));
  const Checkpoint ck = load_checkpoint(p);

  auto other_hidden = small_net(1, 5);  // bottleneck.fc1.weight [5,8] vs [3,8]
  try {
    restore_checkpoint(ck, p, other_hidden->registry());
    ADD_FAILURE();
  } catch (const FileError& e) {
    EXPECT_EQ(e.path(), p);
    EXPECT_NE(std::string(e.what()).find("architecture mismatch: parameter 'bottleneck.fc1.weight' has shape [3,8]"),
              std::string::npos)
        << e.what();
  }
  UNet none(small_spec(), nullptr, 1);  // the file has bottleneck.* parameters the model lacks
  EXPECT_THROW(restore_checkpoint(ck, p, none.registry()), FileError);
  UNetSpec wider = small_spec();
  wider.channels = {4, 12};
  UNet w(wider, std::make_unique<ClassicalBranch>(3), 1);
  EXPECT_THROW(restore_checkpoint(ck, p, w.registry()), FileError);
  // resume needs the optimizer state
  Adam adam(net->num_params(), {});
  EXPECT_THROW(restore_checkpoint(ck, p, net->registry(), nullptr, &adam), FileError);
  // the model weights were not touched by the failed restores
  auto fresh = small_net(1, 3);
  EXPECT_TRUE(same_bits(fresh->params(), net->params()));
  // config mismatch
  Config other;
  other.set("model.bottleneck=none");
  EXPECT_THROW(require_same_model_config(ck, other.resolved(), p), FileError);
  EXPECT_NO_THROW(require_same_model_config(ck, cfg.resolved(), p));
}

// Found by fuzzing (tests/fuzz/fuzz_checkpoint.cpp): a tensor with no elements made the reader
// memcpy from a null vector (undefined behaviour, caught by UBSan). It loads now.
TEST(Checkpoint, FuzzRegressionEmptyTensor) {
  const auto bytes = read_file_bytes(qdiff::test::repo_path("tests/data/fuzz_regressions/checkpoint_empty_tensor.bin"));
  try {
    parse_checkpoint(bytes, "checkpoint_empty_tensor.bin");
  } catch (const FileError&) {
  }
  Checkpoint ck;
  ck.add_tensor("empty", {0, 3}, std::span<const float>());
  const Checkpoint back = parse_checkpoint(serialize_checkpoint(ck), "empty.bin");
  ASSERT_EQ(back.tensors.size(), 1u);
  EXPECT_EQ(back.tensors[0].shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(back.tensors[0].data.empty());
}

// A shape whose element count overflows 64 bits (2^62 x 4 = 2^64 -> 0) must not pass as an
// empty tensor.
TEST(Checkpoint, ShapeLargerThanTheFileIsRefused) {
  Checkpoint bad;
  bad.tensors.push_back({"huge", {int64_t(1) << 62, 4}, {}});
  try {
    parse_checkpoint(serialize_checkpoint(bad), "huge.bin");
    FAIL() << "a 2^64-element tensor with no data was accepted";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("shape larger than the file"), std::string::npos) << e.what();
  }
}
