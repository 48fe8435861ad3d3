// `kill -9` during training, checkpoint writes included: no partial file is ever taken for a
// checkpoint, and a resume from the newest complete one finishes bit-identical to a run that
// was never interrupted. A test hook (QDIFF_TEST_KILL_MID_WRITE, core/files.cpp) makes the
// kill land inside a checkpoint write deterministically; kills at random moments add to it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include "qdiff/core/error.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::repo_path;
using qdiff::test::run_command;
using qdiff::test::TempDir;
namespace fs = std::filesystem;

namespace {

// Checkpoints every 2 steps of the 20-step smoke run.
const std::string kTrain = std::string(QDIFF_BINARY) +
                           " --log-level warn train --config configs/smoke.json --set train.ckpt_every=2 --out ";

int qdiff_sh(const std::string& command, std::string* out) {
  return run_command("cd " + repo_path("") + " && " + command + " </dev/null", out);
}

// The files a checkpoint glob ("ckpt_*.bin") finds, oldest first.
std::vector<fs::path> checkpoints(const std::string& dir) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("ckpt_", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".bin") == 0) v.push_back(e.path());
  }
  std::sort(v.begin(), v.end());
  return v;
}

void expect_same_weights(const std::string& a_path, const std::string& b_path) {
  const auto a = nn::load_checkpoint(a_path), b = nn::load_checkpoint(b_path);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_TRUE(a.tensors[i].data == b.tensors[i].data) << a.tensors[i].name << " differs";
  }
  EXPECT_EQ(a.meta["step"], b.meta["step"]);
}

// Starts `command` in the background; once `ready()` holds (polled, at most two minutes) waits
// `delay` more, SIGKILLs it and waits for it.
void kill_after(const std::string& command, const std::function<bool()>& ready, std::chrono::milliseconds delay) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", ("cd " + repo_path("") + " && exec " + command + " </dev/null >/dev/null 2>&1").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (!ready() && std::chrono::steady_clock::now() - t0 < std::chrono::minutes(2))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(delay);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

}  // namespace

TEST(CheckpointKill, KillInsideAWriteLeavesOnlyCompleteCheckpointsAndResumeIsBitIdentical) {
  TempDir tmp;
  std::string out;
  ASSERT_EQ(qdiff_sh(kTrain + tmp.file("ref"), &out), 0) << out;

  // Killed halfway through writing ckpt_00000012.bin.
  const int rc = qdiff_sh("QDIFF_TEST_KILL_MID_WRITE=ckpt_00000012.bin " + kTrain + tmp.file("k"), &out);
  EXPECT_NE(rc, 0) << "the hook should have killed the run: " << out;
  EXPECT_FALSE(fs::exists(tmp.file("k/ckpt_00000012.bin")));
  EXPECT_FALSE(fs::exists(tmp.file("k/model.bin")));
  // The half-written temporary file is there, hidden and not named like a checkpoint...
  std::vector<fs::path> partial;
  for (const auto& e : fs::directory_iterator(tmp.file("k")))
    if (e.path().filename().string().rfind(".ckpt_00000012.bin.tmp.", 0) == 0) partial.push_back(e.path());
  ASSERT_EQ(partial.size(), 1u) << "expected the interrupted write's temporary file";
  // ...and refused if someone loads it anyway.
  EXPECT_THROW(nn::load_checkpoint(partial[0].string()), FileError);
  // Every file a checkpoint glob finds is complete.
  const auto found = checkpoints(tmp.file("k"));
  ASSERT_EQ(found.size(), 5u);  // steps 2, 4, 6, 8, 10
  for (const auto& p : found) EXPECT_NO_THROW(nn::load_checkpoint(p.string())) << p;
  EXPECT_EQ(found.back().filename(), "ckpt_00000010.bin");

  ASSERT_EQ(qdiff_sh(std::string(QDIFF_BINARY) + " --log-level warn train --resume " + found.back().string() +
                         " --out " + tmp.file("k"), &out), 0) << out;
  expect_same_weights(tmp.file("ref/model.bin"), tmp.file("k/model.bin"));
}

TEST(CheckpointKill, KillsAtRandomMomentsNeverLeaveAPartialCheckpoint) {
  TempDir tmp;
  std::mt19937 gen(14);
  std::uniform_int_distribution<int> delay_ms(0, 1500);
  // Checkpoints at every step, so many kills land in or near a write.
  const std::string cmd = std::string(QDIFF_BINARY) +
                          " --log-level warn train --config configs/smoke.json --steps 100000 --set train.ckpt_every=1"
                          " --set train.log_every=1 --out " + tmp.file("r");
  int loaded = 0;
  for (int round = 0; round < 6; ++round) {
    // Each round starts afresh and is killed at a random moment after its first checkpoint.
    fs::remove_all(tmp.file("r"));
    kill_after(cmd, [&] { return fs::exists(tmp.file("r/ckpt_00000001.bin")); }, std::chrono::milliseconds(delay_ms(gen)));
    ASSERT_TRUE(fs::exists(tmp.file("r"))) << "round " << round;
    for (const auto& p : checkpoints(tmp.file("r"))) {
      EXPECT_NO_THROW(nn::load_checkpoint(p.string())) << p << " after kill " << round;
      ++loaded;
    }
  }
  EXPECT_GE(loaded, 6) << "every round wrote at least its first checkpoint";
}
