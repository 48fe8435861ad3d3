#include <gtest/gtest.h>

#include <stb_image.h>

#include <algorithm>
#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
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
  PlotOptions opt{"title", "step", "loss", 400, 300, false, true, {}};
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
  PlotOptions opt{title, "training steps", "FID", 400, 300, false, false, {}};
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

// A categorical x axis: the categories are the ticks (no numeric ones), and category i sits at
// the i-th of equal steps across the plot area. The legend gets headroom: no point of a series
// lies in its rows at the top right.
TEST(Plot, CategoricalAxisAndLegendHeadroom) {
  qdiff::test::TempDir tmp;
  Series a{"quantum", {0, 1, 2}, {12.6, 12.0, 12.8}, {0.9, 0.3, 0.8}, palette_colour(0), true};
  Series b{"classical", {0, 1, 2}, {14.3, 14.3, 14.3}, {2.2, 2.2, 2.2}, palette_colour(1), true};
  PlotOptions opt{"FID vs noise", "strategy", "FID", 600, 400, false, false, {"noiseless", "p=1e-3", "p=1e-2"}};
  write_line_plot(tmp.file("p.svg"), {a, b}, opt);
  const std::string svg = read_file_text(tmp.file("p.svg"));
  for (const char* t : {">noiseless</text>", ">p=1e-3</text>", ">p=1e-2</text>"}) EXPECT_NE(svg.find(t), std::string::npos) << t;
  EXPECT_EQ(svg.find(">0.5</text>"), std::string::npos) << "no numeric x ticks";
  write_line_plot(tmp.file("p.png"), {a, b}, opt);
  int w, h, c;
  unsigned char* px = stbi_load(tmp.file("p.png").c_str(), &w, &h, &c, 3);
  ASSERT_NE(px, nullptr);
  const auto red = palette_colour(1);
  int top = h, left = w;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const unsigned char* p = px + 3 * (y * w + x);
      if (p[0] != red[0] || p[1] != red[1] || p[2] != red[2]) continue;
      if (x < w - 150) top = std::min(top, y), left = std::min(left, x);
    }
  // plot area x from 80 to w - 20; categories at 1/6, 3/6 and 5/6 of it (+- the marker and error bar caps)
  const double L = 80, R = w - 20;
  EXPECT_NEAR(left, L + (R - L) / 6 - 4, 2);
  EXPECT_GT(top, 40 + 2 * 18) << "the highest error bar stays below the legend's two rows";
  stbi_image_free(px);
}
