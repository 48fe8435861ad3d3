// Gradient checks of every layer (one harness, gradcheck.hpp) and reference checks of the
// convolution kernels against naive loops.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>

#include "conv_winograd.hpp"
#include "gradcheck.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/nn/layers.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::nn;
using qdiff::test::GradInput;
using qdiff::test::gradcheck;
using qdiff::test::random_vector;

namespace {
using Vec = std::vector<double>;

// Elementwise op check: y = f(x).
void check_unary(const std::string& what, void (*fwd)(double*, const double*, size_t),
                 std::function<void(double*, const double*, const double*, const double*, size_t)> bwd) {
  Rng rng(7);
  Vec x = random_vector(40, rng, 2.0), dx;
  Vec y(x.size());
  gradcheck(
      what, {{"x", &x, &dx}}, nullptr,
      [&] {
        fwd(y.data(), x.data(), x.size());
        return y;
      },
      [&](const Vec& dy) { bwd(dx.data(), x.data(), y.data(), dy.data(), x.size()); });
}
}  // namespace

TEST(Layers, ReluGrad) {
  check_unary("relu", relu_forward<double>, [](double* dx, const double*, const double* y, const double* dy, size_t n) {
    relu_backward(dx, y, dy, n);
  });
}
TEST(Layers, SiluGrad) {
  check_unary("silu", silu_forward<double>, [](double* dx, const double* x, const double*, const double* dy, size_t n) {
    silu_backward(dx, x, dy, n);
  });
}
TEST(Layers, TanhGrad) {
  check_unary("tanh", tanh_forward<double>, [](double* dx, const double*, const double* y, const double* dy, size_t n) {
    tanh_backward(dx, y, dy, n);
  });
}

// The library's residual add: add_forward against finite differences of add_backward, which adds
// dy into both input gradients (checked from zero, and on top of a gradient already there).
TEST(Layers, ResidualAddGrad) {
  Rng rng(8);
  Vec a = random_vector(30, rng), b = random_vector(30, rng), da, db, y(30);
  gradcheck(
      "add", {{"a", &a, &da}, {"b", &b, &db}}, nullptr,
      [&] {
        add_forward(y.data(), a.data(), b.data(), y.size());
        return y;
      },
      [&](const Vec& dy) {
        std::fill(da.begin(), da.end(), 0.0);
        std::fill(db.begin(), db.end(), 0.0);
        add_backward(da.data(), db.data(), dy.data(), dy.size());
      });
  const Vec dy = random_vector(30, rng), before = random_vector(30, rng);
  Vec acc = before;
  add_backward(acc.data(), static_cast<double*>(nullptr), dy.data(), dy.size());
  for (size_t i = 0; i < acc.size(); ++i) EXPECT_EQ(acc[i], before[i] + dy[i]) << i;
}

TEST(Layers, AvgPoolGrad) {
  Rng rng(9);
  const int N = 2, C = 3, HW = 5;
  Vec x = random_vector(N * C * HW, rng), dx, y(N * C);
  gradcheck(
      "avgpool", {{"x", &x, &dx}}, nullptr,
      [&] {
        avgpool_forward(y.data(), x.data(), N, C, HW);
        return y;
      },
      [&](const Vec& dy) { avgpool_backward(dx.data(), dy.data(), N, C, HW); });
}

TEST(Layers, ConcatGrad) {
  Rng rng(10);
  const int N = 2, Ca = 2, Cb = 3, HW = 4;
  Vec a = random_vector(N * Ca * HW, rng), b = random_vector(N * Cb * HW, rng), da, db, y(N * (Ca + Cb) * HW);
  gradcheck(
      "concat", {{"a", &a, &da}, {"b", &b, &db}}, nullptr,
      [&] {
        concat_forward(y.data(), a.data(), b.data(), N, Ca, Cb, HW);
        return y;
      },
      [&](const Vec& dy) { concat_backward(da.data(), db.data(), dy.data(), N, Ca, Cb, HW); });
  // layout: channels of a first
  concat_forward(y.data(), a.data(), b.data(), N, Ca, Cb, HW);
  EXPECT_EQ(y[(Ca + Cb) * HW + 1], a[Ca * HW + 1]);
  EXPECT_EQ(y[(Ca + Cb) * HW + Ca * HW], b[Cb * HW]);
}

