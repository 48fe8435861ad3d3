// Sweeps: plan parsing and validation, the quick preset end to end (through the script),
// resumption, and a failing cell that does not stop the others.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/eval/evaluate.hpp"
#include "qdiff/sweep/sweep.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

namespace {
json plan_json() {
  return {{"base", repo_path("configs/smoke.json")},
          {"set", {{"train.steps", 4}, {"diffusion.T", 20}, {"data.path", repo_path("data/mnist.npz")}}},
          {"axes", {{"data.n", {4, 20000}}, {"strategy", {"gaussian"}}}},
          {"strategies", {{"gaussian", json::object()}}},
          {"eval", {{"n_samples", 8}, {"ref", repo_path("data/mnist.npz")}, {"features", "pixels"}, {"steps", 2},
                    {"max_ref", 50}, {"kid_subsets", 3}}}};
}
std::string error_of(const json& j) {
  try {
    sweep::plan_from_json(j, "s.json");
  } catch (const FileError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(SweepPlan, CartesianProductAndIds) {
  const auto p = sweep::load_plan(repo_path("configs/sweeps/lowdata.json"));
  EXPECT_EQ(p.cells.size(), 4u * 2u * 3u * 3u);
  EXPECT_EQ(p.cells[0].id, "n=10_bottleneck=quantum_strategy=gaussian_seed=0");
  EXPECT_EQ(p.cells[1].id, "n=10_bottleneck=quantum_strategy=gaussian_seed=1");
  EXPECT_EQ(p.cells.back().overrides["diffusion.schedule"], "tailored");
  const auto q = sweep::load_plan(repo_path("configs/sweeps/lowdata.json"), true);
  EXPECT_EQ(q.cells.size(), 8u);
  EXPECT_EQ(q.set["train.steps"], 30);
}

TEST(SweepPlan, ValidationNamesTheProblem) {
  auto j = plan_json();
  j["axes"]["data.nn"] = {1};
  EXPECT_NE(error_of(j).find("did you mean 'data.n'"), std::string::npos);
  j = plan_json();
  j["axes"]["strategy"] = {"nope"};
  EXPECT_NE(error_of(j).find("not defined"), std::string::npos);
  j = plan_json();
  j["axes"]["data.n"] = json::array();
  EXPECT_NE(error_of(j).find("non-empty"), std::string::npos);
  j = plan_json();
  j["set"]["quantum.n_qubits"] = 99;
  EXPECT_NE(error_of(j).find("out of range"), std::string::npos);
  j = plan_json();
  j["colour"] = 1;
  EXPECT_NE(error_of(j).find("unknown key 'colour'"), std::string::npos);
  j = plan_json();
  j["eval"].erase("ref");
  EXPECT_NE(error_of(j).find("eval.ref"), std::string::npos);
}

// A cell whose keys cannot go together stops the sweep before any cell runs, naming key and cell.
TEST(Sweep, ACellThatCannotRunIsAnErrorBeforeAnyCellRuns) {
  TempDir tmp;
  auto j = plan_json();
  j["set"]["model.bottleneck"] = "quantum";
  j["set"]["quantum.simulation"] = "statevector";
  j["axes"] = {{"data.n", {4}}, {"quantum.depolarizing_2q", {0, 0.01}}};
  const auto plan = sweep::plan_from_json(j, "plan");
  try {
    sweep::run_sweep(plan, tmp.file("out"));
    ADD_FAILURE() << "the noisy cell on the statevector ran";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "quantum.depolarizing_2q") << e.what();
    EXPECT_NE(std::string(e.what()).find("cell n=4_depolarizing_2q=0.01"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.file("out"))) << "nothing is written before the check";
}

TEST(Sweep, FailingCellIsRecordedAndOthersRunAndResumeSkipsFinishedUnlessTheConfigChanged) {
  TempDir tmp;
  const auto plan = sweep::plan_from_json(plan_json(), "plan");
  sweep::run_sweep(plan, tmp.path());
  const auto ok = json::parse(read_file_text(tmp.file("cells/" + plan.cells[0].id + "/result.json")));
  const auto bad = json::parse(read_file_text(tmp.file("cells/" + plan.cells[1].id + "/result.json")));
  EXPECT_EQ(ok["status"], "ok") << ok.dump();
  EXPECT_TRUE(ok["metrics"].contains("fid"));
  EXPECT_EQ(bad["status"], "failed");
  EXPECT_NE(bad["error"].get<std::string>().find("only 10000 are available"), std::string::npos);
  const std::string csv = read_file_text(tmp.file("results.csv"));
  EXPECT_NE(csv.find(",failed,"), std::string::npos) << csv;
  // Resume: the finished cell is not run again (its result file stays byte-identical).
  EXPECT_FALSE(sweep::finished_result(plan, tmp.path(), plan.cells[0]).is_null());
  EXPECT_TRUE(sweep::finished_result(plan, tmp.path(), plan.cells[1]).is_null());
  const std::string result0 = tmp.file("cells/" + plan.cells[0].id + "/result.json");
  const auto before = std::filesystem::last_write_time(result0);
  sweep::run_sweep(plan, tmp.path());
  EXPECT_EQ(before, std::filesystem::last_write_time(result0));
  // The same directory with a changed plan: the finished cell no longer counts as finished and
  // runs again under the new config (its stored hash changes), instead of being reported stale.
  auto changed = plan_json();
  changed["set"]["train.steps"] = 5;
  const auto plan2 = sweep::plan_from_json(changed, "plan");
  EXPECT_TRUE(sweep::finished_result(plan2, tmp.path(), plan2.cells[0]).is_null());
  sweep::aggregate(plan2, tmp.path());  // --aggregate-only: the old result is shown as stale
  EXPECT_NE(read_file_text(tmp.file("results.csv")).find(",stale,"), std::string::npos);
  sweep::run_sweep(plan2, tmp.path());
  const auto rerun = json::parse(read_file_text(result0));
  EXPECT_EQ(rerun["status"], "ok");
  EXPECT_NE(rerun["config_hash"], ok["config_hash"]);
  EXPECT_FALSE(sweep::finished_result(plan2, tmp.path(), plan2.cells[0]).is_null());
  EXPECT_EQ(read_file_text(tmp.file("results.csv")).find(",stale,"), std::string::npos);
}

TEST(Sweep, QuickPresetThroughTheScriptWritesTableCsvAndPlots) {
  TempDir tmp;
  std::string out;
  const int rc = qdiff::test::run_command(
      repo_path("scripts/sweep_lowdata.sh") + " --quick --out " + tmp.file("q") + " --log-level warn </dev/null", &out);
  ASSERT_EQ(rc, 0) << out;
  for (const char* f : {"results.csv", "results.md", "fid_vs_n.png", "kid_vs_n.png", "plan.json"})
    EXPECT_TRUE(std::filesystem::exists(tmp.file(std::string("q/") + f))) << f;
  const std::string md = read_file_text(tmp.file("q/results.md"));
  EXPECT_NE(md.find("| 16 | classical | gaussian | 2/2 |"), std::string::npos) << md;
  std::ifstream csv(tmp.file("q/results.csv"));
  int rows = -1;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 8);
}

TEST(Sweep, WithoutAnNAxisTheTableSaysWhyThereAreNoPlots) {
  TempDir tmp;
  auto j = plan_json();
  j["set"]["data.n"] = 4;
  j["axes"] = {{"strategy", {"gaussian"}}, {"train.seed", {0}}};
  const auto plan = sweep::plan_from_json(j, "plan");
  sweep::run_sweep(plan, tmp.path());
  const std::string md = read_file_text(tmp.file("results.md"));
  EXPECT_NE(md.find("No plots against N: this sweep does not vary data.n."), std::string::npos) << md;
  EXPECT_NE(md.find("| gaussian | 1/1 |"), std::string::npos) << md;
  EXPECT_FALSE(std::filesystem::exists(tmp.file("fid_vs_n.png")));
}

// Every sweep file in configs/sweeps/ (globbed: a new file is covered without editing this
// test) validates in full and in its --quick form; its base config validates; the reference
// data and feature network it evaluates with are there.
TEST(SweepPlan, ShippedSweepFilesValidate) {
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(repo_path("configs/sweeps"))) {
    if (e.path().extension() != ".json") continue;
    const std::string name = e.path().filename().string();
    try {
      for (const bool quick : {false, true}) {
        const auto plan = sweep::load_plan(e.path().string(), quick);
        EXPECT_FALSE(plan.cells.empty()) << name;
        const Config base = Config::from_file(repo_path(plan.base_config));
        EXPECT_NO_THROW(require_readable_file(repo_path(base.str("data.path")))) << name;
        EXPECT_NO_THROW(require_readable_file(repo_path(plan.eval["ref"].get<std::string>()))) << name;
        const std::string ref = plan.eval["ref"].get<std::string>();
        const std::string features = plan.eval.value("features", eval::default_feature_net(ref));
        if (features != "pixels") {
          EXPECT_NO_THROW(require_readable_file(repo_path(features))) << name;
        }
        // Every cell's keys go together (the plan's paths are relative to the repository root).
        const auto cwd = std::filesystem::current_path();
        std::filesystem::current_path(repo_path(""));
        try {
          sweep::check_cells(plan);
        } catch (const Error& err) {
          ADD_FAILURE() << name << ": " << err.what();
        }
        std::filesystem::current_path(cwd);
      }
    } catch (const Error& err) {
      ADD_FAILURE() << name << ": " << err.what();
    }
    ++checked;
  }
  EXPECT_GE(checked, 6);
}
