// The quantum bottleneck branch: gradient checks (alone and inside a whole U-Net), adjoint vs
// parameter-shift agreement, the paper-ansatz warning, shot noise, and the model factory.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "nn/gradcheck.hpp"
#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::hybrid;
using qdiff::test::gradcheck;
using qdiff::test::GradCheckOptions;
using qdiff::test::random_vector;
using Vec = std::vector<double>;

namespace {

QuantumBranchSpec small_spec(const std::string& ansatz, const std::string& reduce, quantum::GradMethod m) {
  QuantumBranchSpec s;
  s.ansatz = {4, 2, parse_mode<Ansatz>(ansatz), Entangler::Ring};
  s.reduce = parse_mode<Reduce>(reduce);
  s.gradient = m;
  return s;
}

void check_branch(const QuantumBranchSpec& spec, int C) {
  nn::ParamRegistryT<double> reg;
  QuantumBranchT<double> br(spec);
  br.declare_params(reg, "bottleneck.", C);
  Rng init(1);
  reg.finalize(init);
  Rng rng(2);
  const int B = 3;
  Vec x = random_vector(static_cast<size_t>(B) * C, rng), dx, y(static_cast<size_t>(B) * C);
  const auto rep = gradcheck(
      "quantum branch " + mode_name(spec.ansatz.ansatz) + "/" + mode_name(spec.reduce), {{"pooled", &x, &dx}}, &reg,
      [&] {
        br.forward(x.data(), y.data(), B, true);
        return y;
      },
      [&](const Vec& dy) { br.backward(dy.data(), dx.data(), B); }, {.tol = 1e-7});
  EXPECT_GT(rep.checked, 0u);
}

}  // namespace

// The paper ansatz is left out here: its weight gradient is exactly zero both ways, which a
// relative-error check cannot score; PaperAnsatzWeightsHaveZeroGradient covers it.
TEST(QuantumBranch, GradcheckPoolAndLinear) {
  for (const char* ansatz : {"default", "strong"})
    for (const char* reduce : {"pool", "linear"}) check_branch(small_spec(ansatz, reduce, quantum::GradMethod::Adjoint), 10);
}

TEST(QuantumBranch, GradcheckWithParameterShift) {
  check_branch(small_spec("default", "pool", quantum::GradMethod::ParameterShift), 8);
}

TEST(QuantumBranch, AdjointAndParameterShiftGiveTheSameNumbers) {
  Rng rng(5);
  const int C = 12, B = 4;
  Vec x = random_vector(static_cast<size_t>(B) * C, rng), dq = random_vector(static_cast<size_t>(B) * C, rng);
  std::vector<Vec> grads, dxs;
  for (auto m : {quantum::GradMethod::Adjoint, quantum::GradMethod::ParameterShift}) {
    nn::ParamRegistryT<double> reg;
    QuantumBranchT<double> br(small_spec("strong", "linear", m));
    br.declare_params(reg, "b.", C);
    Rng init(9);
    reg.finalize(init);
    Vec q(x.size()), dx(x.size());
    br.forward(x.data(), q.data(), B, true);
    br.backward(dq.data(), dx.data(), B);
    grads.emplace_back(reg.grads().begin(), reg.grads().end());
    dxs.push_back(dx);
  }
  for (size_t i = 0; i < grads[0].size(); ++i) EXPECT_NEAR(grads[0][i], grads[1][i], 1e-10) << "param " << i;
  for (size_t i = 0; i < dxs[0].size(); ++i) EXPECT_NEAR(dxs[0][i], dxs[1][i], 1e-10) << "input " << i;
}

TEST(QuantumBranch, PaperAnsatzWeightsHaveZeroGradientDefaultDoesNot) {
  for (const char* ansatz : {"paper", "default"}) {
    nn::ParamRegistryT<double> reg;
    QuantumBranchT<double> br(small_spec(ansatz, "pool", quantum::GradMethod::Adjoint));
    br.declare_params(reg, "b.", 8);
    Rng init(3), rng(4);
    reg.finalize(init);
    Vec x = random_vector(16, rng), q(16), dx(16), dq = random_vector(16, rng);
    br.forward(x.data(), q.data(), 2, true);
    br.backward(dq.data(), dx.data(), 2);
    const auto g = reg.grad_view("b.circuit.weight");
    double mx = 0;
    for (double v : g) mx = std::max(mx, std::abs(v));
    if (std::string(ansatz) == "paper") EXPECT_LT(mx, 1e-12) << "paper ansatz weights must not train";
    else for (double v : g) EXPECT_GT(std::abs(v), 1e-8) << "every default-ansatz weight must matter";
  }
}

