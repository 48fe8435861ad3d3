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
          {"axes", {{"data.n", {4, 8}}, {"train.seed", {0, 1, 2}}}},
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
  void finish(size_t i, double seconds, int ago) {
    const json r = {{"id", plan.cells[i].id}, {"status", "ok"}, {"wall_seconds", seconds}, {"axes", axes(i)},
                    {"config_hash", hash_of(plan, plan.cells[i])}};
    write(cell(i) + "/result.json", r.dump(), ago);
  }
  json axes(size_t i) const {
    json a = json::object();
    for (const auto& [k, v] : plan.cells[i].axes) a[k] = v;
    return a;
  }
  // cells 0..5 = (n=4, seed 0, 1, 2), (n=8, seed 0, 1, 2): n=4 seed 0 done in 100 s, seed 1
  // running for 30 s, seed 2 left; n=8 seed 0 done in 400 s, seed 1 failed, seed 2 left
  Fixture() {
    write(tmp.file("plan.json"), json({{"name", "t"}, {"cells", 6}}).dump(), 900);
    write(cell(0) + "/config.json", "{}", 800);
    finish(0, 100, 700);
    write(cell(1) + "/config.json", json({{"train", {{"steps", 200}}}}).dump(), 30);
    write(cell(1) + "/metrics.csv", "step,loss,grad_norm,lr,ema_decay,seconds,it_per_s\n25,1,1,1,1,5,5\n50,1,1,1,1,10,5\n", 5);
    finish(3, 400, 200);
    const json failed = {{"id", plan.cells[4].id}, {"status", "failed"}, {"error", "boom"}, {"wall_seconds", 20.0},
                         {"axes", axes(4)}};
    write(cell(4) + "/result.json", failed.dump(), 100);
  }
};

}  // namespace

