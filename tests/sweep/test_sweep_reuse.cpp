// Runs made once: the classical arm never reads the circuit's noise keys (its run is bit-identical
// with and without them), so a sweep over noise strengths trains it once and its twins take the
// result; a finished cell of another sweep's directory is taken when it evaluates the same way.
#include <gtest/gtest.h>

#include <filesystem>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/sweep/sweep.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

namespace {

json noise_plan() {
  return {{"name", "reuse-test"},
          {"base", repo_path("configs/smoke.json")},
          {"set", {{"train.steps", 3}, {"diffusion.T", 20}, {"data.n", 8}, {"quantum.n_qubits", 3},
                   {"data.path", repo_path("data/mnist.npz")}}},
          {"axes", {{"model.bottleneck", {"classical", "quantum"}}, {"strategy", {"ideal", "noisy"}}}},
          {"strategies",
           {{"ideal", json::object()},
            {"noisy", {{"quantum.depolarizing_2q", 0.05}, {"quantum.simulation", "density_matrix"}}}}},
          {"checkpoint_every", 0},
          {"compare", {"model.bottleneck", "strategy"}},
          {"eval", {{"n_samples", 8}, {"ref", repo_path("data/mnist.npz")}, {"features", "pixels"}, {"steps", 2},
                    {"max_ref", 50}, {"kid_subsets", 3}}}};
}

json result_of(const std::string& out, const std::string& id) {
  return json::parse(read_file_text(out + "/cells/" + id + "/result.json"));
}

}  // namespace

TEST(RunIdentity, TheClassicalArmIgnoresTheCircuitsNoiseKeysAndTheQuantumArmDoesNot) {
  Config ideal = Config::from_file(repo_path("configs/smoke.json"));
  Config noisy = ideal;
  noisy.set_value("quantum.depolarizing_2q", 0.01);
  noisy.set_value("quantum.simulation", "trajectories");
  noisy.set_value("quantum.trajectories", 8);
  for (Config* c : {&ideal, &noisy}) c->set_value("model.bottleneck", "quantum");
  EXPECT_NE(run_identity(ideal).hash(), run_identity(noisy).hash());
  for (Config* c : {&ideal, &noisy}) c->set_value("model.bottleneck", "classical");
  EXPECT_EQ(run_identity(ideal).hash(), run_identity(noisy).hash());
  EXPECT_NE(ideal.hash(), noisy.hash()) << "the config itself still records what was asked";
  Config bigger = ideal;  // the classical twin is sized by the circuit: n_qubits stays
  bigger.set_value("quantum.n_qubits", 6);
  EXPECT_NE(run_identity(ideal).hash(), run_identity(bigger).hash());
}

