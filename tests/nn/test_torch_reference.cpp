// Comparison with PyTorch (scripts/torch_reference_unet.py -> tests/data/nn_torch_reference.bin):
// outputs, input gradients and every parameter gradient of a ResBlock and of the whole paper
// U-Net (classical bottleneck), in double (near-exact) and in float (the training precision).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "qdiff/core/files.hpp"
#include "qdiff/nn/unet.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::nn;

namespace {
struct RefEntry {
  std::vector<int64_t> shape;
  std::vector<float> data;  // generated entries are expanded on load
};

// The formula of the script: w_i = float32(m_i - 2^23) / 2^23 * bound, m_i = ((i*2654435761 + seed) mod 2^32) >> 8.
std::vector<float> generated(size_t n, uint32_t seed, float bound) {
  std::vector<float> w(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t h = (static_cast<uint64_t>(i) * 2654435761ull + seed) % (1ull << 32);
    const int64_t m = static_cast<int64_t>(h >> 8);
    w[i] = static_cast<float>(m - (1 << 23)) / 8388608.0f * bound;
  }
  return w;
}

std::map<std::string, RefEntry> load_reference(const std::string& path) {
  const auto b = read_file_bytes(path);
  size_t pos = 0;
  auto take = [&](void* dst, size_t n) {
    if (pos + n > b.size()) throw std::runtime_error("reference file truncated");
    std::memcpy(dst, b.data() + pos, n);
    pos += n;
  };
  char magic[8];
  take(magic, 8);
  if (std::memcmp(magic, "QDNNREF1", 8) != 0) throw std::runtime_error("bad reference magic");
  uint32_t count;
  take(&count, 4);
  std::map<std::string, RefEntry> out;
  for (uint32_t e = 0; e < count; ++e) {
    uint32_t len, kind, nd;
    take(&len, 4);
    std::string name(len, '\0');
    take(name.data(), len);
    take(&kind, 4);
    uint32_t seed = 0;
    float bound = 0;
    if (kind == 1) {
      take(&seed, 4);
      take(&bound, 4);
    }
    take(&nd, 4);
    RefEntry r;
    size_t n = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      int64_t dim;
      take(&dim, 8);
      r.shape.push_back(dim);
      n *= static_cast<size_t>(dim);
    }
    if (kind == 1) {
      r.data = generated(n, seed, bound);
    } else {
      r.data.resize(n);
      take(r.data.data(), n * 4);
    }
    out[name] = std::move(r);
  }
  return out;
}

const std::string kRefPath = test::repo_path("tests/data/nn_torch_reference.bin");

class TorchReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::filesystem::exists(kRefPath)) ref_ = new std::map<std::string, RefEntry>(load_reference(kRefPath));
  }
  static void TearDownTestSuite() {
    delete ref_;
    ref_ = nullptr;
  }
  void SetUp() override {
    if (!ref_) GTEST_SKIP() << "no PyTorch reference file " << kRefPath << " (run scripts/torch_reference_unet.py)";
  }
  const RefEntry& at(const std::string& name) {
    auto it = ref_->find(name);
    if (it == ref_->end()) throw std::runtime_error("reference lacks " + name);
    return it->second;
  }
  // Loads "<prefix>param.<name>" into every parameter; requires the name sets to be equal.
  template <class T>
  void load_params(ParamRegistryT<T>& reg, const std::string& prefix) {
    size_t in_file = 0;
    for (const auto& [name, e] : *ref_)
      if (name.rfind(prefix + "param.", 0) == 0) {
        ++in_file;
        ASSERT_TRUE(reg.contains(name.substr(prefix.size() + 6))) << "model lacks " << name;
      }
    ASSERT_EQ(in_file, reg.infos().size());
    for (const auto& p : reg.infos()) {
      const auto& e = at(prefix + "param." + p.name);
      ASSERT_EQ(e.shape, p.shape) << p.name;
      auto v = reg.view(p.name);
      for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(e.data[i]);
    }
  }
  // ||a - b|| / ||b|| <= tol, printing the first values that differ (llm.c style).
  template <class T>
  void compare(const std::string& what, std::span<const T> a, const RefEntry& b, double tol) {
    ASSERT_EQ(a.size(), b.data.size()) << what;
    double d2 = 0, n2 = 0;
    int shown = 0;
    std::string first;
    for (size_t i = 0; i < a.size(); ++i) {
      const double d = static_cast<double>(a[i]) - b.data[i];
      d2 += d * d;
      n2 += static_cast<double>(b.data[i]) * b.data[i];
      if (shown < 3 && std::abs(d) > 10 * tol * (std::abs(b.data[i]) + 1e-3)) {
        first += " [" + std::to_string(i) + "] " + std::to_string(a[i]) + " vs " + std::to_string(b.data[i]);
        ++shown;
      }
    }
    const double rel = std::sqrt(d2 / std::max(n2, 1e-300));
    EXPECT_LE(rel, tol) << what << ": relative error " << rel << ";" << first;
    worst_ = std::max(worst_, rel);
  }
  double worst_ = 0;
  static std::map<std::string, RefEntry>* ref_;
};
std::map<std::string, RefEntry>* TorchReference::ref_ = nullptr;