TEST(SweepStatus, StatesProgressWallTimeAndEta) {
  Fixture f;
  const SweepStatus s = sweep_status(f.tmp.path(), &f.plan, f.now);
  ASSERT_EQ(s.cells.size(), 6u);
  EXPECT_EQ(s.count(CellState::Done), 2);
  EXPECT_EQ(s.count(CellState::Failed), 1);
  EXPECT_EQ(s.count(CellState::Running), 1);
  EXPECT_EQ(s.left(), 2);
  EXPECT_EQ(s.planned, 6);
  const CellProgress& run = s.cells[1];
  EXPECT_EQ(run.state, CellState::Running);
  EXPECT_EQ(run.step, 50);
  EXPECT_EQ(run.steps, 200);
  EXPECT_FALSE(run.trained);
  EXPECT_NEAR(run.seconds, 30, 1.5);  // started when its first file was written
  EXPECT_NEAR(run.idle, 5, 1.5);
  EXPECT_EQ(s.cells[4].error, "boom");
  EXPECT_NEAR(s.cell_seconds, 520, 1e-9);
  EXPECT_NEAR(s.wall_seconds, 800, 1.5);  // cell 0 started 800 s ago (ended 700 s ago after 100 s); a cell runs
  // ETA from seed-mates: n=4 cells from the 100 s cell (the running one has 70 s to go), the n=8
  // cell left from the 400 s cell (the failed cell does not count); one cell at a time
  EXPECT_NEAR(run.estimate, 70, 1.5);
  EXPECT_NEAR(s.cells[2].estimate, 100, 1e-9);
  EXPECT_NEAR(s.cells[5].estimate, 400, 1e-9);
  EXPECT_EQ(s.parallel, 1);
  EXPECT_NEAR(s.eta_seconds, 570, 1.5);
  ASSERT_EQ(s.eta_basis.size(), 2u);
  const std::string text = format_status(s);
  for (const char* want : {"done 2, failed 1, running 1, left 2", "training step 50/200 (25%)", "boom", "ETA 9m 30s",
                           "2 cell(s) from the median of n=4_seed=0 (same settings, another seed; 1m 40s)",
                           "1 cell(s) from the median of n=8_seed=0"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
}

TEST(SweepStatus, WithoutTheSweepFileCountsFromPlanJson) {
  Fixture f;
  const SweepStatus s = sweep_status(f.tmp.path(), nullptr, f.now);
  EXPECT_EQ(s.cells.size(), 4u) << "only the cell directories are known";
  EXPECT_EQ(s.planned, 6);
  EXPECT_EQ(s.left(), 2);
  // cells not started and the running cell (no result.json: settings unknown) from the median of
  // all finished cells (two: their mean), 250 s: 2 * 250 + (250 - 30)
  EXPECT_NEAR(s.eta_seconds, 720, 1.5);
  const std::string text = format_status(s);
  EXPECT_NE(text.find("give --config for their ids"), std::string::npos) << text;
  EXPECT_NE(text.find("3 cell(s) from the median of all 2 finished cells (4m 10s): n=4_seed=0, n=8_seed=0"),
            std::string::npos) << text;
}

TEST(SweepStatus, OneSlowCellDoesNotStretchTheEta) {
  Fixture f;
  // n=8: seed 1 (failed before) now done in 420 s, seed 2 in 9000 s (it ran beside other work).
  // With the sweep file no n=8 cell is left, and the n=4 cells go by their seed-mate (100 s):
  f.finish(4, 420, 50);
  f.finish(5, 9000, 40);
  const SweepStatus s = sweep_status(f.tmp.path(), &f.plan, f.now);
  EXPECT_EQ(s.count(CellState::Done), 4);
  EXPECT_NEAR(s.cells[2].estimate, 100, 1e-9);
  EXPECT_NEAR(s.eta_seconds, 70 + 100, 1.5);
  // without the sweep file every cell goes by the median of all finished cells, (100 + 400 + 420
  // + 9000 sorted: 400 and 420) / 2 = 410 s (their mean would be 2480 s), the running one less its
  // 30 s; plan.json's 6 cells leave one cell unseen
  const SweepStatus u = sweep_status(f.tmp.path(), nullptr, f.now);
  EXPECT_NEAR(u.eta_seconds, (410 - 30) + 410, 1.5);
}

TEST(SweepStatus, ResultsTakenFromOtherRunsAreNoBasisForTheEta) {
  Fixture f;
  // n=4 seed 2 and n=8 seed 2 taken from another run (a sweep's "reuse"): done, 0 s of their own
  for (size_t i : {2, 5}) {
    const json r = {{"id", f.plan.cells[i].id}, {"status", "ok"}, {"wall_seconds", 0.0}, {"axes", f.axes(i)},
                    {"config_hash", hash_of(f.plan, f.plan.cells[i])}, {"reused_from", "runs/other/cells/x"}};
    f.write(f.cell(i) + "/result.json", r.dump(), 60);
  }
  for (const SweepPlan* plan : {static_cast<const SweepPlan*>(&f.plan), static_cast<const SweepPlan*>(nullptr)}) {
    const SweepStatus s = sweep_status(f.tmp.path(), plan, f.now);
    EXPECT_EQ(s.count(CellState::Done), 4);
    // only the running cell is left to estimate: from its seed-mate (100 s), or without the sweep
    // file from the median of the two cells that ran here (250 s), never from the 0 s copies
    EXPECT_NEAR(s.eta_seconds, plan ? 70 : 220, 1.5) << format_status(s);
    EXPECT_NE(format_status(s).find("done 4 (2 taken from other runs)"), std::string::npos) << format_status(s);
  }
}

TEST(SweepStatus, StaleRerunAndTrainedCells) {
  Fixture f;
  // the plan now trains longer: the finished cells are stale and count as left
  const SweepPlan longer = plan_from_json(plan_json(8), "plan");
  SweepStatus s = sweep_status(f.tmp.path(), &longer, f.now);
  EXPECT_EQ(s.count(CellState::Stale), 2);
  EXPECT_EQ(s.count(CellState::Done), 0);
  EXPECT_EQ(s.left(), 4);
  EXPECT_LT(s.eta_seconds, 0) << "no finished cell of this config to estimate from";
  EXPECT_NE(format_status(s).find("unknown until a cell finishes"), std::string::npos);
  // the failed cell runs again (its files are newer than its result); the running one has trained
  f.write(f.cell(4) + "/config.json", json({{"train", {{"steps", 4}}}}).dump(), 10);
  f.write(f.cell(1) + "/model.bin", "", 2);
  s = sweep_status(f.tmp.path(), &f.plan, f.now);
  EXPECT_EQ(s.count(CellState::Running), 2);
  EXPECT_EQ(s.count(CellState::Failed), 0);
  EXPECT_NEAR(s.cells[4].seconds, 10, 1.5);
  EXPECT_TRUE(s.cells[1].trained);
  EXPECT_EQ(s.parallel, 2);
  EXPECT_NEAR(s.eta_seconds, (70 + 100 + 390 + 400) / 2.0, 1.5);
  EXPECT_NE(format_status(s).find("trained, sampling and evaluating"), std::string::npos);
}

TEST(SweepStatus, ARunLimitedByCellsPlansOnlyItsSelection) {
  Fixture f;
  // `qdiff sweep --cells 'n=4*'` records its selection in plan.json: the n=4 cells only. The n=8
  // directories that exist (done, failed) still show; the n=8 cell never started is not left.
  json ids = json::array();
  for (size_t i : {0, 1, 2}) ids.push_back(f.plan.cells[i].id);
  f.write(f.tmp.file("plan.json"), json({{"name", "t"}, {"cells", 6}, {"selection", "n=4*"}, {"selected", ids}}).dump(), 900);
  for (const SweepPlan* plan : {static_cast<const SweepPlan*>(&f.plan), static_cast<const SweepPlan*>(nullptr)}) {
    const SweepStatus s = sweep_status(f.tmp.path(), plan, f.now);
    EXPECT_EQ(s.planned, 3);
    EXPECT_EQ(s.count(CellState::Done), 2);
    EXPECT_EQ(s.count(CellState::Running), 1);
    EXPECT_EQ(s.left(), 1) << "only n=4 seed 2";
    const std::string text = format_status(s);
    EXPECT_NE(text.find("--cells 'n=4*' selected 3"), std::string::npos) << text;
    EXPECT_NE(text.find("left 1"), std::string::npos) << text;
    // with the sweep file the n=4 cells go by their seed-mate (100 s); without it by the median
    // of all finished cells (250 s), and the selection names the cell not started
    EXPECT_NEAR(s.eta_seconds, plan ? 70 + 100 : (250 - 30) + 250, 1.5) << text;
  }
}

TEST(SweepStatus, FinishedSweepAndBadDirectories) {
  Fixture f;
  for (size_t i : {1, 2, 4, 5}) f.finish(i, 50, 50);
  const SweepStatus s = sweep_status(f.tmp.path(), &f.plan, f.now);
  EXPECT_EQ(s.count(CellState::Done), 6);
  EXPECT_EQ(s.left(), 0);
  EXPECT_NEAR(s.wall_seconds, 750, 1.5);  // first start (800 s ago) to the last result (50 s ago)
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

// A cell not started whose run an earlier cell of the plan makes (the classical arm of a noise
// study: it never reads the noise keys) will take that run's result: it adds nothing to the ETA.
TEST(SweepStatus, CellsThatWillTakeAnIdenticalRunsResultAddNoTime) {
  TempDir tmp;
  const json pj = {{"base", repo_path("configs/smoke.json")},
                   {"axes", {{"model.bottleneck", {"classical", "quantum"}}, {"strategy", {"ideal", "noisy"}}}},
                   {"strategies", {{"ideal", json::object()}, {"noisy", {{"quantum.depolarizing_2q", 0.05}}}}},
                   {"eval", {{"n_samples", 8}, {"ref", repo_path("data/mnist.npz")}, {"features", "pixels"}}}};
  const SweepPlan plan = plan_from_json(pj, "plan");
  ASSERT_EQ(plan.cells.size(), 4u);
  ASSERT_EQ(plan.cells[1].id, "bottleneck=classical_strategy=noisy");
  const std::string dir = tmp.file("cells/" + plan.cells[0].id);
  fs::create_directories(dir);
  json axes = json::object();
  for (const auto& [k, v] : plan.cells[0].axes) axes[k] = v;
  const json r = {{"id", plan.cells[0].id}, {"status", "ok"}, {"wall_seconds", 100.0}, {"axes", axes},
                  {"config_hash", hash_of(plan, plan.cells[0])}};
  std::ofstream(dir + "/result.json") << r.dump();
  const SweepStatus s = sweep_status(tmp.path(), &plan);
  ASSERT_EQ(s.cells.size(), 4u);
  EXPECT_TRUE(s.cells[1].reused) << "the classical twin";
  EXPECT_FALSE(s.cells[2].reused);
  EXPECT_FALSE(s.cells[3].reused);
  EXPECT_NEAR(s.eta_seconds, 200, 1e-9) << "two quantum cells at the median 100 s, the twin at 0";
  const std::string text = format_status(s);
  EXPECT_NE(text.find("left 3 (1 of them will take an identical run's result)"), std::string::npos) << text;
  EXPECT_NE(text.find("1 cell(s) from the result of an identical run (no training)"), std::string::npos) << text;
}
