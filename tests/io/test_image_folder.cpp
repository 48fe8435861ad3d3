// Reading anyone's images: PNG/JPEG files and folders (stb_image), .npy/.npz arrays with their
// layout and value range detected (and overridable), and every bad input named clearly.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/io/image_folder.hpp"
#include "qdiff/io/image_source.hpp"
#include "qdiff/io/npz.hpp"
#include "qdiff/io/png.hpp"
#include "support/test_support.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

using namespace qdiff;
using qdiff::test::TempDir;

namespace {

std::vector<uint8_t> pattern(size_t n, int salt) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 37 + salt * 101) % 256);
  return v;
}

// The FileError message of f(), or "" when it does not throw one.
template <class F>
std::string file_error(F f) {
  try {
    f();
  } catch (const FileError& e) {
    return e.what();
  }
  return "";
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST(ReadImage, PngChannelsAndAlphaDropped) {
  TempDir tmp;
  const auto gray = pattern(5 * 4, 1), rgb = pattern(5 * 4 * 3, 2), rgba = pattern(5 * 4 * 4, 3);
  write_png(tmp.file("g.png"), gray.data(), 5, 4, 1);
  write_png(tmp.file("c.png"), rgb.data(), 5, 4, 3);
  write_png(tmp.file("a.png"), rgba.data(), 5, 4, 4);
  const Image8 g = read_image(tmp.file("g.png")), c = read_image(tmp.file("c.png")), a = read_image(tmp.file("a.png"));
  EXPECT_EQ(g.w, 5);
  EXPECT_EQ(g.h, 4);
  EXPECT_EQ(g.c, 1);
  EXPECT_EQ(g.pixels, gray);
  EXPECT_EQ(c.c, 3);
  EXPECT_EQ(c.pixels, rgb);
  ASSERT_EQ(a.c, 3);
  for (size_t p = 0; p < 20; ++p)
    for (int ch = 0; ch < 3; ++ch) EXPECT_EQ(a.pixels[3 * p + ch], rgba[4 * p + ch]) << "RGBA loses only alpha";
}

TEST(ReadImage, JpegDecodesCloseToTheOriginal) {
  TempDir tmp;
  std::vector<uint8_t> smooth(16 * 16 * 3);  // [H,W,3] gentle ramps (JPEG is lossy)
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      for (int ch = 0; ch < 3; ++ch) smooth[(y * 16 + x) * 3 + ch] = static_cast<uint8_t>(8 * x + 4 * y + 20 * ch);
  ASSERT_TRUE(stbi_write_jpg(tmp.file("s.JPG").c_str(), 16, 16, 3, smooth.data(), 95));
  const Image8 img = read_image(tmp.file("s.JPG"));
  ASSERT_EQ(img.c, 3);
  ASSERT_EQ(img.pixels.size(), smooth.size());
  for (size_t i = 0; i < smooth.size(); ++i) EXPECT_NEAR(img.pixels[i], smooth[i], 8) << i;
}

TEST(ReadImage, UnreadableFilesAreNamed) {
  TempDir tmp;
  write_text(tmp.file("fake.png"), "not a png at all");
  EXPECT_NE(file_error([&] { read_image(tmp.file("fake.png")); }).find(tmp.file("fake.png") + ": not a PNG or JPEG"),
            std::string::npos);
  EXPECT_NE(file_error([&] { read_image(tmp.file("missing.png")); }).find(tmp.file("missing.png")), std::string::npos);
  // a truncated PNG: header intact, data cut
  const auto px = pattern(32 * 32, 4);
  write_png(tmp.file("t.png"), px.data(), 32, 32, 1);
  auto bytes = read_file_bytes(tmp.file("t.png"));
  bytes.resize(bytes.size() / 2);
  write_file_atomic(tmp.file("t.png"), bytes);
  EXPECT_NE(file_error([&] { read_image(tmp.file("t.png")); }).find(tmp.file("t.png")), std::string::npos);
}

TEST(ImageFiles, NamesByExtensionNotHidden) {
  for (const char* yes : {"a.png", "B.PNG", "c.jpg", "d.JPEG", "x.y.jpeg"}) EXPECT_TRUE(is_image_file_name(yes)) << yes;
  for (const char* no : {".png", "._a.png", "a.gif", "png", "a.png.txt", ".hidden.jpg"}) EXPECT_FALSE(is_image_file_name(no)) << no;
}

TEST(ImageFolder, ReadsLikeTheSameUint8Array) {
  TempDir tmp;
  const int n = 5, h = 6, w = 7;
  std::vector<uint8_t> all;
  for (int i = 0; i < n; ++i) {
    const auto px = pattern(h * w * 3, i);
    write_png(tmp.file("img" + std::to_string(i) + ".png"), px.data(), w, h, 3);
    all.insert(all.end(), px.begin(), px.end());
  }
  write_text(tmp.file("notes.txt"), "ignored");
  std::filesystem::create_directory(tmp.file("sub"));  // sub-folders are ignored too
  write_png(tmp.file("sub/other.png"), pattern(4, 0).data(), 2, 2, 1);
  const ImageSet set = read_image_folder(tmp.path());
  const ImageSet ref = images_from_array(NpyArray::from_u8({n, h, w, 3}, all), "ref");
  EXPECT_EQ(set.n, n);
  EXPECT_EQ(set.c, 3);
  EXPECT_EQ(set.h, h);
  EXPECT_EQ(set.w, w);
  EXPECT_EQ(set.pixels, ref.pixels);  // file order = sorted names = the array's order
}

TEST(ImageFolder, EmptyMixedAndMissingFoldersAreNamed) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.file("empty"));
  write_text(tmp.file("empty/readme.txt"), "no images");
  EXPECT_NE(file_error([&] { read_image_folder(tmp.file("empty")); }).find("holds no .png, .jpg or .jpeg images"),
            std::string::npos);
  EXPECT_NE(file_error([&] { read_image_folder(tmp.file("nope")); }).find(tmp.file("nope") + ": no such folder"),
            std::string::npos);
  EXPECT_NE(file_error([&] { read_image_folder(tmp.file("empty/readme.txt")); }).find("not a folder"), std::string::npos);

  std::filesystem::create_directory(tmp.file("sizes"));
  write_png(tmp.file("sizes/a.png"), pattern(28 * 28, 1).data(), 28, 28, 1);
  write_png(tmp.file("sizes/b.png"), pattern(32 * 32, 1).data(), 32, 32, 1);
  const std::string sizes = file_error([&] { read_image_folder(tmp.file("sizes")); });
  EXPECT_NE(sizes.find(tmp.file("sizes/b.png") + ": is 32x32 grayscale but " + tmp.file("sizes/a.png")), std::string::npos)
      << sizes;

  std::filesystem::create_directory(tmp.file("channels"));
  write_png(tmp.file("channels/a.png"), pattern(8 * 8, 1).data(), 8, 8, 1);
  write_png(tmp.file("channels/b.png"), pattern(8 * 8 * 3, 1).data(), 8, 8, 3);
  const std::string channels = file_error([&] { read_image_folder(tmp.file("channels")); });
  EXPECT_NE(channels.find(tmp.file("channels/b.png") + ": is 8x8 RGB but"), std::string::npos) << channels;

  std::filesystem::create_directory(tmp.file("broken"));
  write_png(tmp.file("broken/a.png"), pattern(8 * 8, 1).data(), 8, 8, 1);
  write_text(tmp.file("broken/b.png"), "garbage");
  EXPECT_NE(file_error([&] { read_image_folder(tmp.file("broken")); }).find(tmp.file("broken/b.png")), std::string::npos);
}