TEST(Layers, ChannelScaleGrad) {
  Rng rng(11);
  const int N = 2, C = 3, HW = 6;
  Vec x = random_vector(N * C * HW, rng), s = random_vector(N * C, rng), dx, ds, y(N * C * HW);
  gradcheck(
      "chscale", {{"x", &x, &dx}, {"s", &s, &ds}}, nullptr,
      [&] {
        chscale_forward(y.data(), x.data(), s.data(), N, C, HW);
        return y;
      },
      [&](const Vec& dy) { chscale_backward(dx.data(), ds.data(), x.data(), s.data(), dy.data(), N, C, HW); });
}

TEST(Layers, BroadcastAddGrad) {
  Rng rng(12);
  const int N = 2, C = 3, HW = 4;
  Vec x = random_vector(N * C * HW, rng), e = random_vector(N * C, rng), dx, de, y;
  gradcheck(
      "bcast_add", {{"x", &x, &dx}, {"e", &e, &de}}, nullptr,
      [&] {
        y = x;
        bcast_add_forward(y.data(), e.data(), N, C, HW);
        return y;
      },
      [&](const Vec& dy) {
        dx = dy;
        bcast_add_backward(de.data(), dy.data(), N, C, HW);
      });
}

TEST(Layers, TimestepEmbeddingValues) {
  const int dim = 128, half = 64;
  std::vector<int> t = {0, 1, 37, 999};
  std::vector<double> out(t.size() * dim);
  timestep_embedding(out.data(), t.data(), static_cast<int>(t.size()), dim);
  for (size_t n = 0; n < t.size(); ++n)
    for (int k = 0; k < half; ++k) {
      const double f = std::exp(-std::log(10000.0) * k / (half - 1));
      EXPECT_NEAR(out[n * dim + k], std::sin(t[n] * f), 1e-12);
      EXPECT_NEAR(out[n * dim + half + k], std::cos(t[n] * f), 1e-12);
    }
  // last frequency is exactly 1/10000
  EXPECT_NEAR(out[2 * dim + half - 1], std::sin(37.0 / 10000.0), 1e-15);
  EXPECT_EQ(out[0], 0.0);
  EXPECT_EQ(out[half], 1.0);
}

TEST(Layers, LinearGrad) {
  ParamRegistryT<double> reg;
  Linear<double> lin(reg, "fc", 5, 4);
  Rng init(1);
  reg.finalize(init);
  Rng rng(13);
  const int N = 5;  // two leaves of the batch's gradient tree (2 | 3 rows)
  Vec x = random_vector(N * 5, rng), dx, y(N * 4);
  gradcheck(
      "linear", {{"x", &x, &dx}}, &reg,
      [&] {
        lin.forward(y.data(), x.data(), N);
        return y;
      },
      [&](const Vec& dy) { lin.backward(dx.data(), x.data(), dy.data(), N); });
}

struct ConvCase {
  int cin, cout, k, s, p, H, W;
};

class ConvGrad : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvGrad, Conv2d) {
  const auto c = GetParam();
  ParamRegistryT<double> reg;
  Conv2d<double> conv(reg, "conv", c.cin, c.cout, c.k, c.s, c.p);
  Rng init(2);
  reg.finalize(init);
  Rng rng(14);
  const int N = 5, Ho = conv.out_size(c.H), Wo = conv.out_size(c.W);
  Vec x = random_vector(N * c.cin * c.H * c.W, rng), dx, y(N * c.cout * Ho * Wo);
  gradcheck(
      "conv2d", {{"x", &x, &dx}}, &reg,
      [&] {
        conv.forward(y.data(), x.data(), N, c.H, c.W);
        return y;
      },
      [&](const Vec& dy) { conv.backward(dx.data(), x.data(), dy.data(), N, c.H, c.W); });
}

