// `qdiff sweep --status`: cell states, training progress, wall time and the ETA arithmetic on a
// sweep directory laid out by hand with fixed file times.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/sweep/status.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::sweep;
using json = nlohmann::json;
using qdiff::test::repo_path;
using qdiff::test::TempDir;
namespace fs = std::filesystem;

namespace {

json plan_json(int64_t steps = 4) {
  return {{"base", repo_path("configs/smoke.json")},
          {"set", {{"train.steps", steps}}},
          {"axes", {{"data.n", {4, 8}}, {"train.seed", {0, 1}}}},
          {"eval", {{"n_samples", 8}, {"ref", repo_path("data/mnist.npz")}, {"features", "pixels"}}}};
}

// The config hash run_cell records: base config, the plan's set, the cell's overrides.
std::string hash_of(const SweepPlan& p, const Cell& c) {
  Config cfg = Config::from_file(p.base_config);
  for (auto it = p.set.begin(); it != p.set.end(); ++it) cfg.set_value(it.key(), it.value());
  for (auto it = c.overrides.begin(); it != c.overrides.end(); ++it) cfg.set_value(it.key(), it.value());
  return cfg.hash();
}

struct Fixture {
  TempDir tmp;
  SweepPlan plan = plan_from_json(plan_json(), "plan");
  fs::file_time_type now = fs::file_time_type::clock::now();

  std::string cell(size_t i) const { return tmp.file("cells/" + plan.cells[i].id); }
  void write(const std::string& path, const std::string& text, int seconds_ago) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
    fs::last_write_time(path, now - std::chrono::seconds(seconds_ago));
    fs::last_write_time(fs::path(path).parent_path(), now - std::chrono::seconds(seconds_ago));  // as a real write does
  }
  // cells 0..3 = n=4 seed 0, n=4 seed 1, n=8 seed 0, n=8 seed 1
  Fixture() {
    write(tmp.file("plan.json"), json({{"name", "t"}, {"cells", 4}}).dump(), 400);
    json done = {{"id", plan.cells[0].id}, {"status", "ok"}, {"wall_seconds", 100.0},
                 {"axes", {{"data.n", 4}, {"train.seed", 0}}}, {"config_hash", hash_of(plan, plan.cells[0])}};
    write(cell(0) + "/config.json", "{}", 300);
    write(cell(0) + "/result.json", done.dump(), 200);
    write(cell(1) + "/config.json", json({{"train", {{"steps", 200}}}}).dump(), 30);
    write(cell(1) + "/metrics.csv", "step,loss,grad_norm,lr,ema_decay,seconds,it_per_s\n25,1,1,1,1,5,5\n50,1,1,1,1,10,5\n", 5);
    json failed = {{"id", plan.cells[2].id}, {"status", "failed"}, {"error", "boom"}, {"wall_seconds", 20.0},
                   {"axes", {{"data.n", 8}, {"train.seed", 0}}}};
    write(cell(2) + "/result.json", failed.dump(), 100);
  }
};

}  // namespace

