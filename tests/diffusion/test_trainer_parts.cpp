// The trainer's pieces on their own: the training state survives a checkpoint bit for bit and
// training continues as if never interrupted; a diverging step changes nothing; the metrics log
// of a resumed run keeps the rows up to the step it resumes from.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/diffusion/metrics_log.hpp"
#include "qdiff/diffusion/train_step.hpp"
#include "qdiff/diffusion/training_state.hpp"
#include "support/test_support.hpp"
#include "tiny_images.hpp"

using namespace qdiff;
using namespace qdiff::diffusion;
using qdiff::test::tiny_images;

namespace {

// A tiny run that exercises every part of the state: a quantum branch with shot noise (its call
// counter), quantum diffusion noise (its stream), importance sampling (its loss history), AdamW.
RunOptions tiny_run(uint64_t seed, int64_t shots = 64) {
  Config c;
  for (const char* kv : {"model.arch=large", "model.base_channels=4", "model.channel_mult=[1,2]", "model.groups=2",
                         "quantum.n_qubits=3", "quantum.n_layers=1", "diffusion.T=20",
                         "diffusion.timesteps=importance", "diffusion.importance_history=1", "diffusion.noise=quantum",
                         "diffusion.noise_qubits=4", "train.optimizer=adamw", "train.weight_decay=0.01",
                         "sample.steps=5"})
    c.set(kv);
  c.set_value("train.seed", seed);
  c.set_value("quantum.shots", shots);
  return resolve_options(c);
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void expect_same_state(const TrainingState& a, const TrainingState& b) {
  EXPECT_EQ(a.step, b.step);
  EXPECT_TRUE(same_bits(a.model->params(), b.model->params())) << "weights";
  EXPECT_TRUE(same_bits(a.adam.m(), b.adam.m())) << "Adam m";
  EXPECT_TRUE(same_bits(a.adam.v(), b.adam.v())) << "Adam v";
  EXPECT_EQ(a.adam.steps(), b.adam.steps());
  EXPECT_TRUE(same_bits(a.ema.shadow(), b.ema.shadow())) << "EMA";
  EXPECT_EQ(a.ema.updates(), b.ema.updates());
  EXPECT_EQ(a.noise->state(), b.noise->state());
  EXPECT_EQ(a.timesteps->state(), b.timesteps->state());
  EXPECT_EQ(a.branch_calls(), b.branch_calls());
}

}  // namespace

TEST(TrainingState, CheckpointRoundTripThenTrainingContinuesBitForBit) {
  const RunOptions run = tiny_run(7);
  const ImageSet data = tiny_images(6);
  const Schedule schedule = make_schedule(run.diffusion);
  const StepContext ctx{data, schedule, 4, run.train.seed, 10, run.train.grad_clip};
  StepBuffers buf;
  TrainingState a(run, 1, 8);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(train_step(a, ctx, buf).finite());
  EXPECT_EQ(a.step, 3);
  EXPECT_GT(a.branch_calls(), 0u);

  test::TempDir dir;
  nn::save_checkpoint(dir.file("ck.bin"), a.save(run.config, {{"note", "kept"}}));
  const nn::Checkpoint ck = nn::load_checkpoint(dir.file("ck.bin"));
  EXPECT_EQ(ck.config, run.config);
  EXPECT_EQ(ck.meta["note"], "kept");
  // Another state, moved away from a's (five steps in): everything must come from the file.
  // (train.seed itself is config, not state: it also seeds the shot noise.)
  TrainingState b(run, 1, 8);
  StepBuffers buf_b;
  for (int i = 0; i < 5; ++i) train_step(b, ctx, buf_b);
  b.restore(ck, dir.file("ck.bin"), run.config);
  expect_same_state(a, b);

  for (int i = 0; i < 3; ++i) {
    train_step(a, ctx, buf);
    train_step(b, ctx, buf_b);
  }
  expect_same_state(a, b);

  // A checkpoint of another model does not restore, and says why.
  Config other;
  other.set("model.bottleneck=classical");
  try {
    b.restore(ck, dir.file("ck.bin"), other.resolved());
    FAIL() << "no error";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("config mismatch"), std::string::npos) << e.what();
  }
  nn::Checkpoint no_noise = ck;
  no_noise.blobs.clear();
  EXPECT_THROW(b.restore(no_noise, "x.bin", run.config), FileError);
}

