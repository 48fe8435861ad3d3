#include <gtest/gtest.h>
#include <cstring>
#include "qdiff/nn/unet.hpp"
using namespace qdiff; using namespace qdiff::nn;
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