// With the readout set to the identity, the branch outputs the shot estimates of <Z_i> (C = n_qubits,
// pool reduce = each channel alone). Each estimate is 1 - 2 k / shots with k ~ Binomial(shots,
// (1 - <Z_i>) / 2), so over many forward calls its mean must match the exact <Z_i> within the
// standard error and its variance the closed form (1 - <Z_i>^2) / shots.
TEST(QuantumBranch, ShotsAreUnbiasedWithTheBinomialVariance) {
  const int nq = 4, B = 3, shots = 100, draws = 2000;
  QuantumBranchSpec s = small_spec("default", "pool", quantum::GradMethod::Adjoint);
  nn::ParamRegistryT<double> reg_exact, reg_shot;
  QuantumBranchT<double> exact(s);
  s.shots = shots;
  QuantumBranchT<double> shot(s);
  exact.declare_params(reg_exact, "b.", nq);
  shot.declare_params(reg_shot, "b.", nq);
  Rng i1(1), i2(1), rng(2);
  reg_exact.finalize(i1);
  reg_shot.finalize(i2);
  for (auto* reg : {&reg_exact, &reg_shot}) {
    auto w = reg->view("b.readout.weight");  // [nq, nq]
    auto b = reg->view("b.readout.bias");
    std::fill(w.begin(), w.end(), 0.0);
    std::fill(b.begin(), b.end(), 0.0);
    for (int i = 0; i < nq; ++i) w[i * nq + i] = 1.0;
  }
  const Vec x = random_vector(static_cast<size_t>(B) * nq, rng);
  Vec z(x.size()), q(x.size()), sum(x.size(), 0.0), sum_sq(x.size(), 0.0);
  exact.forward(x.data(), z.data(), B, false);
  for (int d = 0; d < draws; ++d) {
    shot.forward(x.data(), q.data(), B, false);
    for (size_t k = 0; k < q.size(); ++k) {
      const double ones = (1.0 - q[k]) * shots / 2;  // the measured count behind the estimate
      ASSERT_NEAR(ones, std::round(ones), 1e-9) << "an estimate from " << shots << " shots";
      sum[k] += q[k];
      sum_sq[k] += q[k] * q[k];
    }
  }
  for (size_t k = 0; k < z.size(); ++k) {
    ASSERT_LT(std::abs(z[k]), 0.95) << "choose inputs whose <Z> leaves room for shot noise";
    const double mean = sum[k] / draws;
    const double var = (sum_sq[k] - draws * mean * mean) / (draws - 1);
    const double var_exact = (1.0 - z[k] * z[k]) / shots;
    EXPECT_NEAR(mean, z[k], 4.0 * std::sqrt(var_exact / draws)) << "output " << k << " is biased";
    // The sample variance of n draws has a relative standard error of about sqrt(2 / (n - 1)).
    EXPECT_NEAR(var / var_exact, 1.0, 5.0 * std::sqrt(2.0 / (draws - 1))) << "output " << k;
  }
  // Every call draws fresh shots, and the stream is reproducible from the call counter.
  Vec q1(q.size()), q2(q.size()), q3(q.size());
  shot.set_forward_calls(0);
  shot.forward(x.data(), q1.data(), B, false);
  shot.forward(x.data(), q2.data(), B, false);
  EXPECT_NE(q1, q2);
  shot.set_forward_calls(0);
  shot.forward(x.data(), q3.data(), B, false);
  EXPECT_EQ(q1, q3);
}

