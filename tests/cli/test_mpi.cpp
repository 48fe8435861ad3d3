// Multi-process runs (OpenMPI): data-parallel training is bit-identical to single-process training
// with the same global batch (classical and quantum bottleneck, exact or with shots), and a sweep
// spread over processes produces the same table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "qdiff/core/files.hpp"
#include "same_weights.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::repo_path;
using qdiff::test::run_command;
using qdiff::test::TempDir;

namespace {
bool mpi_build() {
  std::string out;
  run_command(std::string(QDIFF_BINARY) + " --version", &out);
  return out.find("mpi") != std::string::npos && run_command("command -v mpirun >/dev/null", nullptr) == 0;
}
std::string mpirun(int np) {
  return "cd " + repo_path("") + " && OMP_NUM_THREADS=1 mpirun --allow-run-as-root --oversubscribe -np " +
         std::to_string(np) + " " + QDIFF_BINARY;
}
// The step, loss and gradient-norm columns of a metrics.csv.
std::string metrics_values(const std::string& path) {
  std::ifstream in(path);
  std::string line, out;
  while (std::getline(in, line)) {
    size_t cut = 0;
    for (int comma = 0; comma < 3 && cut != std::string::npos; ++comma) cut = line.find(',', cut + 1);
    out += line.substr(0, cut) + "\n";
  }
  return out;
}

// Every gradient, the quantum circuit's included, is a fixed tree over the batch whose halves are
// the two processes' shards, and every sample's shot stream is forked by its global index: -np 1
// and -np 2 write bit-identical weights, EMA and Adam state, and the same logged losses and
// gradient norms. `sets`: --set options on top of the smoke config (quantum, 4 qubits, batch 8).
void expect_one_and_two_processes_agree(const std::string& sets) {
  TempDir tmp;
  std::string out;
  const std::string args = " --log-level warn train --config configs/smoke.json " + sets +
                           " --set train.ckpt_every=0 --set train.log_every=1 --out ";
  for (int np : {1, 2})
    ASSERT_EQ(run_command(mpirun(np) + args + tmp.file(std::to_string(np)) + " </dev/null", &out), 0) << out;
  qdiff::test::expect_same_tensors(tmp.file("1/model.bin"), tmp.file("2/model.bin"));
  EXPECT_EQ(metrics_values(tmp.file("1/metrics.csv")), metrics_values(tmp.file("2/metrics.csv")));
}
}  // namespace

TEST(Mpi, DataParallelTrainingIsBitIdenticalToOneProcess) {
  if (!mpi_build()) GTEST_SKIP() << "qdiff was built without MPI (install libopenmpi-dev openmpi-bin and rebuild)";
  expect_one_and_two_processes_agree("--set model.bottleneck=classical");
}

TEST(Mpi, QuantumDataParallelTrainingIsBitIdenticalToOneProcess) {
  if (!mpi_build()) GTEST_SKIP() << "qdiff was built without MPI (install libopenmpi-dev openmpi-bin and rebuild)";
  expect_one_and_two_processes_agree("--set model.bottleneck=quantum");
}

TEST(Mpi, QuantumWithShotsDataParallelTrainingIsBitIdenticalToOneProcess) {
  if (!mpi_build()) GTEST_SKIP() << "qdiff was built without MPI (install libopenmpi-dev openmpi-bin and rebuild)";
  expect_one_and_two_processes_agree("--set model.bottleneck=quantum --set quantum.shots=64");
}

TEST(Mpi, SweepOverProcessesWritesTheSameTable) {
  if (!mpi_build()) GTEST_SKIP() << "qdiff was built without MPI (install libopenmpi-dev openmpi-bin and rebuild)";
  TempDir tmp;
  const std::string sweep = tmp.file("s.json");
  write_file_atomic(sweep, R"({"name": "mpi", "base": ")" + repo_path("configs/smoke.json") + R"(",
    "set": {"train.steps": 3, "diffusion.T": 20, "model.bottleneck": "classical"},
    "axes": {"data.n": [4, 8], "train.seed": [0, 1], "quantum.depolarizing_2q": [0, 0.01]},
    "eval": {"n_samples": 6, "ref": ")" + repo_path("data/mnist.npz") + R"(", "features": "pixels", "steps": 2, "max_ref": 40, "kid_subsets": 3}})");
  std::string out;
  ASSERT_EQ(run_command(mpirun(2) + " --log-level warn sweep --config " + sweep + " --out " + tmp.file("o") + " </dev/null", &out), 0) << out;
  const std::string csv = read_file_text(tmp.file("o/results.csv"));
  int ok = 0;
  for (size_t p = csv.find(",ok,"); p != std::string::npos; p = csv.find(",ok,", p + 1)) ++ok;
  EXPECT_EQ(ok, 8) << csv;
  // The classical arm never reads the noise key: each run is made once, its twin takes the result.
  int reused = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.file("o/cells")))
    reused += read_file_text(e.path().string() + "/result.json").find("\"reused_from\"") != std::string::npos;
  EXPECT_EQ(reused, 4);
  for (const char* f : {"plan.json", "results.md", "fid_vs_n.png"})  // the files of a single-process run
    EXPECT_TRUE(std::filesystem::exists(tmp.file(std::string("o/") + f))) << f;
  EXPECT_NE(out.find("process 1 runs cell"), std::string::npos) << "both processes should take cells: " << out;
}
