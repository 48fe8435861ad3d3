// A sweep axis over a noise key (issue 16): cells that differ only in quantum.depolarizing_2q run,
// each on the simulation its noise asks for, give different results, and are paired across
// bottleneck arms per noise level; the shipped noise-study files have the study's grid.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "qdiff/sweep/sweep.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

TEST(SweepNoise, AnAxisOverTheTwoQubitDepolarizingStrengthRuns) {
  const json j = {{"base", repo_path("configs/smoke.json")},
                  {"set", {{"train.steps", 3}, {"diffusion.T", 20}, {"data.n", 8}, {"quantum.n_qubits", 3},
                           {"data.path", repo_path("data/mnist.npz")}}},
                  {"axes", {{"quantum.depolarizing_2q", {0, 0.05}}, {"model.bottleneck", {"quantum"}}}},
                  {"eval", {{"n_samples", 8}, {"ref", repo_path("data/mnist.npz")}, {"features", "pixels"},
                            {"steps", 2}, {"max_ref", 50}, {"kid_subsets", 3}}}};
  const auto plan = sweep::plan_from_json(j, "noise.json");
  ASSERT_EQ(plan.cells.size(), 2u);
  EXPECT_EQ(plan.cells[1].id, "bottleneck=quantum_depolarizing_2q=0.05");  // axes in key order
  TempDir tmp;
  sweep::run_sweep(plan, tmp.path());
  std::vector<double> losses;
  std::set<std::string> backends;
  for (const auto& cell : plan.cells) {
    const auto result = json::parse(read_file_text(tmp.file("cells/" + cell.id + "/result.json")));
    ASSERT_EQ(result["status"], "ok") << result.dump();
    losses.push_back(result["final_loss"].get<double>());
    Config c = Config::from_file(plan.base_config);
    for (const json* o : {&plan.set, &cell.overrides})
      for (auto it = o->begin(); it != o->end(); ++it) c.set_value(it.key(), it.value());
    backends.insert(hybrid::quantum_branch_spec(resolve_options(c).quantum, 0).backend);
  }
  EXPECT_EQ(backends, (std::set<std::string>{"statevector", "density_matrix"}));
  EXPECT_NE(losses[0], losses[1]) << "the noise must change training";
  EXPECT_NE(read_file_text(tmp.file("results.csv")).find("depolarizing_2q"), std::string::npos);
  json bad = j;
  bad["axes"]["quantum.depolarizing_2q"] = {1.5};
  EXPECT_THROW(sweep::plan_from_json(bad, "x.json"), FileError);
}

namespace {
Config config_of(const sweep::SweepPlan& plan, const sweep::Cell& cell) {
  Config c = Config::from_file(repo_path(plan.base_config));
  for (const json* o : {&plan.set, &cell.overrides})
    for (auto it = o->begin(); it != o->end(); ++it) c.set_value(it.key(), it.value());
  return c;
}
}  // namespace

// The noise study is the study grid's cells at N = 25 and 100 plus the quantum arm under noise:
// its noiseless and classical cells are runs of the grid (the same run identity), which "reuse"
// takes instead of training them again; only the noisy quantum cells are new.
TEST(SweepNoise, TheShippedNoiseStudyIsTheStudysGridPlusTheNoisyQuantumArm) {
  const std::pair<const char*, const char*> files[] = {
      {"configs/sweeps/noise_study.json", "configs/sweeps/study_mnist.json"},
      {"configs/sweeps/noise_study_breastmnist.json", "configs/sweeps/study_breastmnist.json"}};
  for (const auto& [file, grid_file] : files) {
    const auto p = sweep::load_plan(repo_path(file)), grid = sweep::load_plan(repo_path(grid_file));
    EXPECT_EQ(p.cells.size(), 2u * 2u * 3u * 3u) << file;
    EXPECT_EQ(p.set, grid.set) << file;
    EXPECT_EQ(p.eval, grid.eval) << file;
    EXPECT_NE(std::find(p.reuse.begin(), p.reuse.end(), "runs/study/" + grid.name.substr(6)), p.reuse.end()) << file;
    std::set<std::string> grid_runs;
    for (const auto& cell : grid.cells) grid_runs.insert(run_identity(config_of(grid, cell)).hash());
    std::set<double> strengths;
    std::set<int64_t> sizes;
    int new_runs = 0;
    for (const auto& cell : p.cells) {
      const Config c = config_of(p, cell);
      const double strength = c.number("quantum.depolarizing_2q");
      strengths.insert(strength);
      sizes.insert(c.integer("data.n"));
      const bool in_grid = grid_runs.count(run_identity(c).hash()) > 0;
      const bool noisy_quantum = strength > 0 && c.resolved()["model"]["bottleneck"] == "quantum";
      EXPECT_EQ(in_grid, !noisy_quantum) << file << " " << cell.id;
      new_runs += !in_grid;
    }
    EXPECT_EQ(new_runs, 12) << file;
    EXPECT_EQ(strengths, (std::set<double>{0.0, 1e-3, 1e-2})) << file;
    EXPECT_EQ(sizes, (std::set<int64_t>{25, 100})) << file;
  }
}
