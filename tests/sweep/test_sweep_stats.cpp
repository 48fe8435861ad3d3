// Sweep aggregation: the arms paired by seed (paired t-test, Holm across N, effect sizes) against
// hand-computed values, the training-set floor against a direct computation, and a committed-style
// copy (results only) that aggregates on its own. No training: the cells' results are written here.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "qdiff/core/config.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/eval/feature_net.hpp"
#include "qdiff/eval/metrics.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/sweep/sweep.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

namespace {

json plan_json() {
  return {{"name", "stats"},
          {"base", repo_path("configs/smoke.json")},
          {"set", {{"data.path", repo_path("data/mnist.npz")}, {"data.split", "test"}}},
          {"axes", {{"data.n", {4, 8}}, {"model.bottleneck", {"quantum", "classical", "none"}}, {"train.seed", {0, 1, 2, 3}}}},
          {"eval", {{"n_samples", 12}, {"ref", repo_path("data/mnist.npz")}, {"features", repo_path("data/features/mnist.bin")}, {"max_ref", 40}}}};
}

// The same at N = 4 alone: 12 cells.
json plan_json_n4() {
  json pj = plan_json();
  pj["axes"]["data.n"] = {4};
  return pj;
}

// The plan's config of a cell, as the sweep resolves it (base, set, overrides).
std::string hash_of(const sweep::SweepPlan& plan, const sweep::Cell& c) {
  Config cfg = Config::from_file(plan.base_config);
  for (auto it = plan.set.begin(); it != plan.set.end(); ++it) cfg.set_value(it.key(), it.value());
  for (auto it = c.overrides.begin(); it != c.overrides.end(); ++it) cfg.set_value(it.key(), it.value());
  return cfg.hash();
}

// FIDs by (N, arm, seed): at N = 4 quantum - classical = {2, 1, 0, 4}; at N = 8 {10, 10, 7, 16};
// none = classical + 1 everywhere.
double fid_of(int64_t n, const std::string& arm, int64_t seed) {
  static const double q4[] = {10, 12, 9, 14}, c4[] = {8, 11, 9, 10}, q8[] = {20, 21, 19, 25}, c8[] = {10, 11, 12, 9};
  const double q = n == 4 ? q4[seed] : q8[seed], c = n == 4 ? c4[seed] : c8[seed];
  return arm == "quantum" ? q : arm == "classical" ? c : c + 1;
}

void write_results(const sweep::SweepPlan& plan, const std::string& dir) {
  for (const auto& c : plan.cells) {
    const int64_t n = c.axes[0].second.get<int64_t>(), seed = c.axes[2].second.get<int64_t>();
    const std::string arm = c.axes[1].second.get<std::string>();
    json axes = json::object();
    for (const auto& [k, v] : c.axes) axes[k] = v;
    const json r = {{"id", c.id}, {"axes", axes}, {"status", "ok"}, {"config_hash", hash_of(plan, c)},
                    {"metrics", {{"fid", {{"value", fid_of(n, arm, seed)}}}}}};
    make_dirs(dir + "/cells/" + c.id);
    write_file_atomic(dir + "/cells/" + c.id + "/result.json", r.dump(2));
  }
}

// The row of paired.csv for a metric, comparison and N, split into fields.
std::vector<std::string> paired_row(const std::string& csv, const std::string& metric, const std::string& cmp, int n) {
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(metric + "," + cmp + "," + std::to_string(n) + ",", 0) == 0) {
      std::vector<std::string> f;
      std::istringstream ls(line);
      for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
      return f;
    }
  return {};
}

}  // namespace