TEST(SweepStatus, StatesProgressWallTimeAndEta) {
  Fixture f;
  const SweepStatus s = sweep_status(f.tmp.path(), &f.plan, f.now);
  ASSERT_EQ(s.cells.size(), 4u);
  EXPECT_EQ(s.count(CellState::Done), 1);
  EXPECT_EQ(s.count(CellState::Failed), 1);
  EXPECT_EQ(s.count(CellState::Running), 1);
  EXPECT_EQ(s.left(), 1);
  EXPECT_EQ(s.planned, 4);
  const CellProgress& run = s.cells[1];
  EXPECT_EQ(run.state, CellState::Running);
  EXPECT_EQ(run.step, 50);
  EXPECT_EQ(run.steps, 200);
  EXPECT_FALSE(run.trained);
  EXPECT_NEAR(run.seconds, 30, 1.5);  // started when its first file was written
  EXPECT_NEAR(run.idle, 5, 1.5);
  EXPECT_EQ(s.cells[2].error, "boom");
  EXPECT_NEAR(s.cell_seconds, 120, 1e-9);
  EXPECT_NEAR(s.wall_seconds, 300, 1.5);  // cell 0 ended 200 s ago after 100 s, and a cell still runs
  // ETA: the running n=4 cell from its seed-mate (100 s, 30 s done -> 70 s), the n=8 cell left
  // from all finished cells (100 s; the failed cell does not count), one cell at a time
  EXPECT_NEAR(run.estimate, 70, 1.5);
  EXPECT_NEAR(s.cells[3].estimate, 100, 1e-9);
  EXPECT_EQ(s.parallel, 1);
  EXPECT_NEAR(s.eta_seconds, 170, 1.5);
  ASSERT_EQ(s.eta_basis.size(), 2u);
  const std::string text = format_status(s);
  for (const char* want : {"done 1, failed 1, running 1, left 1", "training step 50/200 (25%)", "boom", "ETA 2m 50s",
                           "same settings, another seed", "the mean of all 1 finished cells", "n=4_seed=0"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
}

TEST(SweepStatus, WithoutTheSweepFileCountsFromPlanJson) {
  Fixture f;
  const SweepStatus s = sweep_status(f.tmp.path(), nullptr, f.now);
  EXPECT_EQ(s.cells.size(), 3u) << "only the cell directories are known";
  EXPECT_EQ(s.planned, 4);
  EXPECT_EQ(s.left(), 1);
  EXPECT_NEAR(s.eta_seconds, 170, 1.5);  // the running cell's settings are unknown: mean of all
  EXPECT_NE(format_status(s).find("give --config for their ids"), std::string::npos);
}

TEST(SweepStatus, StaleRerunAndTrainedCells) {
  Fixture f;
  // the plan now trains longer: the finished cell is stale and counts as left
  const SweepPlan longer = plan_from_json(plan_json(8), "plan");
  SweepStatus s = sweep_status(f.tmp.path(), &longer, f.now);
  EXPECT_EQ(s.count(CellState::Stale), 1);
  EXPECT_EQ(s.count(CellState::Done), 0);
  EXPECT_EQ(s.left(), 2);
  EXPECT_LT(s.eta_seconds, 0) << "no finished cell of this config to estimate from";
  EXPECT_NE(format_status(s).find("unknown until a cell finishes"), std::string::npos);
  // the failed cell runs again (its files are newer than its result); the running one has trained
  f.write(f.cell(2) + "/config.json", json({{"train", {{"steps", 4}}}}).dump(), 10);
  f.write(f.cell(1) + "/model.bin", "", 2);
  s = sweep_status(f.tmp.path(), &f.plan, f.now);
  EXPECT_EQ(s.count(CellState::Running), 2);
  EXPECT_EQ(s.count(CellState::Failed), 0);
  EXPECT_NEAR(s.cells[2].seconds, 10, 1.5);
  EXPECT_TRUE(s.cells[1].trained);
  EXPECT_EQ(s.parallel, 2);
  EXPECT_NE(format_status(s).find("trained, sampling and evaluating"), std::string::npos);
}

TEST(SweepStatus, FinishedSweepAndBadDirectories) {
  Fixture f;
  json ok = {{"status", "ok"}, {"wall_seconds", 50.0}};
  for (size_t i = 1; i < 4; ++i) {
    ok["config_hash"] = hash_of(f.plan, f.plan.cells[i]);
    f.write(f.cell(i) + "/result.json", ok.dump(), 50);
  }
  const SweepStatus s = sweep_status(f.tmp.path(), &f.plan, f.now);
  EXPECT_EQ(s.count(CellState::Done), 4);
  EXPECT_EQ(s.left(), 0);
  EXPECT_NEAR(s.wall_seconds, 250, 1.5);  // first start (300 s ago) to the last result (50 s ago)
  EXPECT_NE(format_status(s).find("nothing left to run"), std::string::npos);
  EXPECT_THROW(sweep_status(f.tmp.file("missing"), nullptr, f.now), FileError);
  fs::create_directories(f.tmp.file("empty"));
  EXPECT_THROW(sweep_status(f.tmp.file("empty"), nullptr, f.now), FileError);
}

TEST(SweepStatus, Durations) {
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(250), "4m 10s");
  EXPECT_EQ(format_duration(3720), "1h 02m");
}