TEST_P(ConvGrad, ConvTranspose2d) {
  const auto c = GetParam();
  ParamRegistryT<double> reg;
  ConvTranspose2d<double> conv(reg, "convt", c.cin, c.cout, c.k, c.s, c.p);
  Rng init(3);
  reg.finalize(init);
  Rng rng(15);
  const int N = 5, Ho = conv.out_size(c.H), Wo = conv.out_size(c.W);
  ASSERT_GT(Ho, 0);
  Vec x = random_vector(N * c.cin * c.H * c.W, rng), dx, y(N * c.cout * Ho * Wo);
  gradcheck(
      "convtranspose2d", {{"x", &x, &dx}}, &reg,
      [&] {
        conv.forward(y.data(), x.data(), N, c.H, c.W);
        return y;
      },
      [&](const Vec& dy) { conv.backward(dx.data(), x.data(), dy.data(), N, c.H, c.W); });
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvGrad,
                         ::testing::Values(ConvCase{2, 3, 3, 1, 1, 5, 4}, ConvCase{3, 2, 3, 2, 1, 6, 5},
                                           ConvCase{3, 4, 1, 1, 0, 3, 3}, ConvCase{2, 2, 2, 2, 0, 4, 4},
                                           ConvCase{2, 3, 5, 2, 2, 7, 6}, ConvCase{2, 2, 4, 2, 1, 4, 5}));

// Naive reference kernels (kept in the tests, as STYLE.md suggests) check the im2col+GEMM path in float.
TEST(Layers, ConvMatchesNaiveLoops) {
  for (const ConvCase c : {ConvCase{3, 5, 3, 1, 1, 9, 8}, ConvCase{4, 6, 3, 2, 1, 9, 9}, ConvCase{4, 3, 1, 1, 0, 5, 5},
                           ConvCase{2, 3, 5, 3, 2, 11, 7}}) {
    ParamRegistry reg;
    Conv2d<float> conv(reg, "c", c.cin, c.cout, c.k, c.s, c.p);
    ConvTranspose2d<float> convt(reg, "t", c.cin, c.cout, c.k, c.s, c.p);
    Rng init(4);
    reg.finalize(init);
    Rng rng(16);
    const int N = 3;
    std::vector<float> x(N * c.cin * c.H * c.W);
    for (auto& v : x) v = static_cast<float>(rng.normal());
    const int Ho = conv.out_size(c.H), Wo = conv.out_size(c.W);
    std::vector<float> y(N * c.cout * Ho * Wo);
    conv.forward(y.data(), x.data(), N, c.H, c.W);
    const float* w = reg.param(conv.w);
    const float* b = reg.param(conv.b);
    double maxerr = 0;
    for (int n = 0; n < N; ++n)
      for (int o = 0; o < c.cout; ++o)
        for (int oh = 0; oh < Ho; ++oh)
          for (int ow = 0; ow < Wo; ++ow) {
            double acc = b[o];
            for (int i = 0; i < c.cin; ++i)
              for (int ki = 0; ki < c.k; ++ki)
                for (int kj = 0; kj < c.k; ++kj) {
                  const int ih = oh * c.s - c.p + ki, iw = ow * c.s - c.p + kj;
                  if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                  acc += double(w[((o * c.cin + i) * c.k + ki) * c.k + kj]) * x[((n * c.cin + i) * c.H + ih) * c.W + iw];
                }
            maxerr = std::max(maxerr, std::abs(acc - y[((n * c.cout + o) * Ho + oh) * Wo + ow]));
          }
    EXPECT_LT(maxerr, 1e-4) << "conv2d k" << c.k << " s" << c.s << " p" << c.p;

    // transpose conv: scatter definition y[o, ih*s-p+ki, iw*s-p+kj] += w[i,o,ki,kj] x[i,ih,iw]
    const int Hto = convt.out_size(c.H), Wto = convt.out_size(c.W);
    std::vector<float> yt(N * c.cout * Hto * Wto);
    convt.forward(yt.data(), x.data(), N, c.H, c.W);
    const float* wt = reg.param(convt.w);
    const float* bt = reg.param(convt.b);
    std::vector<double> ref(yt.size());
    for (int n = 0; n < N; ++n)
      for (int o = 0; o < c.cout; ++o)
        for (int j = 0; j < Hto * Wto; ++j) ref[(n * c.cout + o) * Hto * Wto + j] = bt[o];
    for (int n = 0; n < N; ++n)
      for (int i = 0; i < c.cin; ++i)
        for (int ih = 0; ih < c.H; ++ih)
          for (int iw = 0; iw < c.W; ++iw)
            for (int o = 0; o < c.cout; ++o)
              for (int ki = 0; ki < c.k; ++ki)
                for (int kj = 0; kj < c.k; ++kj) {
                  const int oh = ih * c.s - c.p + ki, ow = iw * c.s - c.p + kj;
                  if (oh < 0 || oh >= Hto || ow < 0 || ow >= Wto) continue;
                  ref[((n * c.cout + o) * Hto + oh) * Wto + ow] +=
                      double(wt[((i * c.cout + o) * c.k + ki) * c.k + kj]) * x[((n * c.cin + i) * c.H + ih) * c.W + iw];
                }
    double maxerr_t = 0;
    for (size_t i = 0; i < ref.size(); ++i) maxerr_t = std::max(maxerr_t, std::abs(ref[i] - yt[i]));
    EXPECT_LT(maxerr_t, 1e-4) << "convT k" << c.k << " s" << c.s << " p" << c.p;
  }
}