TEST(SweepStats, PairedComparisonsHolmAndReadingMatchHandValues) {
  TempDir tmp;
  const auto plan = sweep::plan_from_json(plan_json(), "plan");
  write_results(plan, tmp.path());
  sweep::aggregate(plan, tmp.path());
  const std::string csv = read_file_text(tmp.file("paired.csv"));
  // columns: metric, comparison, data.n, pairs, mean_a, sd_a, mean_b, sd_b, diff, lo, hi, rel, d_z, t, p, p_holm, significant
  const auto r4 = paired_row(csv, "fid", "quantum - classical", 4), r8 = paired_row(csv, "fid", "quantum - classical", 8);
  ASSERT_EQ(r4.size(), 17u) << csv;
  ASSERT_EQ(r8.size(), 17u) << csv;
  EXPECT_EQ(r4[3], "4");
  EXPECT_NEAR(std::stod(r4[8]), 1.75, 1e-9);
  EXPECT_NEAR(std::stod(r4[9]), -0.9675308837964893, 1e-6);  // 1.75 -/+ t(0.975, 3) sd / 2
  EXPECT_NEAR(std::stod(r4[10]), 4.467530883796489, 1e-6);
  EXPECT_NEAR(std::stod(r4[11]), 18.42105263157895, 1e-4);  // 100 * 1.75 / 9.5
  EXPECT_NEAR(std::stod(r4[12]), 1.02469507659596, 1e-5);   // d_z
  const double p4 = 0.13284184055977555, p8 = 0.01073157826139104;  // closed-form t(3) CDF
  EXPECT_NEAR(std::stod(r4[14]), p4, 1e-5);
  EXPECT_NEAR(std::stod(r8[14]), p8, 1e-5);
  // Holm over the two N: 2 * p8 for the smaller, max(p4, 2 * p8) for the larger.
  EXPECT_NEAR(std::stod(r8[15]), 2 * p8, 1e-5);
  EXPECT_NEAR(std::stod(r4[15]), p4, 1e-5);
  EXPECT_EQ(r8[16], "yes");
  EXPECT_EQ(r4[16], "no");
  // quantum - none differs from quantum - classical by exactly -1 and is its own Holm family.
  const auto n4 = paired_row(csv, "fid", "quantum - none", 4);
  ASSERT_EQ(n4.size(), 17u);
  EXPECT_NEAR(std::stod(n4[8]), 0.75, 1e-9);

  const std::string md = read_file_text(tmp.file("results.md"));
  EXPECT_NE(md.find("Holm's method across the values of N"), std::string::npos) << md;
  EXPECT_NE(md.find("FID, quantum - classical, N = 8: +10.75"), std::string::npos) << md;
  EXPECT_NE(md.find("**significant** (classical better)"), std::string::npos) << md;
  const auto at4 = md.find("FID, quantum - classical, N = 4:");
  ASSERT_NE(at4, std::string::npos);
  const std::string line4 = md.substr(at4, md.find('\n', at4) - at4);
  EXPECT_NE(line4.find("**not significant**"), std::string::npos) << line4;
  // |1.75| < pooled seed std sqrt((59/12 + 5/3) / 2) = 1.81
  EXPECT_NE(line4.find("smaller than the seed-to-seed spread"), std::string::npos) << line4;

  // The summary table comes first: per N each arm's mean +- std, then the paired differences.
  const auto summary = md.find("## Summary: FID per N");
  ASSERT_NE(summary, std::string::npos) << md;
  EXPECT_LT(summary, md.find("## Training-set floor"));
  const auto row8 = md.find("| 8 | 21.25 +- 2.6 | 10.5 +- 1.3 | 11.5 +- 1.3 |", summary);
  ASSERT_NE(row8, std::string::npos) << md;
  const std::string line8 = md.substr(row8, md.find('\n', row8) - row8);
  EXPECT_NE(line8.find("| +10.8 ["), std::string::npos) << line8;
  EXPECT_NE(line8.find("], 0.011 (0.021) **significant** |"), std::string::npos) << line8;
  // a seed that has not finished: the arm's count shows, and its pair drops out
  ASSERT_TRUE(std::filesystem::remove(tmp.file("cells/n=4_bottleneck=quantum_seed=3/result.json")));
  sweep::aggregate(plan, tmp.path());
  const std::string md2 = read_file_text(tmp.file("results.md"));
  EXPECT_NE(md2.find("| 4 | 10.33 +- 1.5 (3/4) | 9.5 +- 1.3 |"), std::string::npos) << md2;
  EXPECT_NE(md2.find("**Interim**: 23 of 24 cells finished"), std::string::npos) << md2;
  EXPECT_EQ(md.find("**Interim**"), std::string::npos) << "every cell finished";
}