TEST(ArrayFormat, AmbiguousShapeRuleAndOverride) {
  // (N,3,3,3): both readings fit. Auto = channels-last, flagged; the override reads channels-first.
  std::vector<uint8_t> v(2 * 27);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i);
  const NpyArray a = NpyArray::from_u8({2, 3, 3, 3}, v);
  ArrayReading seen;
  const ImageSet last = images_from_array(a, "x", {}, &seen);
  EXPECT_TRUE(seen.ambiguous_layout);
  EXPECT_EQ(seen.layout, "(N,H,W,C) channels-last");
  EXPECT_EQ(seen.values, "uint8 0..255");
  const ImageSet first = images_from_array(a, "x", {ArrayLayout::ChannelsFirst, ValueRange::Auto}, &seen);
  EXPECT_FALSE(seen.ambiguous_layout);
  EXPECT_EQ(seen.layout, "(N,C,H,W) channels-first");
  // element (i=1, row 2, col 0, channel 1): channels-last index ((1*3+2)*3+0)*3+1, channels-first ((1*3+1)*3+2)*3+0
  auto at = [](const ImageSet& s, int i, int c, int y, int x) { return s.pixels[((i * 3 + c) * 3 + y) * 3 + x]; };
  EXPECT_FLOAT_EQ(at(last, 1, 1, 2, 0), v[((1 * 3 + 2) * 3 + 0) * 3 + 1] * 2.0f / 255.0f - 1.0f);
  EXPECT_FLOAT_EQ(at(first, 1, 1, 2, 0), v[((1 * 3 + 1) * 3 + 2) * 3 + 0] * 2.0f / 255.0f - 1.0f);
  // unambiguous shapes are not flagged, and a layout that cannot fit is an error naming the shape
  images_from_array(NpyArray::from_u8({1, 3, 8, 8}, std::vector<uint8_t>(192)), "y", {}, &seen);
  EXPECT_FALSE(seen.ambiguous_layout);
  EXPECT_EQ(seen.layout, "(N,C,H,W) channels-first");
  const std::string e = file_error(
      [] { images_from_array(NpyArray::from_u8({1, 3, 8, 8}, std::vector<uint8_t>(192)), "y", {ArrayLayout::ChannelsLast}); });
  EXPECT_NE(e.find("y: channels-last (N,H,W,C) needs C = 1 or 3, got shape (1, 3, 8, 8)"), std::string::npos) << e;
}

