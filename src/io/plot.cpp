#include "qdiff/io/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/io/png.hpp"

#include <stb_easy_font.h>

namespace qdiff {
namespace {

using Rgb = std::array<uint8_t, 3>;

// Width in pixels of text drawn at `scale` (stb_easy_font metrics; both surfaces lay out with it).
int text_width(const std::string& s, double scale = 1.5) {
  std::string copy = s;
  return static_cast<int>(stb_easy_font_width(copy.data()) * scale);
}

// What a plot is drawn on: the same layout code draws into pixels (PNG) or into SVG elements.
class Surface {
 public:
  virtual ~Surface() = default;
  // A line `thick` pixels wide; dashed: 6 on, 6 off.
  virtual void line(double x0, double y0, double x1, double y1, Rgb c, int thick = 1, bool dashed = false) = 0;
  // A filled rectangle with corners (x0, y0) and (x1, y1), both included.
  virtual void rect(int x0, int y0, int x1, int y1, Rgb c) = 0;
  // Text with its top-left corner at (x, y), scaled by `scale`.
  virtual void text(double x, double y, const std::string& s, Rgb c, double scale = 1.5) = 0;
};

constexpr int kDash = 6;

class Canvas : public Surface {
 public:
  Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<size_t>(w) * h * 3, 255) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    auto* p = &px_[(static_cast<size_t>(y) * w_ + x) * 3];
    p[0] = c[0], p[1] = c[1], p[2] = c[2];
  }
  void rect(int x0, int y0, int x1, int y1, Rgb c) override {
    for (int y = std::min(y0, y1); y <= std::max(y0, y1); ++y)
      for (int x = std::min(x0, x1); x <= std::max(x0, x1); ++x) set(x, y, c);
  }
  // Line of the given thickness (Bresenham with a square pen).
  void line(double x0, double y0, double x1, double y1, Rgb c, int thick = 1, bool dashed = false) override {
    const int n = static_cast<int>(std::max(std::abs(x1 - x0), std::abs(y1 - y0))) + 1;
    for (int i = 0; i <= n; ++i) {
      if (dashed && (i / kDash) % 2 == 1) continue;
      const double t = n ? static_cast<double>(i) / n : 0.0;
      const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0)));
      const int y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
      rect(x - thick / 2, y - thick / 2, x + (thick - 1) / 2, y + (thick - 1) / 2, c);
    }
  }
  // Text at (x, y) top-left, scaled by `s`; returns its width in pixels.
  void text(double x, double y, const std::string& s, Rgb c, double scale = 1.5) override {
    static char buf[60000];
    std::string copy = s;
    const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buf, sizeof buf);
    for (int q = 0; q < quads; ++q) {
      const float* v = reinterpret_cast<const float*>(buf + q * 4 * 16);
      // vertices: 4 x (x, y, z, rgba) = 16 bytes each
      const float* v2 = reinterpret_cast<const float*>(buf + q * 4 * 16 + 2 * 16);
      rect(static_cast<int>(x + v[0] * scale), static_cast<int>(y + v[1] * scale),
           static_cast<int>(x + v2[0] * scale) - 1, static_cast<int>(y + v2[1] * scale) - 1, c);
    }
  }
  const uint8_t* data() const { return px_.data(); }

 private:
  int w_, h_;
  std::vector<uint8_t> px_;
};

// The same drawing as SVG 1.1 elements (vector output for papers; text stays text).
class SvgDocument : public Surface {
 public:
  SvgDocument(int w, int h) {
    o_ << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\""
       << w << "\" height=\"" << h << "\" viewBox=\"0 0 " << w << " " << h << "\">\n<rect x=\"0\" y=\"0\" width=\"" << w
       << "\" height=\"" << h << "\" fill=\"#ffffff\"/>\n";
  }
  void line(double x0, double y0, double x1, double y1, Rgb c, int thick = 1, bool dashed = false) override {
    o_ << "<line x1=\"" << x0 << "\" y1=\"" << y0 << "\" x2=\"" << x1 << "\" y2=\"" << y1 << "\" stroke=\"" << colour(c)
       << "\" stroke-width=\"" << thick << "\"" << (dashed ? " stroke-dasharray=\"6 6\"" : "") << "/>\n";
  }
  void rect(int x0, int y0, int x1, int y1, Rgb c) override {
    o_ << "<rect x=\"" << std::min(x0, x1) << "\" y=\"" << std::min(y0, y1) << "\" width=\"" << std::abs(x1 - x0) + 1
       << "\" height=\"" << std::abs(y1 - y0) + 1 << "\" fill=\"" << colour(c) << "\"/>\n";
  }
  void text(double x, double y, const std::string& s, Rgb c, double scale = 1.5) override {
    o_ << "<text x=\"" << x << "\" y=\"" << y + 7.0 * scale << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\""
       << 8.0 * scale << "\" textLength=\"" << text_width(s, scale) << "\" lengthAdjust=\"spacingAndGlyphs\" fill=\""
       << colour(c) << "\">" << escaped(s) << "</text>\n";
  }
  std::string str() const { return o_.str() + "</svg>\n"; }

