// Dataset loading, split/class selection and exact seeded subsets.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "qdiff/core/error.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/io/idx.hpp"
#include "qdiff/io/npz.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using qdiff::test::repo_path;
using qdiff::test::TempDir;

TEST(Dataset, MnistKerasSplitsAsNCHWInRange) {
  const auto set = load_split(repo_path("data/mnist.npz"), "test");
  EXPECT_EQ(set.n, 10000);
  EXPECT_EQ(set.c, 1);
  EXPECT_EQ(set.h, 28);
  EXPECT_EQ(set.labels.size(), 10000u);
  const auto [mn, mx] = std::minmax_element(set.pixels.begin(), set.pixels.end());
  EXPECT_FLOAT_EQ(*mn, -1.0f);
  EXPECT_FLOAT_EQ(*mx, 1.0f);
}

TEST(Dataset, IdxMatchesNpz) {
  const auto idx = load_split(repo_path("data/mnist-idx/t10k-images-idx3-ubyte.gz"), "ignored");
  const auto npz = load_split(repo_path("data/mnist.npz"), "test");
  EXPECT_EQ(idx.pixels, npz.pixels);
  EXPECT_EQ(idx.labels, npz.labels);
}

TEST(Dataset, RetinaChannelsLastBecomesNCHW) {
  const auto set = load_split(repo_path("data/retinamnist.npz"), "val");
  EXPECT_EQ(set.n, 120);
  EXPECT_EQ(set.c, 3);
  const auto raw = NpzFile(repo_path("data/retinamnist.npz")).read("val_images");
  // pixel (i=5, y=3, x=7, ch=2) in HWC equals NCHW [5][2][3][7]
  const double v = raw.at(((5 * 28 + 3) * 28 + 7) * 3 + 2);
  EXPECT_FLOAT_EQ(set.pixels[((5 * 3 + 2) * 28 + 3) * 28 + 7], static_cast<float>(v * 2.0 / 255.0 - 1.0));
}

TEST(Dataset, MissingSplitNamesKeys) {
  try {
    load_split(repo_path("data/mnist.npz"), "val");
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("x_train"), std::string::npos) << e.what();
  }
}

TEST(Dataset, ImagesAndLabelsOfDifferentCounts) {
  TempDir tmp;
  write_npz(tmp.file("bad.npz"), {{"train_images", NpyArray::from_u8({5, 2, 2}, std::vector<uint8_t>(20))},
                                  {"train_labels", NpyArray::from_u8({4}, std::vector<uint8_t>(4))}});
  try {
    load_split(tmp.file("bad.npz"), "train");
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("4 labels but there are 5 images"), std::string::npos) << e.what();
  }
}

TEST(Dataset, WrongRankAndRange) {
  TempDir tmp;
  write_npz(tmp.file("r.npz"), {{"images", NpyArray::from_u8({20}, std::vector<uint8_t>(20))}});
  EXPECT_THROW(load_split(tmp.file("r.npz"), "train"), FileError);
  write_npz(tmp.file("f.npz"), {{"images", NpyArray::from_f32({1, 2, 2}, {0, 1, 2, 3})}});
  EXPECT_THROW(load_split(tmp.file("f.npz"), "train"), FileError);
  write_npz(tmp.file("c.npz"), {{"images", NpyArray::from_u8({1, 2, 2, 5}, std::vector<uint8_t>(20))}});
  EXPECT_THROW(load_split(tmp.file("c.npz"), "train"), FileError);
}

TEST(Dataset, FloatImagesInUnitRangeAreScaled) {
  TempDir tmp;
  write_npz(tmp.file("f.npz"), {{"images", NpyArray::from_f32({1, 1, 2}, {0.0f, 1.0f})}});
  const auto s = load_split(tmp.file("f.npz"), "train");
  EXPECT_EQ(s.pixels, (std::vector<float>{-1.0f, 1.0f}));
}

TEST(Subset, ExactSeededAndBalanced) {
  const auto all = load_split(repo_path("data/mnist.npz"), "test");
  Rng r1(7), r2(7), r3(8);
  const auto a = take_subset(all, 25, SubsetMode::Balanced, r1);
  const auto b = take_subset(all, 25, SubsetMode::Balanced, r2);
  const auto c = take_subset(all, 25, SubsetMode::Balanced, r3);
  EXPECT_EQ(a.n, 25);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(a.pixels, c.pixels);
  std::map<int64_t, int> counts;
  for (auto l : a.labels) ++counts[l];
  EXPECT_EQ(counts.size(), 10u);
  for (auto [l, k] : counts) EXPECT_TRUE(k == 2 || k == 3) << "class " << l << " has " << k;
}

TEST(Subset, ClassFilterAndRandom) {
  const auto all = load_split(repo_path("data/mnist.npz"), "test");
  const auto threes = filter_classes(all, {3});
  EXPECT_EQ(threes.n, 1010);
  Rng r(1);
  const auto s = take_subset(threes, 10, SubsetMode::Random, r);
  EXPECT_EQ(s.n, 10);
  for (auto l : s.labels) EXPECT_EQ(l, 3);
  Rng r2(1);
  EXPECT_THROW(take_subset(threes, 5000, SubsetMode::Random, r2), InvalidArgument);
}

TEST(Subset, BalancedFillsWhenAClassRunsOut) {
  ImageSet s;
  s.n = 6, s.c = 1, s.h = 1, s.w = 1;
  s.pixels = {0, 0, 0, 0, 0, 0};
  s.labels = {0, 1, 1, 1, 1, 1};
  Rng r(3);
  const auto t = take_subset(s, 5, SubsetMode::Balanced, r);
  EXPECT_EQ(t.n, 5);
  EXPECT_EQ(std::count(t.labels.begin(), t.labels.end(), 0), 1);
  std::set<int64_t> unique(t.labels.begin(), t.labels.end());
  EXPECT_EQ(unique.size(), 2u);
}

TEST(Idx, HostileFiles) {
  TempDir tmp;
  auto write = [&](const std::string& name, std::vector<uint8_t> b) {
    std::FILE* f = std::fopen(tmp.file(name).c_str(), "wb");
    std::fwrite(b.data(), 1, b.size(), f);
    std::fclose(f);
    return tmp.file(name);
  };
  EXPECT_THROW(read_idx(write("a-idx1", {0, 0})), FileError);
  EXPECT_THROW(read_idx(write("b-idx1", {1, 2, 8, 1, 0, 0, 0, 1, 5})), FileError);           // bad magic
  EXPECT_THROW(read_idx(write("c-idx1", {0, 0, 8, 1, 0, 0, 0, 5, 1, 2})), FileError);        // truncated
  EXPECT_THROW(read_idx(write("d-idx1", {0, 0, 8, 1, 0, 0, 0, 1, 1, 2, 3})), FileError);     // extra data
  EXPECT_THROW(read_idx(write("e-idx1", {0, 0, 0x0B, 1, 0, 0, 0, 1, 1, 2})), FileError);     // i16 unsupported
  const auto ok = read_idx(write("f-idx1", {0, 0, 0x0C, 1, 0, 0, 0, 1, 0, 0, 1, 2}));
  EXPECT_EQ(ok.at(0), 258);  // big-endian int32
}
