// A sweep cell interrupted mid-training (the trainer's should_stop hook, as Ctrl-C) continues
// from its checkpoint when run again and ends bit-identical to a cell that was never interrupted
// and never checkpointed; its checkpoints are deleted once the result is written.
#include <gtest/gtest.h>

#include <filesystem>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "qdiff/sweep/sweep.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

namespace {

sweep::SweepPlan plan_with_checkpoints(int64_t every) {
  const json j = {{"base", repo_path("configs/smoke.json")},
                  {"set", {{"train.steps", 8}, {"diffusion.T", 20}, {"data.path", repo_path("data/mnist.npz")},
                           {"data.n", 4}, {"train.log_every", 2}}},
                  {"axes", {{"train.seed", {3}}}},
                  {"checkpoint_every", every},
                  {"eval", {{"n_samples", 8}, {"ref", repo_path("data/mnist.npz")}, {"features", repo_path("data/features/mnist.bin")},
                            {"steps", 2}, {"max_ref", 40}, {"kid_subsets", 3}}}};
  return sweep::plan_from_json(j, "plan");
}

int count_checkpoints(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().filename().string().rfind("ckpt_", 0) == 0;
  return n;
}

}  // namespace

TEST(SweepResume, InterruptedCellContinuesBitIdenticalAndCleansUp) {
  TempDir tmp;
  const auto plan = plan_with_checkpoints(2);
  const sweep::Cell& cell = plan.cells[0];
  const std::string dir = tmp.file("a/cells/" + cell.id);
  // Stop after 5 steps (the 6th poll): a checkpoint at 2 and 4, the interrupt checkpoint at 5.
  int polls = 0;
  sweep::RunOptions stop;
  stop.should_stop = [&] { return ++polls > 5; };
  const json first = sweep::run_cell(plan, cell, tmp.file("a"), stop);
  EXPECT_EQ(first["status"], "interrupted");
  EXPECT_FALSE(std::filesystem::exists(dir + "/result.json"));
  EXPECT_TRUE(sweep::finished_result(plan, tmp.file("a"), cell).is_null());
  EXPECT_TRUE(std::filesystem::exists(dir + "/ckpt_00000005.bin"));

  const json resumed = sweep::run_cell(plan, cell, tmp.file("a"));
  ASSERT_EQ(resumed["status"], "ok") << resumed.dump();
  EXPECT_EQ(resumed["resumed_at_step"], 5);
  EXPECT_EQ(count_checkpoints(dir), 0);  // deleted once the result was written
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.bin"));

  // The reference: the same cell in one go, without checkpoints.
  const auto plain_plan = plan_with_checkpoints(0);
  const json plain = sweep::run_cell(plain_plan, plain_plan.cells[0], tmp.file("b"));
  ASSERT_EQ(plain["status"], "ok");
  EXPECT_EQ(plain["config_hash"], resumed["config_hash"]);  // checkpoints are not part of the config
  EXPECT_EQ(plain["final_loss"], resumed["final_loss"]);
  EXPECT_EQ(plain["metrics"]["fid"]["value"], resumed["metrics"]["fid"]["value"]);
  EXPECT_EQ(plain["metrics"]["kid"]["mean"], resumed["metrics"]["kid"]["mean"]);
  const auto a = nn::load_checkpoint(dir + "/model.bin"), b = nn::load_checkpoint(tmp.file("b/cells/" + cell.id + "/model.bin"));
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) EXPECT_EQ(a.tensors[i].data, b.tensors[i].data) << a.tensors[i].name;
  // config.json is the plan's config of the cell (its hash is config_hash), not the training copy.
  const json cfg = json::parse(read_file_text(dir + "/config.json"));
  EXPECT_EQ(cfg["train"]["ckpt_every"], json::parse(read_file_text(tmp.file("b/cells/" + cell.id + "/config.json")))["train"]["ckpt_every"]);

  // Killed after training but before the result (model.bin, no result.json): no retraining.
  std::filesystem::remove(dir + "/result.json");
  const json again = sweep::run_cell(plan, cell, tmp.file("a"));
  EXPECT_EQ(again["resumed_at_step"], 8);
  EXPECT_FALSE(again.contains("train_seconds"));
  EXPECT_EQ(again["final_loss"], plain["final_loss"]);
  EXPECT_EQ(again["metrics"]["fid"]["value"], plain["metrics"]["fid"]["value"]);
}

TEST(SweepResume, CheckpointsOfAnotherConfigAreNotResumed) {
  TempDir tmp;
  const auto plan = plan_with_checkpoints(2);
  int polls = 0;
  sweep::RunOptions stop;
  stop.should_stop = [&] { return ++polls > 3; };
  ASSERT_EQ(sweep::run_cell(plan, plan.cells[0], tmp.path(), stop)["status"], "interrupted");
  auto changed = plan;
  changed.set["train.lr"] = 0.000123;  // the plan changed: the old checkpoints must not be continued
  const json r = sweep::run_cell(changed, changed.cells[0], tmp.path());
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_FALSE(r.contains("resumed_at_step"));
  const json bad = {{"base", "x"}, {"checkpoint_every", -1}, {"axes", {{"train.seed", {0}}}}, {"eval", {{"ref", "r"}}}};
  EXPECT_THROW(sweep::plan_from_json(bad, "p.json"), FileError);
}
