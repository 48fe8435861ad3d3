// The convolution's fused output pass (Epilogue, conv.hpp) against the same work done unfused:
// the plain forward, then ReLU, the broadcast add of a per-channel value and the residual add as
// separate passes. The fused pass does the same float operations in the same order, so the
// results must be identical, on every path a Conv2d can take: the shifted-view path (stride 1
// and 2), the im2col path (padding > k-1; double), and bf16.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/nn/layers.hpp"
#include "qdiff/nn/precision.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::nn;

namespace {

// Which parts of the epilogue a case switches on.
struct Parts {
  bool relu, chan, res, res_is_y2;
};

template <class T>
std::vector<T> normals(size_t n, Rng& rng) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.normal());
  return v;
}

template <class T>
void expect_fused_equals_unfused(int cin, int cout, int k, int s, int p, int H, int W, MatmulPrecision prec) {
  ParamRegistryT<T> reg;
  Conv2d<T> conv(reg, "c", cin, cout, k, s, p);
  Rng init(6);
  reg.finalize(init);
  conv.precision = prec;
  const int N = 3, Ho = conv.out_size(H), Wo = conv.out_size(W);
  const size_t ny = size_t(N) * cout * Ho * Wo;
  Rng rng(21);
  const auto x = normals<T>(size_t(N) * cin * H * W, rng);
  const auto chan = normals<T>(size_t(N) * cout, rng), res = normals<T>(ny, rng);
  std::vector<T> plain(ny);
  conv.forward(plain.data(), x.data(), N, H, W);

  for (const Parts parts : {Parts{true, false, false, false}, Parts{false, true, false, false},
                            Parts{true, true, true, false}, Parts{false, false, true, false},
                            Parts{true, true, true, true}}) {
    const std::string what = "k" + std::to_string(k) + " s" + std::to_string(s) + " p" + std::to_string(p) +
                             (prec == MatmulPrecision::BF16 ? " bf16" : "") + " relu " + std::to_string(parts.relu) +
                             " chan " + std::to_string(parts.chan) + " res " + std::to_string(parts.res) +
                             (parts.res_is_y2 ? " (in place)" : "");
    // unfused: y = relu(plain); y2 = y + chan[n, o] + res
    std::vector<T> y_ref(plain), y2_ref(ny);
    if (parts.relu)
      for (auto& v : y_ref) v = std::max(v, T(0));
    for (size_t i = 0; i < ny; ++i) {
      const size_t no = i / (size_t(Ho) * Wo);  // n * cout + o
      T v = y_ref[i];
      if (parts.chan) v = v + chan[no];
      if (parts.res) v = v + res[i];
      y2_ref[i] = v;
    }
    // fused
    std::vector<T> y(ny, T(-7)), y2(parts.res_is_y2 ? res : std::vector<T>(ny, T(-7)));
    Epilogue<T> ep;
    ep.relu = parts.relu;
    ep.y2 = y2.data();
    ep.chan = parts.chan ? chan.data() : nullptr;
    ep.res = parts.res ? (parts.res_is_y2 ? y2.data() : res.data()) : nullptr;
    conv.forward(y.data(), x.data(), N, H, W, ep);
    EXPECT_EQ(0, std::memcmp(y.data(), y_ref.data(), ny * sizeof(T))) << what << ": y";
    EXPECT_EQ(0, std::memcmp(y2.data(), y2_ref.data(), ny * sizeof(T))) << what << ": y2";
    // and without y2 the epilogue leaves only y
    if (!parts.chan && !parts.res) {
      std::vector<T> y_only(ny);
      Epilogue<T> relu_only;
      relu_only.relu = parts.relu;
      conv.forward(y_only.data(), x.data(), N, H, W, relu_only);
      EXPECT_EQ(0, std::memcmp(y_only.data(), y_ref.data(), ny * sizeof(T))) << what << ": y alone";
    }
  }
}

}  // namespace

TEST(Epilogue, FusedEqualsUnfusedOnTheWinogradPath) {
  for (const char* tile : {"4", "2"}) {  // F(4x4, 3x3), F(2x2, 3x3)
    qdiff::test::ScopedEnv env("QDIFF_NN_WINOGRAD", tile);
    expect_fused_equals_unfused<float>(5, 18, 3, 1, 1, 7, 9, MatmulPrecision::Float32);  // 3x3, stride 1, padding 1
    expect_fused_equals_unfused<float>(3, 9, 3, 1, 1, 6, 35, MatmulPrecision::Float32);
    expect_fused_equals_unfused<float>(3, 9, 3, 1, 1, 5, 70, MatmulPrecision::Float32);  // two 16-tile lanes
  }
}

TEST(Epilogue, FusedEqualsUnfusedOnTheShiftedViewPath) {
  {
    qdiff::test::ScopedEnv env("QDIFF_NN_CONV", "direct");  // 3x3, stride 1, padding 1 off the Winograd path
    expect_fused_equals_unfused<float>(5, 18, 3, 1, 1, 7, 9, MatmulPrecision::Float32);
  }
  expect_fused_equals_unfused<float>(4, 18, 3, 1, 0, 7, 9, MatmulPrecision::Float32);  // stride 1, padding 0
  expect_fused_equals_unfused<float>(6, 4, 3, 2, 1, 9, 8, MatmulPrecision::Float32);   // stride 2, thin
  expect_fused_equals_unfused<float>(7, 5, 1, 1, 0, 6, 6, MatmulPrecision::Float32);   // 1x1
}

TEST(Epilogue, FusedEqualsUnfusedOnTheIm2colPath) {
  expect_fused_equals_unfused<float>(3, 16, 2, 1, 3, 6, 5, MatmulPrecision::Float32);  // padding > k-1
  expect_fused_equals_unfused<double>(5, 18, 3, 1, 1, 7, 9, MatmulPrecision::Float32);
  expect_fused_equals_unfused<double>(6, 4, 3, 2, 1, 9, 8, MatmulPrecision::Float32);
}

TEST(Epilogue, FusedEqualsUnfusedInBf16) {
  if (!bf16_supported()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  expect_fused_equals_unfused<float>(5, 18, 3, 1, 1, 7, 9, MatmulPrecision::BF16);
  expect_fused_equals_unfused<float>(6, 4, 3, 2, 1, 9, 8, MatmulPrecision::BF16);
}
