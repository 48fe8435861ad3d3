// `qdiff train` and `qdiff sample` end to end on configs/smoke.json: the loss falls, resume is
// bit-identical, sampling is deterministic, Ctrl-C saves, NaN stops, bad inputs fail clearly.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "qdiff/core/files.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/io/npz.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "qdiff_run.hpp"
#include "same_weights.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::qdiff_run;
using qdiff::test::repo_path;
using qdiff::test::run_command;
using qdiff::test::TempDir;

namespace {

std::vector<double> losses(const std::string& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<double> v;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string step, loss;
    std::getline(ss, step, ',');
    std::getline(ss, loss, ',');
    v.push_back(std::stod(loss));
  }
  return v;
}

// One shared fresh run of the smoke config (20 steps, checkpoint at 10).
class SmokeRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string out;
    rc_ = qdiff_run("train --config configs/smoke.json --out " + dir_->file("a"), &out);
    log_ = new std::string(out);
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete log_;
  }
  static TempDir* dir_;
  static std::string* log_;
  static int rc_;
};
TempDir* SmokeRun::dir_ = nullptr;
std::string* SmokeRun::log_ = nullptr;
int SmokeRun::rc_ = -1;

}  // namespace

TEST_F(SmokeRun, TrainsWritesEverythingAndTheLossFalls) {
  ASSERT_EQ(rc_, 0) << *log_;
  for (const char* f : {"config.json", "metrics.csv", "loss.png", "model.bin", "samples.png", "ckpt_00000010.bin"})
    EXPECT_TRUE(std::filesystem::exists(dir_->file(std::string("a/") + f))) << f;
  const auto l = losses(dir_->file("a/metrics.csv"));
  ASSERT_EQ(l.size(), 4u);
  EXPECT_LT(l.back(), 0.8 * l.front()) << "loss should fall over 20 steps";
  const auto cfg = json::parse(read_file_text(dir_->file("a/config.json")));
  EXPECT_EQ(cfg["train"]["steps"], 20);
  EXPECT_EQ(cfg["version"], version());  // "0.1.0+<git commit>"
  EXPECT_EQ(nn::load_checkpoint(dir_->file("a/model.bin")).meta["version"], version());
}

TEST_F(SmokeRun, ResumeIsBitIdentical) {
  ASSERT_EQ(rc_, 0) << *log_;
  std::string out;
  ASSERT_EQ(qdiff_run("train --resume " + dir_->file("a/ckpt_00000010.bin") + " --out " + dir_->file("b"), &out), 0) << out;
  const auto a = nn::load_checkpoint(dir_->file("a/model.bin"));
  const auto b = nn::load_checkpoint(dir_->file("b/model.bin"));
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_TRUE(a.tensors[i].data == b.tensors[i].data) << a.tensors[i].name << " differs after resume";
  }
  EXPECT_EQ(a.meta["step"], b.meta["step"]);
}

TEST_F(SmokeRun, SamplingIsDeterministicUnderASeed) {
  ASSERT_EQ(rc_, 0) << *log_;
  std::string out;
  const std::string ck = dir_->file("a/model.bin");
  for (const char* name : {"s1", "s2"})
    ASSERT_EQ(qdiff_run("sample --ckpt " + ck + " --n 6 --batch 4 --seed 3 --out " + dir_->file(std::string(name) + ".png") +
                            " --npz " + dir_->file(std::string(name) + ".npz"), &out), 0) << out;
  ASSERT_EQ(qdiff_run("sample --ckpt " + ck + " --n 6 --seed 4 --sampler ddpm --out '' --npz " + dir_->file("s3.npz"), &out), 0) << out;
  const auto i1 = NpzFile(dir_->file("s1.npz")).read("images");
  const auto i2 = NpzFile(dir_->file("s2.npz")).read("images");
  const auto i3 = NpzFile(dir_->file("s3.npz")).read("images");
  EXPECT_EQ(i1.shape, (std::vector<int64_t>{6, 28, 28}));
  EXPECT_EQ(i1.dtype, DType::U1);
  EXPECT_EQ(i1.data, i2.data);
  EXPECT_NE(i1.data, i3.data);
}