TEST(SweepReuse, TwinsTakeTheirRunsResultAndThatResultIsWhatTrainingThemGives) {
  const auto plan = sweep::plan_from_json(noise_plan(), "reuse.json");
  ASSERT_EQ(plan.cells.size(), 4u);
  TempDir tmp;
  sweep::run_sweep(plan, tmp.path());
  const std::string classical_ideal = "bottleneck=classical_strategy=ideal", classical_noisy = "bottleneck=classical_strategy=noisy";
  const json twin = result_of(tmp.path(), classical_noisy), first = result_of(tmp.path(), classical_ideal);
  ASSERT_EQ(twin["status"], "ok") << twin.dump();
  EXPECT_EQ(twin["reused_from"], tmp.path() + "/cells/" + classical_ideal);
  EXPECT_FALSE(first.contains("reused_from"));
  EXPECT_EQ(twin["metrics"], first["metrics"]);
  EXPECT_EQ(twin["config_hash"], sweep::finished_result(plan, tmp.path(), plan.cells[1])["config_hash"]);
  EXPECT_TRUE(std::filesystem::exists(tmp.file("cells/" + classical_noisy + "/samples.png")));
  const json own_config = json::parse(read_file_text(tmp.file("cells/" + classical_noisy + "/config.json")));
  EXPECT_EQ(own_config["quantum"]["depolarizing_2q"], 0.05) << "config.json is the cell's own";
  for (const char* id : {"bottleneck=quantum_strategy=ideal", "bottleneck=quantum_strategy=noisy"})
    EXPECT_FALSE(result_of(tmp.path(), id).contains("reused_from")) << id << ": noise changes the quantum arm";

  // The strategies are paired too (paired_strategy.csv): the quantum arm's; the classical arm's
  // two cells are one run (its difference would be zero by construction), so it is left out and
  // results.md says so.
  const std::string strategy_csv = read_file_text(tmp.file("paired_strategy.csv"));
  EXPECT_EQ(strategy_csv.rfind("metric,comparison,model.bottleneck,pairs,", 0), 0u) << strategy_csv;
  EXPECT_EQ(strategy_csv.find(",classical,"), std::string::npos) << strategy_csv;
  EXPECT_NE(strategy_csv.find("\nfid,ideal - noisy,quantum,1,"), std::string::npos) << strategy_csv;
  const std::string results_md = read_file_text(tmp.file("results.md"));
  EXPECT_NE(results_md.find("## Paired comparisons of the values of `strategy`"), std::string::npos);
  EXPECT_NE(results_md.find("Not compared, because each of their pairs is one run"), std::string::npos) << results_md;
  EXPECT_NE(results_md.find("ideal - noisy, (model.bottleneck=classical)."), std::string::npos) << results_md;
  // FID against the strategies: one series per arm, the strategies as the x axis's categories.
  const std::string svg = read_file_text(tmp.file("fid_vs_strategy.svg"));
  for (const char* text : {">ideal</text>", ">noisy</text>", ">quantum</text>", ">classical</text>"})
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  EXPECT_TRUE(std::filesystem::exists(tmp.file("fid_vs_strategy.png")));
  EXPECT_NE(results_md.find("[fid_vs_strategy.png](fid_vs_strategy.png)"), std::string::npos);
  EXPECT_NE(results_md.find("## Paired comparisons of the bottleneck arms"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(tmp.file("paired.csv")));

  // Trained for real (alone, so that nothing can be taken), the twin gives the same numbers.
  json alone = noise_plan();
  alone["axes"] = {{"model.bottleneck", {"classical"}}, {"strategy", {"noisy"}}};
  TempDir tmp2;
  sweep::run_sweep(sweep::plan_from_json(alone, "alone.json"), tmp2.path());
  const json trained = result_of(tmp2.path(), classical_noisy);
  ASSERT_EQ(trained["status"], "ok") << trained.dump();
  EXPECT_FALSE(trained.contains("reused_from"));
  EXPECT_EQ(trained["final_loss"], first["final_loss"]);
  EXPECT_EQ(trained["metrics"], first["metrics"]);
}

TEST(SweepReuse, AnotherSweepsFinishedCellsAreTakenOnlyWhenEvaluatedTheSameWay) {
  json base = noise_plan();
  base["axes"] = {{"model.bottleneck", {"classical"}}, {"strategy", {"ideal"}}};
  TempDir donor;
  sweep::run_sweep(sweep::plan_from_json(base, "donor.json"), donor.path());
  const json original = result_of(donor.path(), "bottleneck=classical_strategy=ideal");

  json taker = noise_plan();
  taker["name"] = "taker";
  taker["axes"] = {{"model.bottleneck", {"classical"}}, {"strategy", {"noisy", "ideal"}}};
  taker["reuse"] = {donor.path() + "/no-such-sweep", donor.path()};
  TempDir out;
  sweep::run_sweep(sweep::plan_from_json(taker, "taker.json"), out.path());
  const json taken = result_of(out.path(), "bottleneck=classical_strategy=noisy"),
             twin = result_of(out.path(), "bottleneck=classical_strategy=ideal");
  EXPECT_EQ(taken["reused_from"], donor.path() + "/cells/bottleneck=classical_strategy=ideal");
  EXPECT_EQ(twin["reused_from"], out.path() + "/cells/bottleneck=classical_strategy=noisy");  // its own plan first
  for (const json* r : {&taken, &twin}) EXPECT_EQ((*r)["metrics"], original["metrics"]);

  taker["eval"]["n_samples"] = 12;  // another evaluation: the donor's numbers would not be this plan's
  TempDir out2;
  sweep::run_sweep(sweep::plan_from_json(taker, "taker.json"), out2.path());
  const json own = result_of(out2.path(), "bottleneck=classical_strategy=noisy");
  ASSERT_EQ(own["status"], "ok") << own.dump();
  EXPECT_FALSE(own.contains("reused_from"));
  EXPECT_EQ(result_of(out2.path(), "bottleneck=classical_strategy=ideal")["reused_from"],
            out2.path() + "/cells/bottleneck=classical_strategy=noisy")
      << "within the plan the twin still takes the first run";
}

TEST(SweepReuse, ACompareEntryMustNameAnAxis) {
  json j = noise_plan();
  j["compare"] = {"strategy", "train.seed"};
  EXPECT_THROW(sweep::plan_from_json(j, "c.json"), FileError);
  j["compare"] = json::array();
  EXPECT_THROW(sweep::plan_from_json(j, "c.json"), FileError);
  j["compare"] = {"strategy"};
  EXPECT_EQ(sweep::plan_from_json(j, "c.json").compare, std::vector<std::string>{"strategy"});
  EXPECT_EQ(sweep::plan_from_json(noise_plan(), "c.json").compare,
            (std::vector<std::string>{"model.bottleneck", "strategy"}));
}

TEST(SweepReuse, AReuseEntryThatIsNotAListOfDirectoriesIsRefused) {
  for (const json& bad : {json("runs/x"), json::array({""}), json::array({1})}) {
    json j = noise_plan();
    j["reuse"] = bad;
    try {
      sweep::plan_from_json(j, "r.json");
      ADD_FAILURE() << bad.dump();
    } catch (const FileError& e) {
      EXPECT_NE(std::string(e.what()).find("'reuse' must be a list of directories"), std::string::npos) << e.what();
    }
  }
}