TEST(ArrayFormat, FloatRangeDetectedAndOverridable) {
  ArrayReading seen;
  const NpyArray unit = NpyArray::from_f32({1, 1, 3}, {0.0f, 0.5f, 1.0f});
  EXPECT_EQ(images_from_array(unit, "u", {}, &seen).pixels, (std::vector<float>{-1.0f, 0.0f, 1.0f}));
  EXPECT_EQ(seen.values, "float32 in [0,1]");
  EXPECT_EQ(seen.layout, "(N,H,W)");
  const NpyArray sym = NpyArray::from_f32({1, 1, 3}, {-1.0f, 0.0f, 0.5f});
  EXPECT_EQ(images_from_array(sym, "s", {}, &seen).pixels, (std::vector<float>{-1.0f, 0.0f, 0.5f}));
  EXPECT_EQ(seen.values, "float32 in [-1,1]");
  // [-1,1] data that happens to be non-negative: auto reads [0,1]; the override keeps it
  EXPECT_EQ(images_from_array(unit, "u", {ArrayLayout::Auto, ValueRange::Symmetric}, &seen).pixels,
            (std::vector<float>{0.0f, 0.5f, 1.0f}));
  EXPECT_EQ(seen.values, "float32 in [-1,1]");
  EXPECT_NE(file_error([&] { images_from_array(sym, "s", {ArrayLayout::Auto, ValueRange::Unit}); }).find("must not be negative"),
            std::string::npos);
  EXPECT_NE(file_error([] { images_from_array(NpyArray::from_f32({1, 1, 2}, {0.0f, 255.0f}), "f"); })
                .find("f: float images must lie in [0,1] or [-1,1]"),
            std::string::npos);
}

TEST(ImageSource, FolderNpyAndNpzDispatch) {
  TempDir tmp;
  std::vector<uint8_t> px(3 * 4 * 4);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 5);
  const NpyArray a = NpyArray::from_u8({3, 4, 4}, px);
  write_npy_file(tmp.file("s.npy"), a);
  write_npz(tmp.file("s.npz"), {{"images", a}});
  std::filesystem::create_directory(tmp.file("pngs"));
  for (int i = 0; i < 3; ++i) write_png(tmp.file("pngs/" + std::to_string(i) + ".png"), px.data() + 16 * i, 4, 4, 1);
  SourceReading r1, r2, r3;
  const ImageSet s1 = load_images(tmp.file("s.npy"), "train", {}, &r1);
  const ImageSet s2 = load_images(tmp.file("s.npz"), "train", {}, &r2);
  const ImageSet s3 = load_images(tmp.file("pngs"), "train", {}, &r3);
  EXPECT_EQ(s1.pixels, s2.pixels);
  EXPECT_EQ(s1.pixels, s3.pixels);
  EXPECT_EQ(r1.text(s1), "3 images 4x4 grayscale from a .npy array: layout (N,H,W), values uint8 0..255");
  EXPECT_NE(r2.text(s2).find("[images]"), std::string::npos) << r2.text(s2);
  EXPECT_NE(r3.text(s3).find("folder of PNG/JPEG images"), std::string::npos) << r3.text(s3);
}
