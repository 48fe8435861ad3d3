// Training with a noisy quantum bottleneck (issue 16): the default (noiseless) config is the
// statevector path bit for bit, a density matrix without noise trains to the statevector's weights,
// a run on trajectories resumes from a checkpoint bit for bit (the branch's call counter gives
// every forward and its backward the same trajectories), and the noise changes training.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/diffusion/train_step.hpp"
#include "qdiff/diffusion/training_state.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "support/test_support.hpp"
#include "tiny_images.hpp"

using namespace qdiff;
using namespace qdiff::diffusion;
using qdiff::test::tiny_images;

namespace {

// A tiny quantum-bottleneck run with the given extra settings.
RunOptions tiny_run(std::initializer_list<const char*> extra) {
  Config c;
  for (const char* kv : {"model.arch=large", "model.base_channels=4", "model.channel_mult=[1,2]", "model.groups=2",
                         "quantum.n_qubits=3", "quantum.n_layers=2", "diffusion.T=20", "sample.steps=5",
                         "train.seed=5"})
    c.set(kv);
  for (const char* kv : extra) c.set(kv);
  return resolve_options(c);
}

// The weights after `steps` training steps of `run`.
std::vector<float> trained_weights(const RunOptions& run, int steps) {
  const ImageSet data = tiny_images(6);
  const Schedule schedule = make_schedule(run.diffusion);
  const StepContext ctx{data, schedule, 4, run.train.seed, 10, run.train.grad_clip};
  StepBuffers buf;
  TrainingState s(run, 1, 8);
  for (int i = 0; i < steps; ++i) EXPECT_TRUE(train_step(s, ctx, buf).finite());
  return {s.model->params().begin(), s.model->params().end()};
}

const hybrid::QuantumBranch& branch_of(nn::UNet& model) {
  return dynamic_cast<const hybrid::QuantumBranch&>(*model.branch());
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

}  // namespace

TEST(NoisyTraining, DefaultsAreTheStatevectorPathBitForBit) {
  const RunOptions defaults = tiny_run({}), statevector = tiny_run({"quantum.simulation=statevector"});
  TrainingState s(defaults, 1, 8);
  EXPECT_EQ(branch_of(*s.model).backend().name(), "statevector");
  const std::vector<float> a = trained_weights(defaults, 4), b = trained_weights(statevector, 4);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

TEST(NoisyTraining, DensityMatrixWithoutNoiseTrainsToTheStatevectorWeights) {
  const RunOptions dm = tiny_run({"quantum.simulation=density_matrix"});
  TrainingState s(dm, 1, 8);
  EXPECT_EQ(branch_of(*s.model).backend().name(), "density_matrix");
  const std::vector<float> a = trained_weights(tiny_run({}), 6), b = trained_weights(dm, 6);
  EXPECT_LT(max_abs_diff(a, b), 1e-5);
  // and noise moves them (the comparison above could not pass by ignoring the backend)
  const std::vector<float> noisy = trained_weights(tiny_run({"quantum.depolarizing_2q=0.2"}), 6);
  EXPECT_GT(max_abs_diff(a, noisy), 1e-4);
}

TEST(NoisyTraining, TrajectoriesResumeBitForBit) {
  const RunOptions run = tiny_run({"quantum.simulation=trajectories", "quantum.trajectories=3",
                                   "quantum.depolarizing=0.05", "quantum.depolarizing_2q=0.1",
                                   "quantum.amplitude_damping=0.05", "quantum.readout_error=0.02"});
  const ImageSet data = tiny_images(6);
  const Schedule schedule = make_schedule(run.diffusion);
  const StepContext ctx{data, schedule, 4, run.train.seed, 10, run.train.grad_clip};
  StepBuffers buf, buf_b;
  TrainingState a(run, 1, 8);
  EXPECT_EQ(branch_of(*a.model).backend().name(), "trajectories");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(train_step(a, ctx, buf).finite());
  test::TempDir dir;
  nn::save_checkpoint(dir.file("ck.bin"), a.save(run.config, {}));
  TrainingState b(run, 1, 8);
  for (int i = 0; i < 5; ++i) train_step(b, ctx, buf_b);  // moved away: everything must come from the file
  b.restore(nn::load_checkpoint(dir.file("ck.bin")), dir.file("ck.bin"), run.config);
  EXPECT_EQ(a.branch_calls(), b.branch_calls());
  for (int i = 0; i < 3; ++i) {
    train_step(a, ctx, buf);
    train_step(b, ctx, buf_b);
  }
  const auto pa = a.model->params(), pb = b.model->params();
  ASSERT_EQ(pa.size(), pb.size());
  EXPECT_EQ(std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(float)), 0);
  // a restored state with the call counter of another position draws other trajectories
  TrainingState c(run, 1, 8);
  c.restore(nn::load_checkpoint(dir.file("ck.bin")), dir.file("ck.bin"), run.config);
  c.set_branch_calls(c.branch_calls() + 1);
  StepBuffers buf_c;
  for (int i = 0; i < 3; ++i) train_step(c, ctx, buf_c);
  const auto pc = c.model->params();
  EXPECT_NE(std::memcmp(pa.data(), pc.data(), pa.size() * sizeof(float)), 0);
}

TEST(NoisyTraining, ACheckpointSamplesWithTheNoiseItWasTrainedWith) {
  const RunOptions run = tiny_run({"quantum.depolarizing_2q=0.02", "quantum.readout_error=0.03"});
  TrainingState s(run, 1, 8);
  test::TempDir dir;
  nn::Checkpoint ck = s.save(run.config, {});
  ck.meta["in_channels"] = 1;
  ck.meta["image_size"] = 8;
  nn::save_checkpoint(dir.file("ck.bin"), ck);
  hybrid::LoadedModel lm = hybrid::load_model(dir.file("ck.bin"), false);
  const hybrid::QuantumBranch& qb = branch_of(*lm.model);
  EXPECT_EQ(qb.backend().name(), "density_matrix");  // auto, 3 noisy qubits
  EXPECT_EQ(qb.spec().noise.two_qubit.depolarizing, 0.02);
  EXPECT_EQ(qb.spec().noise.readout_error, 0.03);
  EXPECT_EQ(lm.options.quantum.depolarizing_2q, 0.02);
}
