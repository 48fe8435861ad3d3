// Reproducibility of the nn core: two model instances agree bit for bit, and no result depends on
// the OpenMP thread count (every reduction over a batch or a buffer runs in a fixed tree,
// core/reduce.hpp).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "qdiff/nn/optim.hpp"
#include "qdiff/nn/unet.hpp"

using namespace qdiff;
using namespace qdiff::nn;

namespace {

// Runs f with n OpenMP threads, then restores the previous setting.
template <class F>
void with_threads(int n, F&& f) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(n);
  f();
  omp_set_num_threads(before);
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Forward (training) and backward of one batch; returns eps and leaves the gradients in the net.
std::vector<float> forward_backward(UNet& net, int B, uint64_t seed) {
  const auto& s = net.spec();
  const size_t n = static_cast<size_t>(B) * s.in_channels * s.image_size * s.image_size;
  Rng rng(seed);
  std::vector<float> x(n), target(n), eps(n), d(n);
  for (auto& v : x) v = static_cast<float>(rng.normal());
  for (auto& v : target) v = static_cast<float>(rng.normal());
  std::vector<int> t(B);
  for (auto& v : t) v = static_cast<int>(rng.below(1000));
  net.zero_grad();
  net.forward(x.data(), t.data(), B, eps.data(), true);
  for (size_t i = 0; i < n; ++i) d[i] = 2.0f * (eps[i] - target[i]) / static_cast<float>(n);
  net.backward(d.data());
  return eps;
}

// The same batch through the same model with 1 and with 2 threads: outputs and every parameter
// gradient bit-identical.
void expect_thread_count_independent(const UNetSpec& spec, int B) {
  UNet net(spec, std::make_unique<ClassicalBranch>(4), 1);
  std::vector<float> eps1, eps2, g1;
  with_threads(1, [&] {
    eps1 = forward_backward(net, B, 7);
    g1.assign(net.grads().begin(), net.grads().end());
  });
  with_threads(2, [&] { eps2 = forward_backward(net, B, 7); });
  EXPECT_TRUE(same_bits(eps1, eps2)) << mode_name(spec.arch) << " B " << B << ": forward differs";
  for (const auto& p : net.registry().infos())
    EXPECT_TRUE(same_bits(std::span<const float>(g1.data() + p.offset, p.size), net.registry().grad_view(p.name)))
        << mode_name(spec.arch) << " B " << B << ": gradient of " << p.name << " differs between 1 and 2 threads";
  double norm = 0;
  for (float v : g1) norm += double(v) * v;
  EXPECT_GT(norm, 0.0) << "gradients are all zero";
}

}  // namespace

// Two instances with the same parameters give bit-identical outputs and gradients, whatever the
// heap addresses of their buffers (aligned storage, fixed summation orders). Exact resume needs it.
TEST(Determinism, InstancesAreBitIdentical) {
  UNetSpec s; s.in_channels = 1; s.image_size = 8; s.channels = {4, 8}; s.temb_dim = 16;
  UNet a(s, std::make_unique<ClassicalBranch>(3), 1);
  std::vector<float> pad(7);
  UNet b(s, std::make_unique<ClassicalBranch>(3), 1);
  Rng rng(3);
  std::vector<float> x(4*64), y(4*64), y2(4*64);
  for (auto& v : x) v = rng.normal();
  std::vector<int> t = {1, 50, 300, 999};
  for (int rep = 0; rep < 2; ++rep) {
    UNet& n = rep ? b : a;
    n.zero_grad();
    n.forward(x.data(), t.data(), 4, rep ? y2.data() : y.data());
    n.backward(x.data());
  }
  EXPECT_EQ(0, std::memcmp(y.data(), y2.data(), y.size() * 4)) << "fwd";
  for (const auto& p : a.registry().infos()) {
    auto ga = a.registry().grad_view(p.name), gb = b.registry().grad_view(p.name);
    EXPECT_EQ(0, std::memcmp(ga.data(), gb.data(), ga.size() * 4)) << p.name;
  }
}

// The paper U-Net at its real size (stride-1, strided and transposed convolutions, thick and thin
// weights, Linear time projections, the classical branch): batches of 8 (two leaves of the
// gradient tree) and 13 (leaves of 3, 3, 3 and 4 images).
TEST(Determinism, PaperUNetGradientsDoNotDependOnThreads) {
  for (int B : {8, 13}) expect_thread_count_independent(paper_spec(1), B);
}

// The large arch adds GroupNorm (and SiLU); 3 levels at 16x16 keep it fast.
TEST(Determinism, LargeUNetGradientsDoNotDependOnThreads) {
  UNetSpec s = paper_spec(1);
  s.arch = Arch::Large;
  s.image_size = 16;
  s.channels = {16, 32, 64};
  s.groups = 4;
  for (int B : {6, 11}) expect_thread_count_independent(s, B);
}

// The global gradient norm and the clipped gradient do not depend on the thread count, and the
// norm is the exact one to double rounding.
TEST(Determinism, ClipGradNormDoesNotDependOnThreads) {
  Rng rng(5);
  std::vector<float> g(1000003);
  for (auto& v : g) v = static_cast<float>(rng.normal() * std::exp(3 * rng.normal()));
  long double exact = 0;
  for (float v : g) exact += static_cast<long double>(v) * v;
  std::vector<float> g1 = g, g2 = g;
  double n1 = 0, n2 = 0;
  with_threads(1, [&] { n1 = clip_grad_norm(g1, 1.0); });
  with_threads(2, [&] { n2 = clip_grad_norm(g2, 1.0); });
  EXPECT_EQ(std::memcmp(&n1, &n2, sizeof n1), 0) << n1 << " vs " << n2;
  EXPECT_TRUE(same_bits(g1, g2));
  EXPECT_NEAR(n1, std::sqrt(static_cast<double>(exact)), 1e-12 * n1);
}
