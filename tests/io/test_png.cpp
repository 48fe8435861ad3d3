// PNG grids decode back (stb_image) with the right size and pixel values.
#include <gtest/gtest.h>

#include <stb_image.h>

#include "qdiff/core/error.hpp"
#include "qdiff/io/png.hpp"
#include "support/test_support.hpp"

using namespace qdiff;

TEST(Png, GrayGridDecodesWithRightSizeAndValues) {
  qdiff::test::TempDir tmp;
  std::vector<float> imgs(5 * 1 * 4 * 3, -1.0f);  // 5 black 4x3 images
  imgs[0] = 1.0f;                                  // image 0, pixel (0,0) white
  GridOptions opt;
  opt.nrow = 3, opt.padding = 1, opt.scale = 2, opt.pad_value = 0.0f;
  write_png_grid(tmp.file("g.png"), imgs.data(), 5, 1, 4, 3, opt);
  int w, h, c;
  unsigned char* px = stbi_load(tmp.file("g.png").c_str(), &w, &h, &c, 0);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(w, (3 * (3 + 1) + 1) * 2);
  EXPECT_EQ(h, (2 * (4 + 1) + 1) * 2);
  EXPECT_EQ(c, 1);
  EXPECT_EQ(px[(2 * w) + 2], 255);      // first pixel of image 0 (after 1px padding, x2)
  EXPECT_EQ(px[(2 * w) + 4], 0);        // its neighbour is black
  EXPECT_EQ(px[0], to_byte(0.0f));      // padding value
  stbi_image_free(px);
}

TEST(Png, RgbGrid) {
  qdiff::test::TempDir tmp;
  std::vector<float> imgs(2 * 3 * 2 * 2, -1.0f);
  for (int p = 0; p < 4; ++p) imgs[0 * 4 + p] = 1.0f;  // image 0 red channel full
  write_png_grid(tmp.file("c.png"), imgs.data(), 2, 3, 2, 2, GridOptions{2, 0, 1, -1.0f});
  int w, h, c;
  unsigned char* px = stbi_load(tmp.file("c.png").c_str(), &w, &h, &c, 0);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(w, 4);
  EXPECT_EQ(h, 2);
  EXPECT_EQ(c, 3);
  EXPECT_EQ(px[0], 255);
  EXPECT_EQ(px[1], 0);
  EXPECT_EQ(px[2 * 3], 0);  // image 1 is black
  stbi_image_free(px);
}

TEST(Png, BadArguments) {
  qdiff::test::TempDir tmp;
  std::vector<float> one(4);
  EXPECT_THROW(write_png_grid(tmp.file("x.png"), one.data(), 0, 1, 2, 2), InvalidArgument);
  EXPECT_THROW(write_png_grid(tmp.file("x.png"), one.data(), 1, 2, 1, 2), InvalidArgument);
  EXPECT_THROW(write_png_grid("/proc/definitely/not/writable.png", one.data(), 1, 1, 2, 2), FileError);
}

TEST(Data, BundledFilesMatchTheirChecksums) {
  std::string out;
  const int rc = qdiff::test::run_command("cd " + qdiff::test::repo_path("data") + " && sha256sum -c SHA256SUMS", &out);
  EXPECT_EQ(rc, 0) << out;
}
