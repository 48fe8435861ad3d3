// Training does not depend on the OpenMP thread count: the same config trained with --threads 1
// and --threads 2 writes checkpoints whose weights (and EMA and Adam state) are bit-identical.
#include <gtest/gtest.h>

#include "qdiff_run.hpp"
#include "same_weights.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::expect_same_tensors;
using qdiff::test::qdiff_run;
using qdiff::test::TempDir;

namespace {
void train_with_1_and_2_threads(const std::string& args) {
  TempDir tmp;
  for (const char* th : {"1", "2"}) {
    std::string out;
    ASSERT_EQ(qdiff_run("--log-level warn train " + args + " --threads " + th + " --out " + tmp.file(th), &out), 0) << out;
  }
  expect_same_tensors(tmp.file("1/model.bin"), tmp.file("2/model.bin"));
}
}  // namespace

// The smoke config: large arch (GroupNorm), quantum bottleneck, batch 8 (two leaves of the
// gradient tree).
TEST(Threads, SmokeTrainingIsBitIdenticalWith1And2Threads) {
  train_with_1_and_2_threads("--config configs/smoke.json --set train.ckpt_every=0");
}

// The paper arch at full size with the classical bottleneck, batch 10 (leaves of 2 and 3 images),
// 2 steps.
TEST(Threads, PaperArchTrainingIsBitIdenticalWith1And2Threads) {
  train_with_1_and_2_threads(
      "--config configs/mnist_classical.json --steps 2 --set train.batch=10 --set data.n=20 --set data.split=test "
      "--set train.ckpt_every=0 --set sample.n=1 --set sample.steps=1");
}
