// The protocol report reads the eval JSONs of scripts/study_protocol.sh's layout, computes the
// training-set floor of each run's config, and writes the table and the FID-vs-steps figures.
#include <gtest/gtest.h>

#include <filesystem>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/eval/evaluate.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/sweep/sweep.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using json = nlohmann::json;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

TEST(ProtocolReport, TableFiguresAndFloorFromEvalJsons) {
  TempDir tmp;
  const std::string run = tmp.file("runs/mnist/linear-quantum-b16");
  make_dirs(run);
  Config cfg = Config::from_file(repo_path("configs/smoke.json"));
  cfg.set_value("data.path", repo_path("data/mnist.npz"));
  cfg.set_value("data.n", 4);
  write_file_atomic(run + "/config.json", cfg.resolved().dump(2));
  // "Samples" at two steps: test digits (what `qdiff eval --json` would have written for them).
  Rng rng(0);
  const ImageSet ref = take_subset(load_split(repo_path("data/mnist.npz"), "test"), 30, SubsetMode::Random, rng);
  eval::EvalOptions opt;
  opt.features = repo_path("data/features/mnist.bin");
  opt.ssim = false;
  opt.kid_subsets = 5;
  for (int step : {2000, 4000}) {
    Rng pick(step);
    const ImageSet samples = take_subset(load_split(repo_path("data/mnist.npz"), "train"), 12, SubsetMode::Random, pick);
    json r = eval::evaluate(samples, ref, opt);
    r["reference"] = {{"path", repo_path("data/mnist.npz")}, {"split", "test"}, {"classes", json::array()}};
    r["seed"] = 0;
    write_file_atomic(run + "/eval_0" + std::to_string(step) + "_ddim50_n12.json", r.dump());
  }
  sweep::protocol_report(tmp.file("runs"), tmp.file("out"));
  const std::string md = read_file_text(tmp.file("out/protocol.md"));
  EXPECT_NE(md.find("| linear-quantum-b16 | 2000 | ddim-50 | 12 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| linear-quantum-b16 | 4000 | ddim-50 | 12 |"), std::string::npos) << md;
  for (const char* f : {"out/protocol_mnist.png", "out/protocol_mnist.svg"}) EXPECT_TRUE(std::filesystem::exists(tmp.file(f))) << f;
  EXPECT_NE(read_file_text(tmp.file("out/protocol_mnist.svg")).find("training-set floor"), std::string::npos);
  // Nothing to report is an error naming the directory.
  make_dirs(tmp.file("empty/mnist/run"));
  EXPECT_THROW(sweep::protocol_report(tmp.file("empty"), tmp.file("out2")), FileError);
}
