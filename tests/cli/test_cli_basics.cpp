// The qdiff binary end to end: help, version, data description, clear errors and exit codes.
#include <gtest/gtest.h>

#include "qdiff/core/version.hpp"
#include "support/test_support.hpp"

using qdiff::test::repo_path;
using qdiff::test::run_command;

namespace {
int qdiff_run(const std::string& args, std::string* out) {
  return run_command(std::string(QDIFF_BINARY) + " " + args + " </dev/null", out);
}
}  // namespace

TEST(Cli, HelpAndVersion) {
  std::string out;
  EXPECT_EQ(qdiff_run("--help", &out), 0);
  for (const char* cmd : {"data", "train", "sample", "eval", "sweep"}) EXPECT_NE(out.find(cmd), std::string::npos) << cmd;
  EXPECT_EQ(qdiff_run("--version", &out), 0);
  EXPECT_NE(out.find("qdiff 0."), std::string::npos) << out;
  EXPECT_NE(out.find("qdiff " + qdiff::version() + " ("), std::string::npos) << out;  // with the git commit
}

TEST(Cli, DataDescribesBundledFile) {
  std::string out;
  ASSERT_EQ(qdiff_run("data " + repo_path("data/breastmnist.npz"), &out), 0) << out;
  EXPECT_NE(out.find("train_images"), std::string::npos);
  EXPECT_NE(out.find("(546, 28, 28)"), std::string::npos) << out;
  EXPECT_NE(out.find("0:147 1:399"), std::string::npos) << out;
}

TEST(Cli, ErrorsAreOneClearLineAndNonZero) {
  std::string out;
  EXPECT_EQ(qdiff_run("data /no/such/file.npz", &out), 1);
  EXPECT_NE(out.find("/no/such/file.npz: no such file"), std::string::npos) << out;
  EXPECT_EQ(qdiff_run("data " + repo_path("README.md"), &out), 1);
  EXPECT_NE(out.find("not a .npz"), std::string::npos) << out;
  EXPECT_NE(qdiff_run("frobnicate", &out), 0);
  EXPECT_EQ(qdiff_run("config --set train.lrr=0.1", &out), 1);
  EXPECT_NE(out.find("did you mean 'train.lr'"), std::string::npos) << out;
  EXPECT_EQ(qdiff_run("--log-level loud config", &out), 1);
}

TEST(Cli, ConfigResolvesAndDocuments) {
  std::string out;
  ASSERT_EQ(qdiff_run("config " + repo_path("configs/mnist.json") + " --set train.steps=7", &out), 0) << out;
  EXPECT_NE(out.find("\"steps\": 7"), std::string::npos) << out;
  ASSERT_EQ(qdiff_run("config --doc", &out), 0);
  EXPECT_NE(out.find("`quantum.n_qubits`"), std::string::npos);
}