// A checkpoint whose JSON state blobs (or resume metadata) were corrupted by hand does not
// resume: every case is a FileError naming the file and what is wrong, never an escaped
// nlohmann::json exception (an "internal error").
TEST(TrainingState, MalformedStateBlobsAreFileErrorsNamingTheFile) {
  const RunOptions run = tiny_run(7);
  test::TempDir dir;
  const TrainingState a(run, 1, 8);
  nn::save_checkpoint(dir.file("good.bin"), a.save(run.config, json::object()));
  const nn::Checkpoint good = nn::load_checkpoint(dir.file("good.bin"));
  struct Corruption {
    std::string blob, text, expect;  // blob "" = the metadata key `expect`
  };
  const std::vector<Corruption> cases = {
      {"noise_state", "{\"kind\": \"quantum\", ", "noise_state"},                          // not JSON
      {"noise_state", R"({"kind": "quantum", "n_qubits": 4})", "noise_state"},              // no rng
      {"noise_state", R"({"kind": "quantum", "n_qubits": "four"})", "noise_state"},         // wrong type
      {"noise_state", R"([1, 2, 3])", "noise_state"},                                       // not an object
      {"timestep_state", R"({"kind": "importance", "T": "twenty"})", "timestep_state"},     // wrong type
      {"timestep_state", R"({"kind": "uniform", "T": 20})", "timestep_state"},              // another sampler
      {"", R"("three")", "step"},                                                           // metadata
      {"", R"({"calls": 2})", "branch_calls"}};
  TrainingState b(run, 1, 8);
  for (const Corruption& c : cases) {
    nn::Checkpoint bad = good;
    if (c.blob.empty()) {
      bad.meta[c.expect] = json::parse(c.text);
    } else {
      bool found = false;
      for (auto& [name, bytes] : bad.blobs)
        if (name == c.blob) bytes.assign(c.text.begin(), c.text.end()), found = true;
      ASSERT_TRUE(found) << c.blob;
    }
    const std::string path = dir.file("bad.bin");
    nn::save_checkpoint(path, bad);
    try {
      b.restore(nn::load_checkpoint(path), path, run.config);
      ADD_FAILURE() << "no error for " << c.blob << " = " << c.text;
    } catch (const FileError& e) {
      EXPECT_EQ(e.path(), path);
      EXPECT_NE(e.problem().find(c.expect), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.blob << " = " << c.text << ": not a FileError: " << e.what();
    }
  }
}

TEST(TrainingState, DivergingStepChangesNothing) {
  const RunOptions run = tiny_run(1, 0);  // (no shots: nothing to sample from a NaN state)
  ImageSet data = tiny_images(4);
  data.pixels[5] = NAN;  // every batch of 4 out of 4 images contains it
  const Schedule schedule = make_schedule(run.diffusion);
  const StepContext ctx{data, schedule, 4, run.train.seed, 10, run.train.grad_clip};
  StepBuffers buf;
  TrainingState s(run, 1, 8);
  const std::vector<float> params(s.model->params().begin(), s.model->params().end());
  const StepResult r = train_step(s, ctx, buf);
  EXPECT_FALSE(r.finite());
  EXPECT_EQ(s.step, 0);
  EXPECT_EQ(s.adam.steps(), 0);
  EXPECT_EQ(s.ema.updates(), 0);
  EXPECT_TRUE(same_bits(s.model->params(), params));
}

TEST(MetricsLog, ResumeKeepsTheRowsUpToTheStep) {
  test::TempDir dir;
  const std::string path = dir.file("metrics.csv");
  {
    MetricsLog log(path, 0);
    for (int64_t step : {5, 10, 15, 20}) log.add({step, 0.1 * step, 1.0, 3e-4, 0.9, 0.5 * step, 2.0});
  }
  MetricsLog resumed(path, 10);
  ASSERT_EQ(resumed.rows().size(), 2u);
  EXPECT_EQ(resumed.rows()[1].step, 10);
  EXPECT_DOUBLE_EQ(resumed.rows()[1].loss, 1.0);
  resumed.add({15, 0.25, 1.0, 3e-4, 0.9, 7.5, 2.0});
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(),
            "step,loss,grad_norm,lr,ema_decay,seconds,it_per_s\n"
            "5,0.5,1,0.0003,0.9,2.500,2\n"
            "10,1,1,0.0003,0.9,5.000,2\n"
            "15,0.25,1,0.0003,0.9,7.500,2\n");
  EXPECT_EQ(MetricsLog(path, 100).rows().size(), 3u);
  EXPECT_TRUE(MetricsLog(path, 0).rows().empty()) << "a fresh run starts an empty log";
  resumed.plot(dir.file("loss.png"));
  EXPECT_TRUE(std::ifstream(dir.file("loss.png")).good());
}
