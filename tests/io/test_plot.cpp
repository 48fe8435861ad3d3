#include <gtest/gtest.h>

#include <stb_image.h>

#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/io/plot.hpp"
#include "support/test_support.hpp"

using namespace qdiff;

TEST(Plot, WritesDecodablePngWithSeriesColour) {
  qdiff::test::TempDir tmp;
  Series s;
  s.label = "loss";
  for (int i = 1; i <= 50; ++i) s.x.push_back(i), s.y.push_back(1.0 / i);
  s.rgb = {214, 39, 40};
  Series e{"fid", {10, 25, 50}, {300, 200, 150}, {20, 30, 10}, palette_colour(2), true};
  PlotOptions opt{"title", "step", "loss", 400, 300, false, true};
  write_line_plot(tmp.file("p.png"), {s, e}, opt);
  int w, h, c;
  unsigned char* px = stbi_load(tmp.file("p.png").c_str(), &w, &h, &c, 3);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(w, 400);
  EXPECT_EQ(h, 300);
  int red = 0;
  for (int i = 0; i < w * h; ++i) red += px[3 * i] == 214 && px[3 * i + 1] == 39 && px[3 * i + 2] == 40;
  EXPECT_GT(red, 100);  // the curve was drawn
  stbi_image_free(px);
}

TEST(Plot, NothingToDrawIsAnError) {
  qdiff::test::TempDir tmp;
  Series s{"nan", {1, 2}, {NAN, INFINITY}, {}, palette_colour(0), false};
  EXPECT_THROW(write_line_plot(tmp.file("p.png"), {s}, {}), InvalidArgument);
}

// A title longer than the canvas is shrunk to fit: it is drawn (black pixels above the plot area,
// right of the y label) and none of it runs into the right edge.
TEST(Plot, LongTitleFitsTheCanvas) {
  qdiff::test::TempDir tmp;
  Series s{"fid", {500, 1000, 2000, 4000}, {53, 38, 33, 25}, {}, palette_colour(0), false};
  const std::string title = "retinamnist: FID vs training steps (N = 100, DDIM-50, 1000 samples), quantum and classical";
  PlotOptions opt{title, "training steps", "FID", 400, 300, false, false};
  write_line_plot(tmp.file("p.png"), {s}, opt);
  int w, h, c;
  unsigned char* px = stbi_load(tmp.file("p.png").c_str(), &w, &h, &c, 3);
  ASSERT_NE(px, nullptr);
  auto black = [&](int x, int y) { const unsigned char* p = px + 3 * (y * w + x); return p[0] < 60 && p[1] < 60 && p[2] < 60; };
  int drawn = 0, at_edge = 0;
  for (int y = 0; y < 38; ++y)
    for (int x = 0; x < w; ++x) {
      drawn += x > 80 && black(x, y);
      at_edge += x >= w - 6 && black(x, y);
    }
  EXPECT_GT(drawn, 50);
  EXPECT_EQ(at_edge, 0);
  stbi_image_free(px);
}