TEST(Layers, GroupNormGrad) {
  for (int groups : {1, 2, 4}) {
    ParamRegistryT<double> reg;
    GroupNorm<double> gn(reg, "gn", groups, 4);
    Rng init(5);
    reg.finalize(init);
    // non-trivial affine so that dgamma/dbeta and dx through gamma are exercised
    Rng rng(17);
    for (auto& v : reg.params()) v = 1.0 + 0.5 * rng.normal();
    const int N = 5, HW = 6;  // two leaves of the batch's gradient tree
    Vec x = random_vector(N * 4 * HW, rng, 1.5), dx, y(x.size());
    for (auto& v : x) v += 0.7;  // non-zero mean
    gradcheck(
        "groupnorm g" + std::to_string(groups), {{"x", &x, &dx}}, &reg,
        [&] {
          gn.forward(y.data(), x.data(), N, HW);
          return y;
        },
        [&](const Vec& dy) { gn.backward(dx.data(), x.data(), dy.data(), N, HW); }, {.eps = 1e-6, .tol = 1e-6});
  }
}

TEST(Layers, GroupNormNormalizes) {
  ParamRegistry reg;
  GroupNorm<float> gn(reg, "gn", 2, 4);
  Rng init(5);
  reg.finalize(init);
  Rng rng(18);
  std::vector<float> x(2 * 4 * 9), y(x.size());
  for (auto& v : x) v = static_cast<float>(3 + 2 * rng.normal());
  gn.forward(y.data(), x.data(), 2, 9);
  for (int g = 0; g < 4; ++g) {
    double s = 0, ss = 0;
    for (int i = 0; i < 18; ++i) s += y[g * 18 + i];
    for (int i = 0; i < 18; ++i) ss += (y[g * 18 + i] - s / 18) * (y[g * 18 + i] - s / 18);
    EXPECT_NEAR(s / 18, 0.0, 1e-5);
    EXPECT_NEAR(ss / 18, 1.0, 1e-3);
  }
  EXPECT_THROW(GroupNorm<float>(reg, "bad", 3, 4), InvalidArgument);
}