 private:
  std::ostringstream o_;
  static std::string colour(Rgb c) {
    char b[8];
    std::snprintf(b, sizeof b, "#%02x%02x%02x", c[0], c[1], c[2]);
    return b;
  }
  static std::string escaped(const std::string& s) {
    std::string out;
    for (char ch : s) out += ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : std::string(1, ch);
    return out;
  }
};

// "Nice" tick positions covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 6) {
  const double span = hi - lo;
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) { step = m * mag; break; }
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return t;
}

// Tick positions in axis space. On a log axis (lo, hi are log10 values): whole decades when the
// range spans at least two, else nice values of the data mapped through log10.
std::vector<double> axis_ticks(double lo, double hi, bool log_axis) {
  if (!log_axis) return nice_ticks(lo, hi);
  std::vector<double> t;
  if (hi - lo >= 2.0) {
    for (double d = std::ceil(lo); d <= hi; d += 1.0) t.push_back(d);
    return t;
  }
  for (double v : nice_ticks(std::pow(10.0, lo), std::pow(10.0, hi)))
    if (v > 0) t.push_back(std::log10(v));
  return t;
}

std::string fmt(double v) {
  char b[32];
  if (v != 0 && (std::abs(v) >= 1e5 || std::abs(v) < 1e-3)) std::snprintf(b, sizeof b, "%.1e", v);
  else std::snprintf(b, sizeof b, "%g", v);
  return b;
}

}  // namespace