template <class T>
std::vector<T> as(const std::vector<float>& v) {
  return std::vector<T>(v.begin(), v.end());
}
template <class T>
std::vector<int> as_int(const std::vector<float>& v) {
  return std::vector<int>(v.begin(), v.end());
}
}  // namespace

class TorchReferenceTyped : public TorchReference {
 protected:
  template <class T>
  void check_resblock(double tol) {
    ParamRegistryT<T> reg;
    ResBlock<T> rb(reg, "", BlockKind::Paper, 32, 64, 128);
    Rng rng(1);
    reg.finalize(rng);
    // names in the file have no block prefix: "rb.param.conv1.weight"; the block was named "" -> ".conv1.weight"
    for (const auto& p : reg.infos()) {
      const auto& e = at("rb.param" + p.name);
      ASSERT_EQ(e.shape, p.shape) << p.name;
      auto v = reg.view(p.name);
      for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(e.data[i]);
    }
    const auto x = as<T>(at("rb.x").data);
    const auto t = as_int<T>(at("rb.t").data);
    std::vector<T> temb(2 * 128), y(2 * 64 * 49), dx(x.size());
    timestep_embedding(temb.data(), t.data(), 2, 128);
    rb.forward(y.data(), x.data(), temb.data(), 2, 7, 7);
    compare<T>("resblock y", y, at("rb.y"), tol);
    const auto dy = as<T>(at("rb.dy").data);
    reg.zero_grad();
    rb.backward(dx.data(), x.data(), temb.data(), dy.data(), 2, 7, 7);
    compare<T>("resblock dx", dx, at("rb.dx"), tol);
    for (const auto& p : reg.infos()) compare<T>("resblock grad" + p.name, reg.grad_view(p.name), at("rb.grad" + p.name), tol);
  }

  template <class T>
  void check_unet(double tol) {
    const int hidden = static_cast<int>(at("unet.param.bottleneck.fc1.weight").shape[0]);
    UNetT<T> net(paper_spec(1), std::make_unique<ClassicalBranchT<T>>(hidden), 1);
    // parameter count confirmed against PyTorch's: total and body (without the bottleneck MLP)
    EXPECT_EQ(static_cast<double>(net.num_params()), at("unet.num_params").data[0]);
    EXPECT_EQ(static_cast<double>(net.num_params() - net.registry().count("bottleneck.")), at("unet.num_params").data[1]);
    EXPECT_EQ(at("unet.num_params").data[1], 1023009.0f);
    load_params(net.registry(), "unet.");
    const auto x = as<T>(at("unet.x").data);
    const auto t = as_int<T>(at("unet.t").data);
    std::vector<T> y(x.size()), dx(x.size());
    net.forward(x.data(), t.data(), 2, y.data());
    compare<T>("unet y", y, at("unet.y"), tol);
    const auto dy = as<T>(at("unet.dy").data);
    net.zero_grad();
    net.backward(dy.data(), dx.data());
    compare<T>("unet dx", dx, at("unet.dx"), tol);
    for (const auto& p : net.registry().infos())
      compare<T>("unet grad " + p.name, net.registry().grad_view(p.name), at("unet.grad." + p.name), tol);
  }
};

TEST_F(TorchReferenceTyped, ResBlockDouble) {
  check_resblock<double>(2e-6);
  std::cout << "ResBlock (double) worst relative error vs PyTorch: " << worst_ << "\n";
}
TEST_F(TorchReferenceTyped, ResBlockFloat) {
  check_resblock<float>(1e-4);
  std::cout << "ResBlock (float) worst relative error vs PyTorch: " << worst_ << "\n";
}
TEST_F(TorchReferenceTyped, PaperUNetDouble) {
  check_unet<double>(2e-6);
  std::cout << "paper U-Net (double) worst relative error vs PyTorch: " << worst_ << "\n";
}
TEST_F(TorchReferenceTyped, PaperUNetFloat) {
  check_unet<float>(1e-4);
  std::cout << "paper U-Net (float) worst relative error vs PyTorch: " << worst_ << "\n";
}