// The float GroupNorm against the double one on the same data, at a real layer's size (8 groups of
// 4 channels at 28x28: statistics over 3136 values) with a large mean (x = 3 + 2 z). The forward
// takes its statistics in double, the backward accumulates in float; both must be float-accurate.
// Measured: y 1.0e-7, dx 9.0e-8, dgamma 6.5e-7, dbeta 7.2e-7 (sums over N*HW = 4704 values, error
// ~ eps sqrt(n)): float accumulation costs no accuracy that matters, so it stays.
TEST(Layers, FloatGroupNormMatchesDouble) {
  const int N = 6, C = 32, G = 8, HW = 28 * 28;
  ParamRegistryT<double> rd;
  ParamRegistryT<float> rf;
  GroupNorm<double> gd(rd, "gn", G, C);
  GroupNorm<float> gf(rf, "gn", G, C);
  Rng init(5);
  rd.finalize(init);
  rf.finalize(init);
  Rng rng(21);
  for (size_t i = 0; i < rd.size(); ++i) rf.params()[i] = static_cast<float>(rd.params()[i] = 1.0 + 0.5 * rng.normal());
  std::vector<float> xf(size_t(N) * C * HW), dyf(xf.size()), yf(xf.size()), dxf(xf.size());
  for (auto& v : xf) v = static_cast<float>(3 + 2 * rng.normal());
  for (auto& v : dyf) v = static_cast<float>(rng.normal());
  const Vec xd(xf.begin(), xf.end()), dyd(dyf.begin(), dyf.end());
  Vec yd(xd.size()), dxd(xd.size());
  gd.forward(yd.data(), xd.data(), N, HW);
  gf.forward(yf.data(), xf.data(), N, HW);
  rd.zero_grad();
  rf.zero_grad();
  gd.backward(dxd.data(), xd.data(), dyd.data(), N, HW);
  gf.backward(dxf.data(), xf.data(), dyf.data(), N, HW);
  auto rel = [](const auto& a, const auto& b) {  // max |a - b| / max |a|
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      num = std::max(num, std::abs(double(a[i]) - double(b[i])));
      den = std::max(den, std::abs(double(a[i])));
    }
    return num / den;
  };
  const auto gd_gamma = rd.grad_view("gn.weight"), gd_beta = rd.grad_view("gn.bias");
  const auto gf_gamma = rf.grad_view("gn.weight"), gf_beta = rf.grad_view("gn.bias");
  EXPECT_LT(rel(yd, yf), 1e-6);
  EXPECT_LT(rel(dxd, dxf), 1e-6);
  EXPECT_LT(rel(gd_gamma, gf_gamma), 4e-6);
  EXPECT_LT(rel(gd_beta, gf_beta), 4e-6);
}

struct BlockCase {
  BlockKind kind;
  int in, out;
};
class ResBlockGrad : public ::testing::TestWithParam<BlockCase> {};

TEST_P(ResBlockGrad, AllGradients) {
  const auto c = GetParam();
  ParamRegistryT<double> reg;
  const int tdim = 8, N = 2, H = 4, W = 3;
  ResBlock<double> rb(reg, "rb", c.kind, c.in, c.out, tdim, 2);
  Rng init(6);
  reg.finalize(init);
  EXPECT_EQ(rb.has_skip, c.in != c.out);
  Rng rng(19);
  Vec x = random_vector(N * c.in * H * W, rng), temb = random_vector(N * tdim, rng), dx, y(N * c.out * H * W);
  gradcheck(
      "resblock", {{"x", &x, &dx}}, &reg,
      [&] {
        rb.forward(y.data(), x.data(), temb.data(), N, H, W);
        return y;
      },
      [&](const Vec& dy) { rb.backward(dx.data(), x.data(), temb.data(), dy.data(), N, H, W); }, {.tol = 1e-5});
}

INSTANTIATE_TEST_SUITE_P(Kinds, ResBlockGrad,
                         ::testing::Values(BlockCase{BlockKind::Paper, 2, 4}, BlockCase{BlockKind::Paper, 4, 4},
                                           BlockCase{BlockKind::Large, 2, 4}, BlockCase{BlockKind::Large, 4, 4}));

// The harness itself must be able to fail: a backward with a wrong factor is caught.
static void wrong_silu_gradcheck() {
  Rng rng(20);
  Vec x = random_vector(10, rng), dx, y(10);
  gradcheck(
      "wrong silu", {{"x", &x, &dx}}, nullptr,
      [&] {
        silu_forward(y.data(), x.data(), x.size());
        return y;
      },
      [&](const Vec& dy) {
        silu_backward(dx.data(), x.data(), dy.data(), x.size());
        dx[3] *= 1.01;  // a 1% error in one coordinate
      });
}
TEST(Layers, HarnessDetectsWrongGradient) {
  EXPECT_NONFATAL_FAILURE(wrong_silu_gradcheck(), "relative error");
}

