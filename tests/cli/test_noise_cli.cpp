// The noise keys end to end on configs/smoke.json (issue 16): the default config trains the same
// weights as the explicit statevector simulation; a noisy run states its noise model in the
// training log, and `qdiff circuit` prints it (channels, strengths, simulation, trajectories)
// from the checkpoint; a noise key with the statevector simulation fails in one line.
#include <gtest/gtest.h>

#include <string>

#include "qdiff_run.hpp"
#include "same_weights.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::qdiff_run;
using qdiff::test::TempDir;

namespace {
const std::string kSmoke = "train --config configs/smoke.json --steps 4 ";
}  // namespace

TEST(NoiseCli, DefaultsTrainTheStatevectorWeights) {
  TempDir dir;
  std::string out;
  ASSERT_EQ(qdiff_run(kSmoke + "--out " + dir.file("a"), &out), 0) << out;
  EXPECT_NE(out.find("quantum noise: noiseless; simulation statevector (quantum.simulation = auto)"), std::string::npos)
      << out;
  ASSERT_EQ(qdiff_run(kSmoke + "--set quantum.simulation=statevector --out " + dir.file("b"), &out), 0) << out;
  test::expect_same_tensors(dir.file("a/model.bin"), dir.file("b/model.bin"));
}

TEST(NoiseCli, TheLogAndTheCircuitStateTheNoise) {
  TempDir dir;
  std::string out;
  ASSERT_EQ(qdiff_run(kSmoke + "--set quantum.depolarizing_2q=0.01 --set quantum.readout_error=0.02 "
                               "--set quantum.simulation=trajectories --set quantum.trajectories=5 --out " +
                          dir.file("a"),
                      &out),
            0)
      << out;
  const std::string line = "quantum noise: depolarizing 0 (1q) 0.01 (2q); readout error 0.02; simulation trajectories, "
                           "5 trajectories per sample";
  EXPECT_NE(out.find(line), std::string::npos) << out;
  ASSERT_EQ(qdiff_run("circuit --ckpt " + dir.file("a/model.bin"), &out), 0) << out;
  EXPECT_NE(out.find(line), std::string::npos) << out;
  EXPECT_NE(out.find("<Z_i> at these angles (a trajectory estimate):"), std::string::npos) << out;
}

TEST(NoiseCli, NoiseWithTheStatevectorIsAOneLineError) {
  std::string out;
  EXPECT_EQ(qdiff_run("config configs/smoke.json --set quantum.simulation=statevector --set quantum.dephasing=0.1", &out),
            1);
  EXPECT_NE(out.find("quantum.dephasing"), std::string::npos) << out;
  EXPECT_NE(out.find("quantum.simulation = statevector"), std::string::npos) << out;
}