// With shots, the shot stream of training is a function of the training forwards alone:
// inference forwards (previews during training) between two training steps change nothing in
// the second step, and they are themselves reproducible from the training call counter.
TEST(QuantumBranch, InferenceForwardsDoNotMoveTheTrainingShotStream) {
  const int C = 8, B = 3;
  QuantumBranchSpec s = small_spec("default", "pool", quantum::GradMethod::Adjoint);
  s.shots = 50;
  nn::ParamRegistryT<double> reg;
  QuantumBranchT<double> br(s);
  br.declare_params(reg, "b.", C);
  Rng init(1), rng(2);
  reg.finalize(init);
  const Vec x = random_vector(static_cast<size_t>(B) * C, rng);
  Vec plain(x.size()), after_previews(x.size()), preview1(x.size()), preview2(x.size()), scratch(x.size());
  br.forward(x.data(), scratch.data(), B, true);  // training call 0
  br.forward(x.data(), plain.data(), B, true);    // training call 1
  br.set_forward_calls(1);
  br.forward(x.data(), preview1.data(), B, false);
  br.forward(x.data(), scratch.data(), B, false);
  EXPECT_EQ(br.forward_calls(), 1u) << "inference forwards are not training calls";
  br.forward(x.data(), after_previews.data(), B, true);
  EXPECT_EQ(after_previews, plain) << "a preview moved the training shot stream";
  br.set_forward_calls(1);  // as a run resumed at this point
  br.forward(x.data(), preview2.data(), B, false);
  EXPECT_EQ(preview1, preview2) << "an inference forward is not reproducible from the training calls";
  EXPECT_NE(preview1, plain) << "inference and training share a stream";
}

// Data parallel: a shard that knows its first global sample draws the shots those samples draw
// in the whole batch (a training forward of rows [2, 4) of 4 with first sample 2).
TEST(QuantumBranch, ShardRowsDrawTheShotsOfTheirGlobalSamples) {
  const int C = 8, B = 4, half = 2;
  QuantumBranchSpec s = small_spec("default", "pool", quantum::GradMethod::Adjoint);
  s.shots = 50;
  nn::ParamRegistryT<double> reg_whole, reg_shard;
  QuantumBranchT<double> whole(s), shard(s);
  whole.declare_params(reg_whole, "b.", C);
  shard.declare_params(reg_shard, "b.", C);
  Rng i1(1), i2(1), rng(2);
  reg_whole.finalize(i1);
  reg_shard.finalize(i2);
  const Vec x = random_vector(static_cast<size_t>(B) * C, rng);
  Vec qw(x.size()), qs(static_cast<size_t>(half) * C);
  whole.forward(x.data(), qw.data(), B, true);
  shard.set_first_sample(half);
  shard.forward(x.data() + half * C, qs.data(), half, true);
  EXPECT_EQ(qs, Vec(qw.begin() + half * C, qw.end()));
}

TEST(QuantumBranch, WholeTinyUNetGradcheck) {
  nn::UNetSpec spec;
  spec.in_channels = 1;
  spec.image_size = 8;
  spec.channels = {3, 4, 6};
  spec.temb_dim = 8;
  nn::UNetT<double> net(spec, std::make_unique<QuantumBranchT<double>>(small_spec("default", "pool", quantum::GradMethod::Adjoint)), 11);
  Rng rng(3);
  for (auto& v : net.params()) v += 0.05 * rng.normal();
  const int B = 2;
  Vec x = random_vector(static_cast<size_t>(B) * 64, rng), dx, y(x.size());
  std::vector<int> t = {3, 700};
  const auto rep = gradcheck(
      "tiny U-Net + quantum", {{"x", &x, &dx}}, &net.registry(),
      [&] {
        net.forward(x.data(), t.data(), B, y.data(), true);
        return y;
      },
      [&](const Vec& dy) { net.backward(dy.data(), dx.data()); }, {.tol = 1e-5});
  std::cout << "tiny U-Net + quantum: " << rep.checked << " coordinates, worst " << rep.worst << "\n";
}

