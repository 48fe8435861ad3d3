// bf16 mixed precision (precision.hpp): each layer's bf16 forward and backward against float32,
// a whole U-Net step, thread-count independence, and the option's errors. The layer and
// thread-count tests run on each bf16 GEMM kernel the CPU has: AMX tiles and AVX512_BF16 (forced by
// QDIFF_DISABLE_AMX).
//
// A bf16 GEMM rounds its two operands to bfloat16 and sums in float32. So a layer in bf16 must
// match the same layer in float32 run on bfloat16-rounded operands (rounded here, by this file's
// own rounding) up to float summation order, and differ from float32 on the exact operands by
// about bfloat16's resolution: the second check fails if the bf16 path silently ran in float32.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <functional>

#include "gemm_bf16.hpp"
#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/nn/layers.hpp"
#include "qdiff/nn/precision.hpp"
#include "qdiff/nn/unet.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::nn;
using qdiff::test::ScopedEnv;

namespace {

using Vec = std::vector<float>;

// The bfloat16 nearest to f (ties to even), as a float.
float round_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
Vec rounded(Vec v) {
  for (auto& x : v) x = round_bf16(x);
  return v;
}
Vec normals(size_t n, Rng& rng) {
  Vec v(n);
  for (auto& x : v) x = static_cast<float>(rng.normal());
  return v;
}
double max_abs(const Vec& a) {
  double m = 0;
  for (float x : a) m = std::max(m, std::abs(double(x)));
  return m;
}
double max_diff(const Vec& a, const Vec& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

// One layer's outputs: y, dx, weight gradient, bias gradient.
struct Outputs {
  Vec y, dx, dw, db;
};

// A layer under test, type-erased: run(precision, x, weight, dy) -> outputs, with the layer's
// bias fixed.
using Runner = std::function<Outputs(MatmulPrecision, const Vec& x, const Vec& w, const Vec& dy)>;

void expect_bf16_semantics(const std::string& what, const Runner& run, size_t nx, size_t nw, size_t ny) {
  Rng rng(11);
  const Vec x = normals(nx, rng), w = normals(nw, rng), dy = normals(ny, rng);
  const Outputs got = run(MatmulPrecision::BF16, x, w, dy);
  const Outputs exact = run(MatmulPrecision::Float32, x, w, dy);
  const Outputs ref = run(MatmulPrecision::Float32, rounded(x), rounded(w), rounded(dy));  // bf16 operands
  auto check = [&](const char* name, const Vec& g, const Vec& r, const Vec& e) {
    const double scale = max_abs(e), dr = max_diff(g, r), de = max_diff(g, e);
    ASSERT_GT(scale, 0.0) << what << " " << name;
    EXPECT_LT(dr, 2e-5 * scale) << what << " " << name << ": not float32 arithmetic on bfloat16 operands";
    EXPECT_LT(de, 2e-2 * scale) << what << " " << name << ": beyond bfloat16's tolerance";
    EXPECT_GT(de, 10 * dr) << what << " " << name << ": no bfloat16 rounding visible (ran in float32?)";
  };
  check("forward", got.y, ref.y, exact.y);
  check("input gradient", got.dx, ref.dx, exact.dx);
  check("weight gradient", got.dw, ref.dw, exact.dw);
  // bias gradients are float32 sums of dy in both precisions
  EXPECT_LE(max_diff(got.db, exact.db), 1e-6 * max_abs(exact.db)) << what << " bias gradient";
}

// Conv2d or ConvTranspose2d (same constructor and calls).
template <template <class> class Layer>
Runner conv_runner(int cin, int cout, int k, int s, int p, int H, int N) {
  return [=](MatmulPrecision prec, const Vec& x, const Vec& w, const Vec& dy) {
    ParamRegistry reg;
    Layer<float> l(reg, "l", cin, cout, k, s, p);
    Rng init(3);
    reg.finalize(init);
    std::copy(w.begin(), w.end(), reg.param(l.w));
    l.precision = prec;
    const int Ho = l.out_size(H);
    Outputs o{Vec(size_t(N) * cout * Ho * Ho), Vec(x.size()), {}, {}};
    l.forward(o.y.data(), x.data(), N, H, H);
    reg.zero_grad();
    l.backward(o.dx.data(), x.data(), dy.data(), N, H, H);
    o.dw.assign(reg.grad(l.w), reg.grad(l.w) + w.size());
    o.db.assign(reg.grad(l.b), reg.grad(l.b) + cout);
    return o;
  };
}

bool have_bf16() { return bf16_supported(); }

// Runs body(kernel name) on AMX (when this CPU and OS have it) and on AVX512_BF16.
void for_each_kernel(const std::function<void(const std::string&)>& body) {
  if (bf16::amx_active()) body("AMX: ");
  const ScopedEnv off("QDIFF_DISABLE_AMX", "1");
  body("AVX512_BF16: ");
}

}  // namespace

TEST(Bf16, Conv2dMatchesFloat32OnRoundedOperands) {
  if (!have_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16 (the option is an error here; see PrecisionOption)";
  struct Case {
    int cin, cout, k, s, p, H;
    const char* what;
  };
  for (const Case c : {Case{3, 20, 3, 1, 1, 9, "stride 1, odd channels"}, Case{20, 3, 3, 1, 1, 9, "thin weight"},
                       Case{9, 20, 3, 2, 1, 9, "stride 2"}, Case{17, 33, 1, 1, 0, 6, "1x1, N tails"},
                       Case{1, 16, 3, 1, 1, 8, "one input channel"}, Case{3, 16, 2, 1, 3, 6, "im2col path"}}) {
    const int N = 5, Ho = (c.H + 2 * c.p - c.k) / c.s + 1;
    for_each_kernel([&](const std::string& kernel) {
      expect_bf16_semantics(kernel + c.what, conv_runner<Conv2d>(c.cin, c.cout, c.k, c.s, c.p, c.H, N),
                            size_t(N) * c.cin * c.H * c.H, size_t(c.cout) * c.cin * c.k * c.k,
                            size_t(N) * c.cout * Ho * Ho);
    });
  }
}

TEST(Bf16, ConvTranspose2dMatchesFloat32OnRoundedOperands) {
  if (!have_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  for (const auto& [cin, cout, k, s, p] : {std::array{20, 5, 2, 2, 0}, std::array{5, 18, 3, 2, 1}}) {
    const int N = 5, H = 5, Ho = (H - 1) * s - 2 * p + k;
    for_each_kernel([&](const std::string& kernel) {
      expect_bf16_semantics(kernel + "transposed " + std::to_string(cin) + "->" + std::to_string(cout),
                            conv_runner<ConvTranspose2d>(cin, cout, k, s, p, H, N), size_t(N) * cin * H * H,
                            size_t(cin) * cout * k * k, size_t(N) * cout * Ho * Ho);
    });
  }
}

TEST(Bf16, LinearMatchesFloat32OnRoundedOperands) {
  if (!have_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  const int in = 37, out = 19, N = 6;
  const Runner run = [&](MatmulPrecision prec, const Vec& x, const Vec& w, const Vec& dy) {
    ParamRegistry reg;
    Linear<float> l(reg, "l", in, out);
    Rng init(3);
    reg.finalize(init);
    std::copy(w.begin(), w.end(), reg.param(l.w));
    l.precision = prec;
    Outputs o{Vec(size_t(N) * out), Vec(x.size()), {}, {}};
    l.forward(o.y.data(), x.data(), N);
    reg.zero_grad();
    l.backward(o.dx.data(), x.data(), dy.data(), N);
    o.dw.assign(reg.grad(l.w), reg.grad(l.w) + w.size());
    o.db.assign(reg.grad(l.b), reg.grad(l.b) + out);
    return o;
  };
  for_each_kernel([&](const std::string& kernel) {
    expect_bf16_semantics(kernel + "linear", run, size_t(N) * in, size_t(out) * in, size_t(N) * out);
  });
}

namespace {
// eps and the parameter gradients of one forward + backward of the paper U-Net (classical
// bottleneck) in the given precision with `threads` OpenMP threads.
std::pair<Vec, Vec> unet_step(MatmulPrecision prec, int threads) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  UNet net(paper_spec(1), std::make_unique<ClassicalBranch>(4), 1);
  net.set_precision(prec);
  const int B = 4;
  Rng rng(5);
  const Vec x = normals(size_t(B) * 784, rng), target = normals(size_t(B) * 784, rng);
  std::vector<int> t(B);
  for (auto& v : t) v = static_cast<int>(rng.below(1000));
  Vec eps(x.size()), d(x.size());
  net.zero_grad();
  net.forward(x.data(), t.data(), B, eps.data(), true);
  for (size_t i = 0; i < d.size(); ++i) d[i] = 2.0f * (eps[i] - target[i]) / d.size();
  net.backward(d.data());
  omp_set_num_threads(before);
  return {eps, Vec(net.grads().begin(), net.grads().end())};
}
double rel_l2(const Vec& a, const Vec& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]), den += double(b[i]) * b[i];
  return std::sqrt(num / den);
}
}  // namespace

TEST(Bf16, UNetStepIsCloseToFloat32AndNotFloat32) {
  if (!have_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  const auto [eps_b, g_b] = unet_step(MatmulPrecision::BF16, 2);
  const auto [eps_f, g_f] = unet_step(MatmulPrecision::Float32, 2);
  const double de = rel_l2(eps_b, eps_f), dg = rel_l2(g_b, g_f);
  EXPECT_LT(de, 2e-2) << "bf16 output too far from float32";
  EXPECT_LT(dg, 5e-2) << "bf16 gradients too far from float32";
  EXPECT_GT(de, 1e-4) << "bf16 output equals float32's: the bf16 path did not run";
  EXPECT_GT(dg, 1e-4) << "bf16 gradients equal float32's: the bf16 path did not run";
}

TEST(Bf16, UNetStepDoesNotDependOnThreads) {
  if (!have_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  for_each_kernel([](const std::string& kernel) {
    const auto one = unet_step(MatmulPrecision::BF16, 1), two = unet_step(MatmulPrecision::BF16, 2);
    EXPECT_EQ(0, std::memcmp(one.first.data(), two.first.data(), one.first.size() * sizeof(float))) << kernel << "eps";
    EXPECT_EQ(0, std::memcmp(one.second.data(), two.second.data(), one.second.size() * sizeof(float)))
        << kernel << "gradients";
  });
}

// The detection path of a CPU without AVX512_BF16, forced by QDIFF_DISABLE_BF16 on any CPU:
// asking for bf16 is a ConfigError naming the key, and a U-Net refuses it.
TEST(Bf16, WithoutTheInstructionsBf16IsAnErrorNamingTheKey) {
  const ScopedEnv off("QDIFF_DISABLE_BF16", "1");
  EXPECT_FALSE(bf16_supported());
  EXPECT_NO_THROW(require_supported(MatmulPrecision::Float32, "train.precision"));
  try {
    require_supported(MatmulPrecision::BF16, "sample.precision");
    FAIL() << "bf16 accepted on a CPU without AVX512_BF16";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("sample.precision"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("AVX512_BF16"), std::string::npos) << e.what();
  }
  UNet net(paper_spec(1), nullptr, 1);
  EXPECT_THROW(net.set_precision(MatmulPrecision::BF16), InvalidArgument);
  EXPECT_EQ(net.precision(), MatmulPrecision::Float32);
}

TEST(Bf16, PrecisionOption) {
  EXPECT_EQ(resolve_options(Config()).train.precision, MatmulPrecision::Float32);  // the default
  EXPECT_EQ(resolve_options(Config()).sample.precision, MatmulPrecision::Float32);
  {
    const ScopedEnv zero("QDIFF_DISABLE_BF16", "0");  // 0 leaves the CPU's answer
    EXPECT_EQ(bf16_supported(), __builtin_cpu_supports("avx512bf16") != 0);
  }
  if (bf16_supported()) {
    EXPECT_NO_THROW(require_supported(MatmulPrecision::BF16, "train.precision"));
  }
  UNetT<double> net(paper_spec(1), nullptr, 1);
  EXPECT_THROW(net.set_precision(MatmulPrecision::BF16), InvalidArgument);
}

// What a run is told about its precision: nothing for float32 (or where bf16 cannot run); where
// bf16's products run, and whether bf16 is likely the slower choice: on vdpbf16ps (no AMX tiles,
// or QDIFF_DISABLE_AMX), never on AMX.
TEST(Bf16, PrecisionNoteNamesTheEngine) {
  EXPECT_TRUE(precision_note(MatmulPrecision::Float32).text.empty());
  {
    const ScopedEnv off("QDIFF_DISABLE_BF16", "1");
    EXPECT_TRUE(precision_note(MatmulPrecision::BF16).text.empty());
  }
  if (!bf16_supported()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  const PrecisionNote here = precision_note(MatmulPrecision::BF16);
  EXPECT_EQ(here.slower, !bf16::amx_active()) << here.text;
  EXPECT_NE(here.text.find(bf16::amx_active() ? "AMX tiles" : "vdpbf16ps"), std::string::npos) << here.text;
  const ScopedEnv no_amx("QDIFF_DISABLE_AMX", "1");
  const PrecisionNote vdp = precision_note(MatmulPrecision::BF16);
  EXPECT_TRUE(vdp.slower);
  EXPECT_NE(vdp.text.find("float32"), std::string::npos) << vdp.text;
}
