// Small dependency-free line plots written as PNG or SVG: loss curves during training, the
// sweep's metric-vs-N figures with error bars (and FID against a categorical axis such as the noise
// strengths), the protocol's FID-vs-steps figure. One layout
// drawn on two surfaces (pixels with stb_easy_font text, or SVG elements), so both files show
// the same figure.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace qdiff {

struct Series {
  std::string label;
  std::vector<double> x, y;
  std::vector<double> yerr;  // empty: no error bars; else same length as y (half-width)
  std::array<uint8_t, 3> rgb{31, 119, 180};
  bool markers = false;
  bool dashed = false;       // dashed line (e.g. a reference level); no effect on markers and error bars
};

struct PlotOptions {
  std::string title, xlabel, ylabel;
  int width = 720, height = 440;
  bool log_x = false, log_y = false;
  // Non-empty: a categorical x axis, category i at x = i with this label as its tick (the x range
  // is then -0.5 .. size - 0.5; log_x is ignored).
  std::vector<std::string> x_categories;
};

// Writes PNG, or SVG when `path` ends in .svg (the same layout drawn as vector elements, text
// as text). Non-finite points (and non-positive ones on a log axis) are skipped. Throws
// InvalidArgument when no series has a plottable point, FileError when the file cannot be written.
void write_line_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt);

// A palette of distinguishable colours, cycled by index.
std::array<uint8_t, 3> palette_colour(size_t i);

}  // namespace qdiff