// The float path runs different code from the double one gradchecked above: the AVX-512 GEMM
// kernel for forward, input and weight gradients, row dot products for thin weights, and for
// stride 1 the shifted-view convolution without im2col (conv_shifted.hpp). Its forward and
// backward must match the double ones of the same layer on the same data, with several images
// (N = 5), thick (>= 16) and thin weight matrices, every padding case of the stride-1 path, and
// images H x W that are not square (W = H when not given).
template <template <class> class Layer>
void check_float_backward_matches_double(int cin, int cout, int k, int s, int p, int H, int W = 0) {
  if (W == 0) W = H;
  ParamRegistryT<double> rd;
  ParamRegistryT<float> rf;
  Layer<double> ld(rd, "l", cin, cout, k, s, p);
  Layer<float> lf(rf, "l", cin, cout, k, s, p);
  Rng init(5);
  rd.finalize(init);
  rf.finalize(init);
  for (size_t i = 0; i < rd.size(); ++i) rf.params()[i] = static_cast<float>(rd.params()[i]);
  const int N = 5, Ho = ld.out_size(H), Wo = ld.out_size(W);
  Rng rng(17);
  const Vec xd = random_vector(size_t(N) * cin * H * W, rng), dyd = random_vector(size_t(N) * cout * Ho * Wo, rng);
  const std::vector<float> xf(xd.begin(), xd.end()), dyf(dyd.begin(), dyd.end());
  Vec yd(dyd.size()), dxd(xd.size());
  std::vector<float> yf(dyf.size()), dxf(xf.size());
  ld.forward(yd.data(), xd.data(), N, H, W);
  lf.forward(yf.data(), xf.data(), N, H, W);
  rd.zero_grad();
  rf.zero_grad();
  ld.backward(dxd.data(), xd.data(), dyd.data(), N, H, W);
  lf.backward(dxf.data(), xf.data(), dyf.data(), N, H, W);
  auto rel = [](const auto& a, const auto& b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; ++i) {
      num = std::max(num, std::abs(double(a[i]) - double(b[i])));
      den = std::max(den, std::abs(double(a[i])));
    }
    return num / std::max(den, 1e-30);
  };
  const std::string what = "cin " + std::to_string(cin) + " cout " + std::to_string(cout) + " k" + std::to_string(k) +
                           " s" + std::to_string(s) + " p" + std::to_string(p) + " " + std::to_string(H) + "x" +
                           std::to_string(W);
  EXPECT_LT(rel(yd, yf, yd.size()), 1e-5) << what;
  EXPECT_LT(rel(dxd, dxf, dxd.size()), 1e-5) << what;
  EXPECT_LT(rel(rd.grads(), rf.grads(), rd.size()), 1e-5) << what;
  EXPECT_GT(rel(rd.grads(), Vec(rd.size(), 0.0), rd.size()), 0.5) << "gradients are all zero: " << what;
}

TEST(Layers, FloatConvBackwardMatchesDouble) {
  check_float_backward_matches_double<Conv2d>(3, 20, 3, 1, 1, 9);   // stride 1, thick weight
  check_float_backward_matches_double<Conv2d>(20, 3, 3, 1, 1, 9);   // stride 1, thin weight
  check_float_backward_matches_double<Conv2d>(4, 18, 3, 1, 0, 7);   // stride 1, no padding
  check_float_backward_matches_double<Conv2d>(5, 7, 5, 1, 2, 8);    // stride 1, k 5
  check_float_backward_matches_double<Conv2d>(3, 16, 2, 1, 3, 6);   // padding > k-1: im2col path
  check_float_backward_matches_double<Conv2d>(20, 3, 3, 2, 1, 9);   // stride 2, thin weight
  check_float_backward_matches_double<Conv2d>(9, 20, 3, 2, 1, 9);   // stride 2, thick weight
  check_float_backward_matches_double<Conv2d>(17, 33, 1, 1, 0, 6);  // N tails of the kernel
  check_float_backward_matches_double<Conv2d>(6, 20, 3, 2, 1, 9, 6);   // stride 2, H != W, odd H
  check_float_backward_matches_double<Conv2d>(4, 18, 3, 2, 0, 8, 11);  // stride 2, no padding, odd W
  check_float_backward_matches_double<Conv2d>(5, 16, 3, 1, 1, 5, 12);  // stride 1, wide
  check_float_backward_matches_double<Conv2d>(3, 17, 4, 2, 1, 8, 10);  // stride 2, even kernel
  check_float_backward_matches_double<Conv2d>(4, 16, 3, 3, 0, 7, 10);  // stride 3, no padding
  check_float_backward_matches_double<Conv2d>(3, 16, 3, 2, 1, 5, 1);   // stride 2, one column
  check_float_backward_matches_double<Conv2d>(4, 48, 3, 1, 1, 9, 11);  // 16 x 16 transposes of dy and their tails
  check_float_backward_matches_double<ConvTranspose2d>(20, 5, 2, 2, 0, 5);
  check_float_backward_matches_double<ConvTranspose2d>(5, 18, 3, 2, 1, 5);
  check_float_backward_matches_double<ConvTranspose2d>(16, 6, 4, 2, 1, 4, 7);  // H != W
}