TEST_F(SmokeRun, NanStopsAndKeepsTheLastGoodCheckpoint) {
  ASSERT_EQ(rc_, 0) << *log_;
  // A checkpoint whose weights hold a NaN: resuming from it must stop at once, save nothing.
  auto ck = nn::load_checkpoint(dir_->file("a/ckpt_00000010.bin"));
  for (auto& t : ck.tensors)
    if (t.name.rfind("param/", 0) == 0) t.data[0] = NAN;
  nn::save_checkpoint(dir_->file("nan.bin"), ck);
  std::string out;
  EXPECT_EQ(qdiff_run("train --resume " + dir_->file("nan.bin") + " --out " + dir_->file("c"), &out), 1) << out;
  EXPECT_NE(out.find("diverged at step 11"), std::string::npos) << out;
  EXPECT_NE(out.find("Last good checkpoint: " + dir_->file("nan.bin")), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_->file("c/model.bin")));
  EXPECT_FALSE(std::filesystem::exists(dir_->file("c/ckpt_00000020.bin")));
}

TEST_F(SmokeRun, BadCheckpointsAreClearErrors) {
  ASSERT_EQ(rc_, 0) << *log_;
  auto bytes = read_file_bytes(dir_->file("a/model.bin"));
  bytes.resize(bytes.size() / 3);
  write_file_atomic(dir_->file("trunc.bin"), bytes);
  std::string out;
  EXPECT_EQ(qdiff_run("sample --ckpt " + dir_->file("trunc.bin") + " --n 2", &out), 1);
  EXPECT_NE(out.find(dir_->file("trunc.bin")), std::string::npos) << out;
  EXPECT_EQ(qdiff_run("sample --ckpt " + repo_path("README.md") + " --n 2", &out), 1);
  EXPECT_NE(out.find("README.md"), std::string::npos) << out;
  // A checkpoint of one architecture cannot resume a run configured with another.
  EXPECT_EQ(qdiff_run("train --config configs/smoke.json --set model.base_channels=12 --resume " +
                          dir_->file("a/ckpt_00000010.bin") + " --out " + dir_->file("d"), &out), 1);
  EXPECT_NE(out.find("mismatch"), std::string::npos) << out;
}

TEST_F(SmokeRun, CircuitPrintsAndExportsQasm) {
  ASSERT_EQ(rc_, 0) << *log_;
  std::string out;
  ASSERT_EQ(qdiff_run("circuit --ckpt " + dir_->file("a/model.bin") + " --qasm " + dir_->file("c.qasm") + " --qasm-version 3", &out), 0) << out;
  EXPECT_NE(out.find("qubits 4, layers 1, ansatz default"), std::string::npos) << out;
  const auto text = read_file_text(dir_->file("c.qasm"));
  EXPECT_NE(text.find("OPENQASM 3.0;"), std::string::npos);
  EXPECT_NE(text.find("cx q[3],q[0];"), std::string::npos) << text;  // the ring closes
}

TEST(NoiseCli, QuantumSourcePassesAndReports) {
  std::string out;
  ASSERT_EQ(qdiff_run("noise --source quantum --n 50000 --seed 1", &out), 0) << out;
  EXPECT_NE(out.find("consistent with N(0,1)"), std::string::npos) << out;
  EXPECT_NE(out.find("excess kurtosis"), std::string::npos) << out;
}

TEST(TrainCli, CtrlCSavesACheckpointAndExitsCleanly) {
  TempDir tmp;
  std::string out;
  // SIGINT once training is under way (its metrics.csv has a line), however slow the machine.
  const std::string dir = tmp.file("r");
  const int rc = run_command("cd " + repo_path("") + " && { " + std::string(QDIFF_BINARY) +
                                 " train --config configs/smoke.json --steps 100000 --out " + dir +
                                 " </dev/null & pid=$!; for i in $(seq 1200); do [ -s " + dir +
                                 "/metrics.csv ] && break; sleep 0.1; done; kill -INT $pid; wait $pid; }",
                             &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("interrupted at step"), std::string::npos) << out;
  int ckpts = 0;
  for (auto& e : std::filesystem::directory_iterator(tmp.file("r")))
    ckpts += e.path().filename().string().rfind("ckpt_", 0) == 0;
  EXPECT_GE(ckpts, 1);
}

