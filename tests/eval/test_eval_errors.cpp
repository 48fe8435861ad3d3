// Bad inputs raise qdiff::InvalidArgument with a message that names the problem.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "eval_test_util.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/eval/metrics.hpp"
#include "qdiff/eval/ssim.hpp"
#include "qdiff/eval/stats.hpp"

namespace qdiff::eval {
namespace {

using testing::random_matrix;

void expect_invalid(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << needle << "'";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

struct Sets {
  Rng rng{1};
  Eigen::MatrixXd real = random_matrix(rng, 20, 4), gen = random_matrix(rng, 15, 4);
};

TEST(EvalErrors, EmptySets) {
  Sets s;
  const Eigen::MatrixXd empty(0, 4);
  Rng rng(1);
  expect_invalid([&] { fid(empty, s.gen); }, "real features are empty");
  expect_invalid([&] { fid(s.real, empty); }, "generated features are empty");
  expect_invalid([&] { kid(s.real, empty, 5, 5, rng); }, "generated features are empty");
  expect_invalid([&] { precision_recall(empty, s.gen); }, "real features are empty");
  expect_invalid([&] { fid(Eigen::MatrixXd(5, 0), Eigen::MatrixXd(5, 0)); }, "dimension 0");
  expect_invalid([&] { mean_interval(std::span<const double>()); }, "no values");
}

TEST(EvalErrors, MismatchedFeatureDims) {
  Sets s;
  Rng rng(1);
  const Eigen::MatrixXd other = random_matrix(rng, 15, 5);
  expect_invalid([&] { fid(s.real, other); }, "feature dimensions differ: real features have 4 columns, generated features have 5");
  expect_invalid([&] { kid(s.real, other, 5, 5, rng); }, "feature dimensions differ");
  expect_invalid([&] { precision_recall(s.real, other); }, "feature dimensions differ");
  expect_invalid([&] { frechet_distance(Eigen::VectorXd::Zero(3), Eigen::MatrixXd::Identity(3, 3), Eigen::VectorXd::Zero(2),
                                        Eigen::MatrixXd::Identity(2, 2)); },
                 "dimensions do not match");
}

TEST(EvalErrors, NonFiniteFeatures) {
  Sets s;
  Rng rng(1);
  Eigen::MatrixXd bad = s.gen;
  bad(3, 2) = std::numeric_limits<double>::quiet_NaN();
  expect_invalid([&] { fid(s.real, bad); }, "generated features contain NaN/Inf");
  expect_invalid([&] { fid(s.real, bad); }, "row 3, column 2");
  expect_invalid([&] { kid(s.real, bad, 3, 5, rng); }, "NaN/Inf");
  expect_invalid([&] { precision_recall(s.real, bad); }, "NaN/Inf");
  Eigen::MatrixXd inf = s.real;
  inf(0, 0) = std::numeric_limits<double>::infinity();
  expect_invalid([&] { fid(inf, s.gen); }, "real features contain NaN/Inf");
  const double v[] = {1.0, std::nan("")};
  expect_invalid([&] { mean_interval(v); }, "NaN/Inf");
}

TEST(EvalErrors, TooFewSamples) {
  Sets s;
  Rng rng(1);
  expect_invalid([&] { fid(s.real, s.gen.topRows(1)); }, "at least 2 samples");
  expect_invalid([&] { precision_recall(s.real, s.gen.topRows(3), 3); },
                 "k = 3 must be smaller than the number of generated samples (3)");
  expect_invalid([&] { precision_recall(s.real.topRows(2), s.gen, 3); },
                 "k = 3 must be smaller than the number of real samples (2)");
  expect_invalid([&] { precision_recall(s.real, s.gen, 0); }, "k must be >= 1");
  expect_invalid([&] { knn_radii(s.real, 20); }, "must be smaller than the number");
  expect_invalid([&] { kid(s.real, s.gen, 5, 16, rng); },
                 "subset size 16 exceeds the number of generated samples (15)");
  expect_invalid([&] { kid(s.real, s.gen, 5, 21, rng); }, "exceeds the number of real samples (20)");
  expect_invalid([&] { kid(s.real, s.gen, 5, 1, rng); }, "subset size must be at least 2");
  expect_invalid([&] { kid(s.real, s.gen, 0, 5, rng); }, "n_subsets must be >= 1");
  expect_invalid([&] { kid_from_subsets(s.real, s.gen, {{0, 1}}, {{0, 99}}); }, "index 99 out of range");
  expect_invalid([&] { fid_jackknife(s.real, s.gen, 1, rng); }, "too few for 1 groups");
  expect_invalid([&] { fid_jackknife(s.real, s.gen.topRows(3), 2, rng); }, "3 generated samples are too few");
  const double v[] = {1.0, 2.0};
  expect_invalid([&] { mean_interval(v, 1.5); }, "level must be in (0, 1)");
}

TEST(EvalErrors, ImageShapeAndChannelMismatch) {
  std::vector<float> grey(2 * 28 * 28, 0.1f), colour(2 * 3 * 28 * 28, 0.1f), small(2 * 16 * 16, 0.1f);
  const ImageView g(grey, 2, 1, 28, 28), c(colour, 2, 3, 28, 28), sm(small, 2, 1, 16, 16);
  expect_invalid([&] { nearest_ssim(g, c); }, "channel mismatch: generated images have 1 channel(s), reference images have 3");
  expect_invalid([&] { ssim_matrix(c, g); }, "channel mismatch");
  expect_invalid([&] { nearest_ssim(g, sm); }, "image size mismatch: generated images are 28x28, reference images are 16x16");
  expect_invalid([&] { ImageView(grey, 3, 1, 28, 28); }, "needs 2352 values, got 1568");
  std::vector<float> tiny(2 * 8 * 8, 0.f);
  const ImageView t(tiny, 2, 1, 8, 8);
  expect_invalid([&] { pairwise_ssim(t); }, "smaller than the 11x11 SSIM window");
}

TEST(EvalErrors, EmptyOrNonFiniteImages) {
  std::vector<float> grey(2 * 28 * 28, 0.1f);
  const ImageView g(grey, 2, 1, 28, 28), none(std::span<const float>(), 0, 1, 28, 28);
  expect_invalid([&] { nearest_ssim(none, g); }, "generated images are empty");
  expect_invalid([&] { nearest_ssim(g, none); }, "reference images are empty");
  expect_invalid([&] { pairwise_ssim(ImageView(std::span<const float>(grey).first(784), 1, 1, 28, 28)); },
                 "at least 2 generated images");
  std::vector<float> bad = grey;
  bad[784 + 5] = std::numeric_limits<float>::quiet_NaN();
  const ImageView b(bad, 2, 1, 28, 28);
  expect_invalid([&] { nearest_ssim(b, g); }, "generated images contain NaN/Inf (image 1");
  expect_invalid([&] { nearest_ssim(g, b); }, "reference images contain NaN/Inf");
}

}  // namespace
}  // namespace qdiff::eval