// Training runs the float U-Net; its branch with the float simulator (quantum.precision = float)
// must give the double simulator's outputs and gradients to float accuracy, at 12 qubits.
TEST(QuantumBranch, FloatSimulatorMatchesDoubleInTheTrainingBranch) {
  Config cfg;
  cfg.set("quantum.n_qubits=12");
  cfg.set("quantum.precision=float");
  const QuantumBranchSpec fspec = quantum_branch_spec(resolve_options(cfg).quantum, 0);
  ASSERT_EQ(fspec.precision, quantum::Precision::Float);
  QuantumBranchSpec dspec = fspec;
  dspec.precision = quantum::Precision::Double;
  const int C = 16, B = 4;
  Rng rng(6);
  std::vector<float> x(B * C), dq(B * C);
  for (float& v : x) v = static_cast<float>(rng.normal());
  for (float& v : dq) v = static_cast<float>(rng.normal());
  std::vector<std::vector<float>> outs, grads, dxs;
  for (const QuantumBranchSpec& spec : {dspec, fspec}) {
    nn::ParamRegistryT<float> reg;
    QuantumBranchT<float> br(spec);
    EXPECT_EQ(br.backend().precision(), spec.precision);
    br.declare_params(reg, "b.", C);
    Rng init(9);
    reg.finalize(init);
    std::vector<float> q(x.size()), dx(x.size());
    br.forward(x.data(), q.data(), B, true);
    br.backward(dq.data(), dx.data(), B);
    outs.push_back(q);
    grads.emplace_back(reg.grads().begin(), reg.grads().end());
    dxs.push_back(dx);
  }
  auto expect_close = [](const std::vector<float>& a, const std::vector<float>& b, const char* what) {
    double scale = 0, diff = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      scale = std::max(scale, std::abs(double(a[i])));
      diff = std::max(diff, std::abs(double(a[i]) - b[i]));
    }
    EXPECT_LT(diff, 1e-5 * (1 + scale)) << what;
    EXPECT_GT(scale, 1e-3) << what << " is not trivially zero";
  };
  expect_close(outs[0], outs[1], "branch output");
  expect_close(grads[0], grads[1], "parameter gradients");
  expect_close(dxs[0], dxs[1], "input gradients");
  EXPECT_THROW(
      {
        cfg.set("quantum.precision=half");
        quantum_branch_spec(resolve_options(cfg).quantum, 0);
      },
      qdiff::Error);
}

TEST(HybridModel, FactoryBuildsEveryBottleneckAndWarnsForPaperAnsatz) {
  Config cfg;
  cfg.set("quantum.n_qubits=4");
  cfg.set("quantum.n_layers=1");
  for (const char* kind : {"quantum", "classical", "none"}) {
    cfg.set_value("model.bottleneck", kind);
    const RunOptions run = resolve_options(cfg);
    auto net = build_model(run.model, run.quantum, 1, 0);
    EXPECT_EQ(net->bottleneck_kind(), kind);
  }
  cfg.set("model.bottleneck=quantum");
  EXPECT_TRUE(untrainable_ansatz_warning(resolve_options(cfg).model, resolve_options(cfg).quantum).empty());
  cfg.set("quantum.ansatz=paper");
  const RunOptions paper = resolve_options(cfg);
  EXPECT_NE(untrainable_ansatz_warning(paper.model, paper.quantum).find("cannot change the output"), std::string::npos);
  EXPECT_NE(bottleneck_summary(paper.model, paper.quantum, nn::paper_spec(1)).find("classical"), std::string::npos);
}

// (Moved from tests/nn/test_unet.cpp with the functions it tests, which need the ansatz's weight
// count from quantum/.)
TEST(HybridModel, ClassicalHiddenMatchesQuantumCount) {
  Config cfg;  // defaults: 8 qubits, 3 layers, default ansatz, pool reduce
  const RunOptions run = resolve_options(cfg);
  const int64_t q = quantum_branch_params(run.quantum, 128);
  EXPECT_EQ(q, 2 * 8 * 3 + 8 * 128 + 128);
  const int h = classical_hidden(run.model, run.quantum, 128);
  EXPECT_LE(std::llabs(nn::classical_branch_params(128, h) - q), 257 / 2 + 1);
  cfg.set("model.classical_hidden=16");
  EXPECT_EQ(classical_hidden(resolve_options(cfg).model, run.quantum, 128), 16);
  cfg.set("model.bottleneck=none");
  auto b = nn::make_bottleneck(resolve_options(cfg).model.bottleneck, h);
  EXPECT_EQ(b->kind(), "none");
  cfg.set("model.bottleneck=quantum");
  EXPECT_THROW(nn::make_bottleneck(resolve_options(cfg).model.bottleneck, h), InvalidArgument);
}

