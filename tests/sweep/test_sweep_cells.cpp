// Running a selection of a sweep's cells (--cells GLOB): one cell rerun on its own from the sweep
// file gives the numbers the whole grid gave it; a glob that selects nothing is an error.
#include <gtest/gtest.h>

#include <filesystem>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/sweep/sweep.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

namespace {
sweep::SweepPlan small_plan() {
  const json j = {{"name", "cells-test"},
                  {"base", repo_path("configs/smoke.json")},
                  {"set", {{"train.steps", 3}, {"diffusion.T", 20}, {"model.bottleneck", "classical"},
                           {"data.path", repo_path("data/mnist.npz")}}},
                  {"axes", {{"data.n", {4, 8}}, {"train.seed", {0, 1}}}},
                  {"eval", {{"n_samples", 8}, {"ref", repo_path("data/mnist.npz")}, {"features", "pixels"}, {"steps", 2},
                            {"max_ref", 50}, {"kid_subsets", 3}}}};
  return sweep::plan_from_json(j, "cells.json");
}
json result_of(const std::string& out, const std::string& id) {
  return json::parse(read_file_text(out + "/cells/" + id + "/result.json"));
}
}  // namespace

TEST(SweepCells, OneCellRerunAloneGivesTheNumbersTheGridGaveIt) {
  const auto plan = small_plan();
  TempDir grid, rerun;
  sweep::run_sweep(plan, grid.path());
  sweep::RunOptions one;
  one.cells = "n=8_seed=1";
  sweep::run_sweep(plan, rerun.path(), one);
  std::vector<std::string> ran;
  for (const auto& e : std::filesystem::directory_iterator(rerun.file("cells"))) ran.push_back(e.path().filename().string());
  EXPECT_EQ(ran, std::vector<std::string>{"n=8_seed=1"});
  const json a = result_of(grid.path(), "n=8_seed=1"), b = result_of(rerun.path(), "n=8_seed=1");
  ASSERT_EQ(b["status"], "ok") << b.dump();
  EXPECT_EQ(b["final_loss"], a["final_loss"]);
  EXPECT_EQ(b["metrics"], a["metrics"]);
  EXPECT_EQ(b["config_hash"], a["config_hash"]);

  sweep::RunOptions glob;
  glob.cells = "n=4_*";
  EXPECT_TRUE(sweep::cell_selected(glob.cells, "n=4_seed=1"));
  EXPECT_FALSE(sweep::cell_selected(glob.cells, "n=8_seed=1"));
  EXPECT_TRUE(sweep::cell_selected("", "anything"));
  sweep::run_sweep(plan, rerun.path(), glob);
  EXPECT_EQ(result_of(rerun.path(), "n=4_seed=0")["metrics"], result_of(grid.path(), "n=4_seed=0")["metrics"]);
  // plan.json records the selection (what `--status` counts as planned); a whole run records none
  const json recorded = json::parse(read_file_text(rerun.file("plan.json")));
  EXPECT_EQ(recorded["selection"], "n=4_*");
  EXPECT_EQ(recorded["selected"], json({"n=4_seed=0", "n=4_seed=1"}));
  EXPECT_FALSE(json::parse(read_file_text(grid.file("plan.json"))).contains("selected"));

  sweep::RunOptions none;
  none.cells = "n=16_*";
  try {
    sweep::run_sweep(plan, rerun.path(), none);
    ADD_FAILURE() << "a glob that selects no cell must be an error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("--cells 'n=16_*' matches none of the 4 cells"), std::string::npos) << e.what();
  }
}