// Float 3x3 convolutions of stride 1 and padding 1 run Winograd's F(4x4, 3x3), or F(2x2, 3x3)
// with QDIFF_NN_WINOGRAD=2, on AVX-512 (conv_winograd.hpp): forward, and the input gradient as the
// same convolution of dy with the flipped kernel. Against double, for both tile sizes and with
// QDIFF_NN_CONV=direct (the shifted-view path) too: sizes that are and are not multiples of the
// tile (a last, part-used row or column of tiles: H, W mod 4 = 0, 1, 2, 3), 1 x 1 and 1 x W images,
// tiles of one chunk that span several images (N = 5), 16-tile lanes and their tails (W > 32, W >
// 64, and W = 64 / 65 where the last lane's right neighbour is padding / a pixel), channel counts
// off the GEMM's 8-row tiles, thin and thick weights.
TEST(Layers, WinogradConvMatchesDoubleAndTheShiftedPath) {
  for (const char* conv : {"4", "2", "direct"}) {
    const bool direct = std::string(conv) == "direct";
    qdiff::test::ScopedEnv env("QDIFF_NN_CONV", direct ? conv : "");
    qdiff::test::ScopedEnv tile("QDIFF_NN_WINOGRAD", direct ? "" : conv);
    EXPECT_EQ(winograd::applies(3, 1, 1, MatmulPrecision::Float32), !direct && gemm::has_kernel()) << conv;
    EXPECT_EQ(winograd::tile_size(), direct ? 4 : std::stoi(conv));
    EXPECT_FALSE(winograd::applies(3, 1, 1, MatmulPrecision::BF16));
    EXPECT_FALSE(winograd::applies(3, 2, 1, MatmulPrecision::Float32));
    EXPECT_FALSE(winograd::applies(3, 1, 0, MatmulPrecision::Float32));
    check_float_backward_matches_double<Conv2d>(3, 20, 3, 1, 1, 1);       // one pixel
    check_float_backward_matches_double<Conv2d>(5, 16, 3, 1, 1, 2);       // one 2x2 tile
    check_float_backward_matches_double<Conv2d>(5, 16, 3, 1, 1, 4);       // one 4x4 tile
    check_float_backward_matches_double<Conv2d>(4, 18, 3, 1, 1, 1, 7);    // one row, odd W
    check_float_backward_matches_double<Conv2d>(17, 33, 3, 1, 1, 28);     // the U-Net's top level
    check_float_backward_matches_double<Conv2d>(32, 24, 3, 1, 1, 7);      // its bottom level (odd)
    check_float_backward_matches_double<Conv2d>(24, 40, 3, 1, 1, 14);     // its middle level (14 mod 4 = 2)
    check_float_backward_matches_double<Conv2d>(20, 3, 3, 1, 1, 7, 10);   // thin weight
    check_float_backward_matches_double<Conv2d>(9, 21, 3, 1, 1, 13, 6);   // odd H
    check_float_backward_matches_double<Conv2d>(6, 17, 3, 1, 1, 3, 67);   // W > 64: two 16-tile lanes of either size
    check_float_backward_matches_double<Conv2d>(5, 8, 3, 1, 1, 5, 64);    // W = 64: padding right of the last lane
    check_float_backward_matches_double<Conv2d>(5, 8, 3, 1, 1, 6, 65);    // W = 65: one pixel right of it
    // an empty batch computes nothing and adds nothing to the gradients
    ParamRegistryT<float> reg;
    Conv2d<float> layer(reg, "c", 4, 8, 3, 1, 1);
    Rng init(3);
    reg.finalize(init);
    reg.zero_grad();
    float y = 7, dx = 7;
    const float x = 1, dy = 1;
    layer.forward(&y, &x, 0, 5, 5);
    layer.backward(&dx, &x, &dy, 0, 5, 5);
    EXPECT_EQ(y, 7.0f);
    EXPECT_EQ(dx, 7.0f);
    for (float g : reg.grads()) EXPECT_EQ(g, 0.0f);
  }
}