TEST(AdaptivePool, MatchesTorchBoundaries) {
  // C = 5 -> n = 3: windows [0,2), [1,4), [3,5) as torch.nn.AdaptiveAvgPool1d.
  const double x[5] = {1, 2, 3, 4, 5};
  double y[3];
  adaptive_pool_forward(y, x, 1, 5, 3);
  EXPECT_DOUBLE_EQ(y[0], 1.5);
  EXPECT_DOUBLE_EQ(y[1], 3.0);
  EXPECT_DOUBLE_EQ(y[2], 4.5);
}

// Issue 14: with the large arch the classical twin is matched to the quantum branch at the
// U-Net's real bottleneck width (here 16, not the paper's 128), and the logged summary gives the
// counts of the models actually built.
TEST(HybridModel, ClassicalTwinIsMatchedAtTheRealBottleneckWidth) {
  Config cfg;
  for (const char* kv : {"model.arch=large", "model.base_channels=8", "model.channel_mult=[1,2]", "model.groups=4",
                         "quantum.n_qubits=4", "quantum.n_layers=16", "quantum.ansatz=strong"})
    cfg.set(kv);
  cfg.set("model.bottleneck=quantum");
  const RunOptions q = resolve_options(cfg);
  const auto quantum_net = build_model(q.model, q.quantum, 1, 0);
  cfg.set("model.bottleneck=classical");
  const RunOptions c = resolve_options(cfg);
  const auto classical_net = build_model(c.model, c.quantum, 1, 0);
  const int C = classical_net->spec().bottleneck_channels();
  ASSERT_EQ(C, 16);
  const int64_t nq = quantum_net->registry().count("bottleneck."), nc = classical_net->registry().count("bottleneck.");
  EXPECT_EQ(nq, quantum_branch_params(q.quantum, C));
  // the closest count a hidden width can give: within half of one hidden unit's 2C + 1 parameters
  EXPECT_LE(std::llabs(nc - nq), (2 * C + 1) / 2 + 1) << "quantum " << nq << ", classical " << nc;
  const std::string s = bottleneck_summary(c.model, c.quantum, classical_net->spec());
  EXPECT_NE(s.find("quantum " + std::to_string(nq) + " ("), std::string::npos) << s;
  EXPECT_NE(s.find("classical " + std::to_string(nc) + " (MLP 16-"), std::string::npos) << s;
}

// A large-arch classical checkpoint written before issue 14 (its branch matched at 128 channels)
// still loads, with the width it was trained with.
TEST(HybridModel, ClassicalCheckpointsMatchedTheOldWayStillLoad) {
  Config cfg;
  for (const char* kv : {"model.arch=large", "model.base_channels=8", "model.channel_mult=[1,2]", "model.groups=4",
                         "model.bottleneck=classical", "quantum.n_qubits=4", "quantum.n_layers=16",
                         "quantum.ansatz=strong"})
    cfg.set(kv);
  const RunOptions run = resolve_options(cfg);
  const nn::UNetSpec spec = nn::spec_from_options(run.model, 1, 28);
  const int old_hidden = nn::classical_hidden_for_target(quantum_branch_params(run.quantum, 128), 128);
  ASSERT_NE(old_hidden, classical_hidden(run.model, run.quantum, spec.bottleneck_channels()));
  const nn::UNet old(spec, std::make_unique<nn::ClassicalBranch>(old_hidden), 3);
  qdiff::test::TempDir dir;
  const std::string path = dir.file("old.bin");
  nn::save_checkpoint(path, nn::make_checkpoint(run.config, {{"in_channels", 1}, {"image_size", 28}}, old.registry()));
  const LoadedModel lm = load_model(path);
  EXPECT_EQ(lm.model->registry().info("bottleneck.fc1.weight").shape, (std::vector<int64_t>{old_hidden, 16}));
  EXPECT_EQ(as_trained(run.model, lm.checkpoint).classical_hidden, old_hidden);
  // explicit widths and quantum branches are taken as configured
  ModelOptions fixed = run.model;
  fixed.classical_hidden = 5;
  EXPECT_EQ(as_trained(fixed, lm.checkpoint).classical_hidden, 5);
  ModelOptions quantum = run.model;
  quantum.bottleneck = BottleneckKind::Quantum;
  EXPECT_EQ(as_trained(quantum, lm.checkpoint).classical_hidden, 0);
}