std::array<uint8_t, 3> palette_colour(size_t i) {
  static const Rgb p[] = {{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {255, 127, 14},
                          {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};
  return p[i % 8];
}

namespace {

void draw_line_plot(Surface& cv, const std::string& path, const std::vector<Series>& series, const PlotOptions& opt) {
  const bool categorical = !opt.x_categories.empty();
  const bool log_x = opt.log_x && !categorical;
  auto tx = [&](double v) { return log_x ? std::log10(v) : v; };
  auto ty = [&](double v) { return opt.log_y ? std::log10(v) : v; };
  auto ok = [&](double x, double y) {
    return std::isfinite(x) && std::isfinite(y) && (!log_x || x > 0) && (!opt.log_y || y > 0);
  };
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& s : series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!ok(s.x[i], s.y[i])) continue;
      const double e = s.yerr.size() == s.y.size() && std::isfinite(s.yerr[i]) ? s.yerr[i] : 0.0;
      x0 = std::min(x0, tx(s.x[i])), x1 = std::max(x1, tx(s.x[i]));
      const double lo = s.y[i] - e;
      y0 = std::min(y0, ty(opt.log_y && lo <= 0 ? s.y[i] : lo)), y1 = std::max(y1, ty(s.y[i] + e));
    }
  if (!(x0 <= x1)) throw InvalidArgument("plot " + path + ": no finite points to draw");
  if (categorical) x0 = -0.5, x1 = static_cast<double>(opt.x_categories.size()) - 0.5;
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  const double ypad = 0.05 * (y1 - y0);
  y0 -= ypad, y1 += ypad;

  const int L = 80, R = opt.width - 20, T = 40, B = opt.height - 55;
  {  // headroom for the legend (top right, 18 px a row), so that it never covers a point
    int rows = 0;
    for (const auto& s : series) rows += !s.label.empty();
    const double frac = (rows * 18.0 + 8.0) / (B - T);
    if (rows > 0 && frac < 0.6) y1 = y0 + (y1 - y0) / (1.0 - frac);
  }
  auto px = [&](double x) { return L + (tx(x) - x0) / (x1 - x0) * (R - L); };
  auto py = [&](double y) { return B - (ty(y) - y0) / (y1 - y0) * (B - T); };
  const Rgb black{0, 0, 0}, grid{225, 225, 225}, grey{90, 90, 90};

  for (double t : axis_ticks(y0, y1, opt.log_y)) {
    const double yy = B - (t - y0) / (y1 - y0) * (B - T);
    cv.line(L, yy, R, yy, grid);
    const std::string label = opt.log_y ? fmt(std::pow(10.0, t)) : fmt(t);
    cv.text(L - 8 - text_width(label), yy - 5, label, grey);
  }
  std::vector<double> xticks;
  for (size_t i = 0; i < opt.x_categories.size(); ++i) xticks.push_back(static_cast<double>(i));
  if (!categorical) xticks = axis_ticks(x0, x1, log_x);
  for (double t : xticks) {
    const double xx = L + (t - x0) / (x1 - x0) * (R - L);
    cv.line(xx, T, xx, B, grid);
    const std::string label = categorical ? opt.x_categories[static_cast<size_t>(t)] : log_x ? fmt(std::pow(10.0, t)) : fmt(t);
    cv.text(xx - text_width(label) / 2.0, B + 8, label, grey);
  }
  cv.line(L, B, R, B, black);
  cv.line(L, T, L, B, black);
  {  // the title over the plot area, shrunk to fit it (a long title would run off the canvas)
    const int room = opt.width - 8 - L;
    const double scale = std::min(2.0, room / std::max(1.0, double(text_width(opt.title, 1.0))));
    cv.text(L + (room - text_width(opt.title, scale)) / 2.0, 10, opt.title, black, scale);
  }
  cv.text((L + R) / 2.0 - text_width(opt.xlabel) / 2.0, B + 30, opt.xlabel, black);
  cv.text(8, T - 22, opt.ylabel, black);

  int legend_y = T + 8;
  for (const auto& s : series) {
    bool have_prev = false;
    double ppx = 0, ppy = 0;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!ok(s.x[i], s.y[i])) { have_prev = false; continue; }
      const double X = px(s.x[i]), Y = py(s.y[i]);
      if (have_prev) cv.line(ppx, ppy, X, Y, s.rgb, 2, s.dashed);
      if (s.yerr.size() == s.y.size() && std::isfinite(s.yerr[i]) && s.yerr[i] > 0) {
        const double lo = s.y[i] - s.yerr[i];
        const double Ylo = (opt.log_y && lo <= 0) ? B : py(lo), Yhi = py(s.y[i] + s.yerr[i]);
        cv.line(X, Ylo, X, Yhi, s.rgb);
        cv.line(X - 4, Ylo, X + 4, Ylo, s.rgb);
        cv.line(X - 4, Yhi, X + 4, Yhi, s.rgb);
      }
      if (s.markers) cv.rect(static_cast<int>(X) - 3, static_cast<int>(Y) - 3, static_cast<int>(X) + 3, static_cast<int>(Y) + 3, s.rgb);
      ppx = X, ppy = Y, have_prev = true;
    }
    if (!s.label.empty()) {
      const int lw = text_width(s.label);
      if (s.dashed) cv.line(R - lw - 40, legend_y + 5, R - lw - 18, legend_y + 5, s.rgb, 3, true);
      else cv.rect(R - lw - 40, legend_y + 4, R - lw - 18, legend_y + 6, s.rgb);
      cv.text(R - lw - 10, legend_y, s.label, black);
      legend_y += 18;
    }
  }
}

}  // namespace

void write_line_plot(const std::string& path, const std::vector<Series>& series, const PlotOptions& opt) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".svg") {
    SvgDocument svg(opt.width, opt.height);
    draw_line_plot(svg, path, series, opt);
    write_file_atomic(path, svg.str());
  } else {
    Canvas cv(opt.width, opt.height);
    draw_line_plot(cv, path, series, opt);
    write_png(path, cv.data(), opt.width, opt.height, 3);
  }
}

}  // namespace qdiff
