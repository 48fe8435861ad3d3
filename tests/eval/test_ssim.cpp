// SSIM: identities, symmetry, consistency between the set functions, and speed.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/rng.hpp"
#include "qdiff/eval/ssim.hpp"

namespace qdiff::eval {
namespace {

// n smooth random images [n, c, h, w] in [-1, 1].
std::vector<float> smooth_images(Rng& rng, int64_t n, int64_t c, int64_t h = 28, int64_t w = 28) {
  std::vector<float> out(n * c * h * w);
  for (int64_t i = 0; i < n * c; ++i) {
    const double fx = 0.1 + 0.5 * rng.uniform(), fy = 0.1 + 0.5 * rng.uniform(), ph = 6.3 * rng.uniform();
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        out[(i * h + y) * w + x] = float(std::tanh(2.0 * std::sin(fx * x + fy * y + ph) + 0.3 * rng.normal()));
  }
  return out;
}

TEST(Ssim, WindowIsElevenTaps) { EXPECT_EQ(SsimOptions{}.window_size(), 11); }

TEST(Ssim, ImageWithItselfIsOne) {
  Rng rng(1);
  for (int64_t c : {1, 3}) {
    const std::vector<float> imgs = smooth_images(rng, 4, c);
    const ImageView v(imgs, 4, c, 28, 28);
    for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(ssim(v.image(i), v.image(i), c, 28, 28), 1.0, 1e-12);
    const Eigen::MatrixXd m = ssim_matrix(v, v);
    for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(m(i, i), 1.0, 1e-12);
    const NearestSsim nn = nearest_ssim(v, v);
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(nn.argmax[i], i);
  }
}

TEST(Ssim, IsSymmetricAndBelowOne) {
  Rng rng(2);
  const std::vector<float> a = smooth_images(rng, 6, 3), b = smooth_images(rng, 5, 3);
  const ImageView va(a, 6, 3, 28, 28), vb(b, 5, 3, 28, 28);
  const Eigen::MatrixXd ab = ssim_matrix(va, vb), ba = ssim_matrix(vb, va);
  EXPECT_LT((ab - ba.transpose()).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_LT(ab.maxCoeff(), 1.0);
  EXPECT_GT(ab.minCoeff(), -1.0);
}

TEST(Ssim, ConstantImagesAndNegation) {
  // Two constant images: variance terms vanish, SSIM = (2ab + C1) / (a^2 + b^2 + C1).
  std::vector<float> a(28 * 28, 0.5f), b(28 * 28, -0.25f);
  const double c1 = (0.01 * 2) * (0.01 * 2);
  EXPECT_NEAR(ssim(a.data(), b.data(), 1, 28, 28), (2 * 0.5 * -0.25 + c1) / (0.25 + 0.0625 + c1), 1e-12);
  // A checkerboard and its negation: local means ~0 (the window averages the +/- cells away), so
  // SSIM ~ (C1 / C1) * (-2 var + C2) / (2 var + C2), close to -1. (A pattern with a non-zero local
  // mean and its negation can score high: luminance and structure terms are both negative.)
  std::vector<float> x(28 * 28), y(28 * 28);
  for (int r = 0; r < 28; ++r)
    for (int c = 0; c < 28; ++c) x[r * 28 + c] = ((r + c) % 2 ? 0.5f : -0.5f), y[r * 28 + c] = -x[r * 28 + c];
  const double var = 0.25, c2 = (0.03 * 2) * (0.03 * 2);
  EXPECT_NEAR(ssim(x.data(), y.data(), 1, 28, 28), (-2 * var + c2) / (2 * var + c2), 1e-6);
}

// Direct 2-D evaluation of the definition at every valid window position (no separable filter).
double naive_ssim(const std::vector<float>& x, const std::vector<float>& y, int h, int w) {
  const int r = 5;
  double wt[11], norm = 0;
  for (int t = -r; t <= r; ++t) norm += wt[t + r] = std::exp(-t * t / (2 * 1.5 * 1.5));
  for (double& v : wt) v /= norm;
  const double c1 = 0.02 * 0.02, c2 = 0.06 * 0.06;
  double total = 0;
  int count = 0;
  for (int py = r; py < h - r; ++py)
    for (int px = r; px < w - r; ++px) {
      double mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
      for (int a = -r; a <= r; ++a)
        for (int b = -r; b <= r; ++b) {
          const double k = wt[a + r] * wt[b + r], u = x[(py + a) * w + px + b], v = y[(py + a) * w + px + b];
          mx += k * u, my += k * v, mxx += k * u * u, myy += k * v * v, mxy += k * u * v;
        }
      const double vx = mxx - mx * mx, vy = myy - my * my, cxy = mxy - mx * my;
      total += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      ++count;
    }
  return total / count;
}

TEST(Ssim, MatchesNaiveDefinitionOnAnySize) {
  Rng rng(7);
  // 28x28 takes the compile-time sized filter, the others the generic one.
  for (auto [h, w] : {std::pair{28, 28}, std::pair{20, 31}, std::pair{11, 11}, std::pair{64, 64}}) {
    const std::vector<float> a = smooth_images(rng, 1, 1, h, w), b = smooth_images(rng, 1, 1, h, w);
    EXPECT_NEAR(ssim(a.data(), b.data(), 1, h, w), naive_ssim(a, b, h, w), 1e-12) << h << "x" << w;
  }
}

TEST(Ssim, ColourIsMeanOverChannels) {
  Rng rng(4);
  const std::vector<float> a = smooth_images(rng, 1, 3), b = smooth_images(rng, 1, 3);
  double mean = 0;
  for (int ch = 0; ch < 3; ++ch) mean += ssim(a.data() + ch * 784, b.data() + ch * 784, 1, 28, 28) / 3.0;
  EXPECT_NEAR(ssim(a.data(), b.data(), 3, 28, 28), mean, 1e-14);
}

TEST(Ssim, NearestAndPairwiseAgreeWithMatrix) {
  Rng rng(5);
  const std::vector<float> g = smooth_images(rng, 7, 1), r = smooth_images(rng, 9, 1);
  const ImageView vg(g, 7, 1, 28, 28), vr(r, 9, 1, 28, 28);
  const Eigen::MatrixXd m = ssim_matrix(vg, vr);
  const NearestSsim nn = nearest_ssim(vg, vr);
  for (int64_t i = 0; i < 7; ++i) {
    Eigen::Index j;
    const double best = m.row(i).maxCoeff(&j);
    EXPECT_DOUBLE_EQ(nn.max_ssim[i], best);
    EXPECT_EQ(nn.argmax[i], j);
  }
  const Eigen::MatrixXd gg = ssim_matrix(vg, vg);
  double sum = 0;
  for (int i = 0; i < 7; ++i)
    for (int j = i + 1; j < 7; ++j) sum += gg(i, j);
  const PairwiseSsim pw = pairwise_ssim(vg);
  EXPECT_EQ(pw.n_pairs, 21);
  EXPECT_NEAR(pw.mean, sum / 21, 1e-14);
}

}  // namespace
}  // namespace qdiff::eval