// With shot noise in the bottleneck, a preview drawn at a checkpoint's step (after the checkpoint
// is written) must not move the training's shot stream: the run resumed from that checkpoint
// (which does not redraw the preview) ends bit-identical to the unbroken one.
TEST(TrainCli, ResumeWithShotsAndPreviewsIsBitIdentical) {
  TempDir tmp;
  std::string out;
  const std::string run = "--log-level warn train --config configs/smoke.json --threads 1 --set quantum.shots=64 --steps 6 "
                          "--set train.ckpt_every=2 --set train.sample_every=2 --out ";
  ASSERT_EQ(qdiff_run(run + tmp.file("a"), &out), 0) << out;
  ASSERT_TRUE(std::filesystem::exists(tmp.file("a/preview_00000002.png")));
  ASSERT_EQ(qdiff_run(run + tmp.file("b") + " --resume " + tmp.file("a/ckpt_00000002.bin"), &out), 0) << out;
  qdiff::test::expect_same_tensors(tmp.file("a/model.bin"), tmp.file("b/model.bin"));
}

// train.keep_checkpoints = K: after each periodic checkpoint only the last K remain; model.bin,
// other files and a later run's checkpoints stay; the checkpoint a run resumed from goes only
// once a newer one is written.
TEST(TrainCli, KeepCheckpointsKeepsOnlyTheLastK) {
  TempDir tmp;
  const std::string dir = tmp.file("r");
  auto files = [&] {
    std::set<std::string> names;
    for (auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("ckpt_", 0) == 0 || n == "model.bin") names.insert(n);
    }
    return names;
  };
  using Names = std::set<std::string>;
  const std::string train = "--log-level warn train --config configs/smoke.json --threads 1 --set train.ckpt_every=2 --out " + dir;
  std::string out;
  ASSERT_EQ(qdiff_run(train + " --steps 10 --set train.keep_checkpoints=2", &out), 0) << out;
  EXPECT_EQ(files(), (Names{"ckpt_00000006.bin", "ckpt_00000008.bin", "model.bin"}));

  // A later run's checkpoint and a file that only looks like one are not this run's to delete.
  write_file_atomic(dir + "/ckpt_00000099.bin", std::string_view("another run"));
  write_file_atomic(dir + "/ckpt_notes.bin", std::string_view("notes"));
  // Resumed from ckpt 8 with K = 1: ckpt 8 stays until ckpt 10 exists, then 10 gives way to 12.
  ASSERT_EQ(qdiff_run(train + " --steps 9 --set train.keep_checkpoints=1 --resume " + dir + "/ckpt_00000008.bin", &out), 0) << out;
  EXPECT_TRUE(files().count("ckpt_00000008.bin")) << "the checkpoint resumed from went before a newer one existed";
  ASSERT_EQ(qdiff_run(train + " --steps 13 --set train.keep_checkpoints=1 --resume " + dir + "/ckpt_00000008.bin", &out), 0) << out;
  EXPECT_EQ(files(), (Names{"ckpt_00000012.bin", "ckpt_00000099.bin", "ckpt_notes.bin", "model.bin"}));
}

TEST(TrainCli, BadConfigIsAClearError) {
  TempDir tmp;
  write_file_atomic(tmp.file("bad.json"), std::string_view(R"({"train": {"stepz": 10}})"));
  std::string out;
  EXPECT_EQ(qdiff_run("train --config " + tmp.file("bad.json") + " --out " + tmp.file("o"), &out), 1);
  EXPECT_NE(out.find("bad.json"), std::string::npos) << out;
  EXPECT_NE(out.find("did you mean 'train.steps'"), std::string::npos) << out;
  EXPECT_EQ(qdiff_run("train --config configs/smoke.json --set quantum.n_qubits=99 --out " + tmp.file("o"), &out), 1);
  EXPECT_NE(out.find("out of range"), std::string::npos) << out;
  EXPECT_EQ(qdiff_run("train --config configs/smoke.json --set data.n=100000 --out " + tmp.file("o"), &out), 1);
  EXPECT_NE(out.find("only 10000 are available"), std::string::npos) << out;
}
