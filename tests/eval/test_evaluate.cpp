// The evaluation driver and the feature network: shipped accuracy, determinism, bad inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/eval/evaluate.hpp"
#include "qdiff/eval/feature_net.hpp"
#include "qdiff/io/dataset.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::eval;
using qdiff::test::repo_path;

namespace {
ImageSet mnist_test(int64_t n, uint64_t seed) {
  Rng rng(seed);
  return take_subset(load_split(repo_path("data/mnist.npz"), "test"), n, SubsetMode::Random, rng);
}
}  // namespace

TEST(FeatureNet, ShippedMnistNetworkIsAccurate) {
  auto net = FeatureNet::load(repo_path("data/features/mnist.bin"));
  const double acc = accuracy(*net, load_split(repo_path("data/mnist.npz"), "test"));
  EXPECT_GT(acc, 0.98) << "MNIST feature network accuracy on the full test split";
}

TEST(FeatureNet, ShippedMedMnistNetworksLoadAndBeatChance) {
  for (const char* name : {"breastmnist", "retinamnist"}) {
    auto net = FeatureNet::load(repo_path(std::string("data/features/") + name + ".bin"));
    const auto test = load_split(repo_path(std::string("data/") + name + ".npz"), "test");
    // majority-class rate: breast 114/156 = 0.73, retina 174/400 = 0.435
    EXPECT_GT(accuracy(*net, test), std::string(name) == "breastmnist" ? 0.76 : 0.45) << name;
  }
}

TEST(FeatureNet, TrainingIsDeterministicUnderASeed) {
  const auto train = mnist_test(256, 1), test = mnist_test(64, 2);
  std::vector<std::vector<float>> weights;
  for (int rep = 0; rep < 2; ++rep) {
    FeatureNet net(1, 10, 28, 5);
    train_feature_net(net, train, test, {1, 64, 1e-3, 5});
    weights.emplace_back(net.registry().params().begin(), net.registry().params().end());
  }
  EXPECT_TRUE(weights[0] == weights[1]);
}

TEST(FeatureNet, LearnsOnASmallSet) {
  const auto train = mnist_test(512, 3);
  FeatureNet net(1, 10, 28, 0);
  const auto r = train_feature_net(net, train, train, {8, 64, 2e-3, 0});
  EXPECT_GT(r.train_accuracy, 0.8);
}

TEST(FeatureNet, RejectsWrongFilesAndShapes) {
  EXPECT_THROW(FeatureNet::load(repo_path("README.md")), FileError);
  auto net = FeatureNet::load(repo_path("data/features/mnist.bin"));
  const auto colour = load_split(repo_path("data/retinamnist.npz"), "val");
  EXPECT_THROW(extract_features(*net, colour), InvalidArgument);
}

TEST(Evaluate, EntropyOfAHistogram) {
  EXPECT_DOUBLE_EQ(entropy_bits({1, 1, 2}), 1.5);
  EXPECT_DOUBLE_EQ(entropy_bits({5, 0}), 0.0);
  EXPECT_DOUBLE_EQ(entropy_bits({0, 0}), 0.0);
  EXPECT_NEAR(entropy_bits({3, 3, 3, 3}), 2.0, 1e-15);
}

TEST(Evaluate, SetAgainstItselfAndBadInputs) {
  const auto a = mnist_test(200, 7);
  EvalOptions opt;
  opt.features = "pixels";
  opt.kid_subsets = 10;
  opt.fid_groups = 0;
  opt.classify = false;
  const auto r = evaluate(a, a, opt);
  EXPECT_NEAR(r["fid"]["value"].get<double>(), 0.0, 1e-6);
  EXPECT_NEAR(r["precision"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(r["recall"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(r["ssim"]["nearest_mean"].get<double>(), 1.0, 1e-9);
  EXPECT_FALSE(r["warnings"].empty()) << "200 samples must warn that FID means little";
  EXPECT_FALSE(format_report(r).empty());

  const auto colour = load_split(repo_path("data/retinamnist.npz"), "val");
  EXPECT_THROW(evaluate(a, colour, opt), InvalidArgument);
  ImageSet empty = a;
  empty.n = 0;
  empty.pixels.clear();
  EXPECT_THROW(evaluate(empty, a, opt), InvalidArgument);
  ImageSet nan = a;
  nan.pixels[5] = NAN;
  EXPECT_THROW(evaluate(nan, a, opt), InvalidArgument);
  opt.features = "";
  EXPECT_THROW(evaluate(a, a, opt), InvalidArgument);
}

TEST(Evaluate, FeatureNetMetricsSeparateRealFromNoise) {
  const auto real1 = mnist_test(500, 11), real2 = mnist_test(500, 12);
  ImageSet noise = real2;
  Rng rng(3);
  for (auto& v : noise.pixels) v = static_cast<float>(2 * rng.uniform() - 1);
  EvalOptions opt;
  opt.features = repo_path("data/features/mnist.bin");
  opt.kid_subsets = 20;
  opt.fid_groups = 10;
  const auto good = evaluate(real2, real1, opt), bad = evaluate(noise, real1, opt);
  EXPECT_LT(good["fid"]["value"].get<double>() * 5, bad["fid"]["value"].get<double>());
  EXPECT_LT(good["kid"]["mean"].get<double>(), bad["kid"]["mean"].get<double>());
  EXPECT_GT(good["classifier"]["mean_confidence"].get<double>(), 0.9);
  // The interval is centred on the bias-corrected estimate, below the plain FID.
  const auto& jk = good["fid"]["jackknife"];
  EXPECT_LE(jk["ci95"][0].get<double>(), jk["corrected"].get<double>());
  EXPECT_GE(jk["ci95"][1].get<double>(), jk["corrected"].get<double>());
  EXPECT_LT(jk["corrected"].get<double>(), good["fid"]["value"].get<double>());
  EXPECT_EQ(jk["groups"], 10);
  // 500 real digits cover the ten classes: entropy near log2(10).
  EXPECT_GT(good["classifier"]["entropy_bits"].get<double>(), 3.2);
  EXPECT_NEAR(good["classifier"]["max_entropy_bits"].get<double>(), std::log2(10.0), 1e-12);
  EXPECT_EQ(default_feature_net(repo_path("data/mnist.npz")), repo_path("data/features/mnist.bin"));
}
