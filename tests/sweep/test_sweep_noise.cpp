// A sweep axis over a noise key (issue 16): cells that differ only in quantum.depolarizing_2q run,
// each on the simulation its noise asks for, give different results, and are paired across
// bottleneck arms per noise level; the shipped noise-study files have the study's grid.
#include <gtest/gtest.h>

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

TEST(SweepNoise, TheShippedNoiseStudyHasTheStudysGrid) {
  for (const char* file : {"configs/sweeps/noise_study.json", "configs/sweeps/noise_study_breastmnist.json"}) {
    const auto p = sweep::load_plan(repo_path(file));
    EXPECT_EQ(p.cells.size(), 2u * 2u * 3u * 3u) << file;
    std::set<double> strengths;
    std::set<int64_t> sizes;
    for (const auto& cell : p.cells) {
      strengths.insert(cell.overrides["quantum.depolarizing_2q"].get<double>());
      sizes.insert(cell.overrides["data.n"].get<int64_t>());
    }
    EXPECT_EQ(strengths, (std::set<double>{0.0, 1e-3, 1e-2})) << file;
    EXPECT_EQ(sizes, (std::set<int64_t>{25, 100})) << file;
  }
}