TEST(SweepStats, ComputeSumsEachCellsOwnTimeAndNamesTheBuilds) {
  TempDir tmp;
  const auto plan = sweep::plan_from_json(plan_json_n4(), "plan");
  write_results(plan, tmp.path());
  // cell i: wall 600 + 60 i s (100 of it evaluation), built by aaa (i < 6) or bbb; cell 10 reused,
  // cell 11 failed
  for (size_t i = 0; i < plan.cells.size(); ++i) {
    const std::string path = tmp.path() + "/cells/" + plan.cells[i].id + "/result.json";
    json r = json::parse(read_file_text(path));
    const double wall = 600 + 60.0 * static_cast<double>(i);
    r["wall_seconds"] = wall;
    r["train_seconds"] = wall - 100;
    r["eval_seconds"] = 100.0;
    r["version"] = i < 6 ? "0.1.0+aaa" : "0.1.0+bbb";
    if (i == 10) {
      r["reused_from"] = "elsewhere/cells/x";
      r["wall_seconds"] = 0.0;
    }
    if (i == 11) {
      r["status"] = "failed";
      r["error"] = "NaN loss";
    }
    write_file_atomic(path, r.dump(2));
  }
  sweep::aggregate(plan, tmp.path());
  const std::string md = read_file_text(tmp.file("results.md"));
  // trained: i = 0..9, 8700 s = 2.42 h (training 7700 s, evaluation 1000 s); median (840 + 900) / 2 s
  EXPECT_NE(md.find("## Compute\n\n10 cells trained and evaluated here: 2.42 h of cell time (training 2.14 h, "
                    "evaluation 0.278 h); a cell 14.5 min in the median (10 to 19)."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("(`reused_from`, no time of their own): 1."), std::string::npos) << md;
  EXPECT_NE(md.find("Failed cells: 1 (see results.csv)."), std::string::npos) << md;
  EXPECT_NE(md.find("Results made by builds `0.1.0+aaa`, `0.1.0+bbb`."), std::string::npos) << md;
}

TEST(SweepStats, FloorIsTheTrainingImagesRepeatedAndCellsGetTheirRatio) {
  TempDir tmp;
  const auto plan = sweep::plan_from_json(plan_json(), "plan");
  write_results(plan, tmp.path());
  sweep::aggregate(plan, tmp.path());
  // Independently: the 4 training images of N = 4 repeated to 12, in the MNIST feature space,
  // against a seeded random subset of 40 test images (the plan's reference).
  Config cfg = Config::from_file(plan.base_config);
  for (auto it = plan.set.begin(); it != plan.set.end(); ++it) cfg.set_value(it.key(), it.value());
  cfg.set_value("data.n", 4);
  const ImageSet train = load_training_images(resolve_options(cfg).data);
  ImageSet rep = train;
  rep.n = 12;
  rep.pixels.clear();
  for (int i = 0; i < 12; ++i) rep.pixels.insert(rep.pixels.end(), train.image(i % 4), train.image(i % 4) + train.image_size());
  Rng rng(0);
  const ImageSet ref = take_subset(load_split(repo_path("data/mnist.npz"), "test"), 40, SubsetMode::Random, rng);
  auto net = eval::FeatureNet::load(repo_path("data/features/mnist.bin"));
  const double floor4 = eval::fid(eval::extract_features(*net, ref), eval::extract_features(*net, rep)).fid;

  const json floors = json::parse(read_file_text(tmp.file("floors.json")));
  bool found = false;
  for (const auto& [key, f] : floors["floors"].items())
    if (f["data"]["n"] == 4) {
      found = true;
      EXPECT_NEAR(f["metrics"]["fid"]["value"].get<double>(), floor4, 1e-9 * floor4);
    }
  EXPECT_TRUE(found) << floors.dump();
  // results.csv: the cell quantum, N = 4, seed 0 (FID 10) has ratio 10 / floor.
  const std::string csv = read_file_text(tmp.file("results.csv"));
  const auto row = csv.find("n=4_bottleneck=quantum_seed=0,");
  ASSERT_NE(row, std::string::npos) << csv;
  std::istringstream header(csv.substr(0, csv.find('\n'))), line(csv.substr(row, csv.find('\n', row) - row));
  std::map<std::string, std::string> cols;
  std::vector<std::string> names;
  for (std::string x; std::getline(header, x, ',');) names.push_back(x);
  for (size_t i = 0; i < names.size(); ++i) std::getline(line, cols[names[i]], ',');
  EXPECT_NEAR(std::stod(cols["fid_floor_ratio"]), 10.0 / floor4, 1e-6 * 10.0 / floor4);
  EXPECT_NEAR(std::stod(cols["floor_fid"]), floor4, 1e-6 * floor4);
  EXPECT_NE(read_file_text(tmp.file("results.md")).find("## Training-set floor"), std::string::npos);
  for (const char* f : {"fid_vs_n.png", "fid_vs_n.svg"}) EXPECT_TRUE(std::filesystem::exists(tmp.file(f))) << f;
  EXPECT_NE(read_file_text(tmp.file("fid_vs_n.svg")).find("training-set floor"), std::string::npos);
}

TEST(SweepStats, CollectedCopyHoldsOnlyResultsAndAggregatesOnItsOwn) {
  TempDir tmp;
  const json pj = plan_json_n4();
  const auto plan = sweep::plan_from_json(pj, "plan");
  const std::string src = tmp.file("sweep"), dst = tmp.file("study/mnist");
  write_results(plan, src);
  for (const auto& c : plan.cells) {  // what a real cell leaves besides its result
    const std::string d = src + "/cells/" + c.id + "/";
    for (const char* f : {"config.json", "metrics.csv", "samples.png", "samples.npz", "model.bin", "ckpt_00000002.bin"})
      write_file_atomic(d + f, "x");
  }
  write_file_atomic(tmp.file("sweep.json"), pj.dump(2));
  std::string out;
  const int rc = qdiff::test::run_command(repo_path("scripts/study_collect.sh") + " --config " + tmp.file("sweep.json") +
                                              " --from " + src + " --dataset mnist --to " + dst + " 2>&1 </dev/null",
                                          &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("aggregates on its own (12 cells ok)"), std::string::npos) << out;
  for (const auto& c : plan.cells) {
    const std::string d = dst + "/cells/" + c.id + "/";
    for (const char* f : {"result.json", "config.json", "metrics.csv"}) EXPECT_TRUE(std::filesystem::exists(d + f)) << d << f;
    for (const char* f : {"samples.npz", "model.bin", "ckpt_00000002.bin"}) EXPECT_FALSE(std::filesystem::exists(d + f)) << d << f;
    EXPECT_EQ(std::filesystem::exists(d + "samples.png"), c.id.ends_with("seed=0")) << c.id;
  }
  EXPECT_EQ(read_file_text(dst + "/results.csv"), read_file_text(src + "/results.csv"));
  // The report script regenerates the tables from the committed copy.
  std::filesystem::remove(dst + "/results.md");
  ASSERT_EQ(qdiff::test::run_command(repo_path("scripts/study_report.sh") + " --root " + tmp.file("study") + " 2>&1 </dev/null", &out), 0)
      << out;
  EXPECT_TRUE(std::filesystem::exists(dst + "/results.md")) << out;
}

// scripts/study_resume.sh: a committed copy seeds a fresh sweep directory, whose cells the sweep
// then counts as finished; a cell that already has its own result keeps it.
TEST(SweepStats, ResumeSeedsAFreshSweepDirectoryFromTheCommittedCopy) {
  TempDir tmp;
  const json pj = plan_json_n4();
  const auto plan = sweep::plan_from_json(pj, "plan");
  const std::string committed = tmp.file("study/mnist"), fresh = tmp.file("fresh");
  write_results(plan, committed);
  for (const auto& c : plan.cells) write_file_atomic(committed + "/cells/" + c.id + "/metrics.csv", "step,loss\n");
  write_file_atomic(committed + "/floors.json", "{}");
  write_file_atomic(committed + "/sweep.json", pj.dump(2));
  const std::string own = fresh + "/cells/" + plan.cells[0].id + "/result.json";
  make_dirs(fresh + "/cells/" + plan.cells[0].id);
  write_file_atomic(own, "{\"status\": \"own\"}");
  std::string out;
  const std::string script = repo_path("scripts/study_resume.sh") + " --root " + tmp.file("study") + " --dataset mnist";
  ASSERT_EQ(qdiff::test::run_command(script + " --seed-only --out " + fresh + " 2>&1 </dev/null", &out), 0) << out;
  EXPECT_NE(out.find("seeded " + fresh + " with 11 committed cells (1 already there, kept)"), std::string::npos) << out;
  EXPECT_EQ(read_file_text(own), "{\"status\": \"own\"}");
  EXPECT_EQ(read_file_text(fresh + "/sweep.json"), pj.dump(2));
  EXPECT_TRUE(std::filesystem::exists(fresh + "/floors.json"));
  for (size_t i = 1; i < plan.cells.size(); ++i) {
    const std::string d = fresh + "/cells/" + plan.cells[i].id;
    EXPECT_FALSE(sweep::finished_result(plan, fresh, plan.cells[i]).is_null()) << d;  // the sweep skips it
    EXPECT_EQ(read_file_text(d + "/metrics.csv"), "step,loss\n") << d;
  }
  // The grid's commit comes from the results; results of two builds, or of a dirty one, are refused
  // before anything is made. (--worktree names a plain file, so that a broken check fails fast
  // instead of checking out and building a commit.)
  const std::string not_a_worktree = tmp.file("wt");
  write_file_atomic(not_a_worktree, "x");
  auto with_version = [&](size_t i, const std::string& v) {
    const std::string path = committed + "/cells/" + plan.cells[i].id + "/result.json";
    json r = json::parse(read_file_text(path));
    r["version"] = v;
    write_file_atomic(path, r.dump(2));
  };
  with_version(0, "0.1.0+a010bdc");
  with_version(1, "0.1.0+5c619b7");
  EXPECT_NE(qdiff::test::run_command(script + " --worktree " + not_a_worktree + " 2>&1 </dev/null", &out), 0);
  EXPECT_NE(out.find("several builds: 0.1.0+5c619b7 0.1.0+a010bdc"), std::string::npos) << out;
  with_version(1, "0.1.0+a010bdc-dirty");
  with_version(0, "0.1.0+a010bdc-dirty");
  for (size_t i = 2; i < plan.cells.size(); ++i) with_version(i, "0.1.0+a010bdc-dirty");
  EXPECT_NE(qdiff::test::run_command(script + " --worktree " + not_a_worktree + " 2>&1 </dev/null", &out), 0);
  EXPECT_NE(out.find("not a clean commit"), std::string::npos) << out;
  EXPECT_EQ(read_file_text(not_a_worktree), "x");
}

// A sweep that reuses a grid's cells ("reuse": ["runs/study/mnist", ...], as the noise studies do)
// gets that grid's committed cells seeded too, with its plan.json (reuse compares the evaluation),
// so that a fresh clone takes those runs instead of training them again.
TEST(SweepStats, ResumeAlsoSeedsTheGridsASweepReuses) {
  TempDir tmp;
  const json pj = plan_json_n4();
  const auto plan = sweep::plan_from_json(pj, "plan");
  const std::string donor = tmp.file("study/mnist"), base = tmp.file("wt");
  write_results(plan, donor);
  write_file_atomic(donor + "/plan.json", pj.dump(2));
  json noise = pj;
  noise["name"] = "noise";
  noise["reuse"] = {"runs/study/mnist", "data/results/study/mnist"};
  make_dirs(tmp.file("study/noise/cells"));
  write_file_atomic(tmp.file("study/noise/sweep.json"), noise.dump(2));
  // the study's own cell, and one taken from a grid of another build: only its own build counts
  for (const auto& [id, extra] : {std::pair<std::string, json>{"own", {{"version", "0.1.0+e8a5722"}}},
                                  {"taken", {{"version", "0.1.0+5c619b7"}, {"reused_from", "runs/study/mnist/cells/x"}}}}) {
    json r = {{"id", id}, {"status", "ok"}};
    r.update(extra);
    make_dirs(tmp.file("study/noise/cells/" + id));
    write_file_atomic(tmp.file("study/noise/cells/" + id + "/result.json"), r.dump(2));
  }
  std::string out;
  const std::string script = repo_path("scripts/study_resume.sh") + " --root " + tmp.file("study") + " --dataset noise";
  ASSERT_EQ(qdiff::test::run_command(script + " --seed-only --out " + base + "/runs/noise --worktree " + base +
                                         " 2>&1 </dev/null",
                                     &out),
            0)
      << out;
  EXPECT_NE(out.find("seeded " + base + "/runs/study/mnist with 12 committed cells"), std::string::npos) << out;
  EXPECT_EQ(read_file_text(base + "/runs/study/mnist/plan.json"), pj.dump(2));
  for (const auto& c : plan.cells)
    EXPECT_FALSE(sweep::finished_result(plan, base + "/runs/study/mnist", c).is_null()) << c.id;
  EXPECT_EQ(out.find("several builds"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(base + "/runs/study/noise")) << "the sweep itself is not its own donor";
}

// scripts/study_extra_table.py pairs the extra grid's strategy-named arms by seed, and the main
// grid's N = 25 cells give the Gaussian rows. Quantum - classical differences 1, 2, 3 over three
// seeds: mean 2, std 1, t = 2 sqrt(3); with 2 degrees of freedom P(T <= t) = 1/2 + t / (2 sqrt(2 +
// t^2)), so p = 1 - t / sqrt(2 + t^2) = 0.0742, and the 95% interval is 2 -+ 4.303 / sqrt(3) =
// [-0.484, 4.48]. A failed cell is left out of its pairs; study_report.sh writes the table.
TEST(SweepStats, ExtraRowsTablePairsTheStrategyArmsBySeed) {
  TempDir tmp;
  const std::string extra = tmp.file("study/mnist_extra"), base = tmp.file("study/mnist");
  write_file_atomic(extra + "/results.csv",
                    "id,strategy,train.seed,status,fid\n"
                    "a,quantum_noise-quantum,0,ok,10\na,quantum_noise-quantum,1,ok,12\na,quantum_noise-quantum,2,ok,14\n"
                    "a,quantum_noise-classical,0,ok,9\na,quantum_noise-classical,1,ok,10\na,quantum_noise-classical,2,ok,11\n"
                    "a,tailored-quantum,0,ok,20\na,tailored-quantum,1,failed,\na,tailored-classical,0,ok,21\n"
                    "a,tailored-classical,1,ok,22\na,paper16-quantum,0,ok,30\na,paper16-quantum,1,ok,31\n");
  write_file_atomic(base + "/results.csv",
                    "id,data.n,model.bottleneck,train.seed,status,fid\n"
                    "a,25,quantum,0,ok,5\na,25,quantum,1,ok,6\na,25,classical,0,ok,7\na,25,classical,1,ok,9\n"
                    "a,10,quantum,0,ok,99\na,10,classical,0,ok,1\n");
  std::string out;
  const std::string script = "python3 " + repo_path("scripts/study_extra_table.py") + " --extra " + extra +
                             "/results.csv --base " + base + "/results.csv 2>&1 </dev/null";
  ASSERT_EQ(qdiff::test::run_command(script, &out), 0) << out;
  // quantum-sampled noise: 3 pairs, the closed form above; Holm over the recipes with pairs (3)
  EXPECT_NE(out.find("| quantum-sampled noise | 12 +- 2 | 10 +- 1 | 3 | +2 [-0.484, 4.48] | 0.074 |"), std::string::npos) << out;
  // Gaussian: the base grid's N = 25 cells only (N = 10 ignored): differences -2, -3
  EXPECT_NE(out.find("| 5.5 +- 0.71 | 8 +- 1.4 | 2 | -2.5 ["), std::string::npos) << out;
  // tailored: seed 1's quantum cell failed, one pair left (20 - 21)
  EXPECT_NE(out.find("| 20 | 21.5 +- 0.71 | 1 | -1 [-, -] | - |"), std::string::npos) << out;
  // paper16 against the Gaussian quantum arm: 30 - 5, 31 - 6
  EXPECT_NE(out.find("| paper16 - default quantum (8 qubits) | quantum | 2 | +25 [25, 25] | 0 |"), std::string::npos) << out;

  // study_report.sh regenerates it beside the extra grid's results
  ASSERT_EQ(qdiff::test::run_command(repo_path("scripts/study_report.sh") + " --root " + tmp.file("study") + " 2>&1 </dev/null", &out), 0)
      << out;
  EXPECT_NE(read_file_text(extra + "/extra_rows.md").find("| quantum-sampled noise | 12 +- 2 | 10 +- 1 | 3 |"), std::string::npos);

  // a missing file is named
  EXPECT_NE(qdiff::test::run_command(script.substr(0, script.find(" --extra")) + " --extra " + tmp.file("none.csv") + " 2>&1 </dev/null", &out), 0);
  EXPECT_NE(out.find("cannot read " + tmp.file("none.csv")), std::string::npos) << out;
}
