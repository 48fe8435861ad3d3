#include "qdiff/io/png.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb_image_write.h>

namespace qdiff {

uint8_t to_byte(float v) {
  if (!(v == v)) return 0;  // NaN shows as black rather than UB
  const float x = std::clamp((v + 1.0f) * 127.5f, 0.0f, 255.0f);
  return static_cast<uint8_t>(std::lround(x));
}

void write_png(const std::string& path, const uint8_t* pixels, int width, int height, int channels) {
  if (width <= 0 || height <= 0 || (channels != 1 && channels != 3 && channels != 4))
    throw InvalidArgument("write_png: bad size " + std::to_string(width) + "x" + std::to_string(height) + "x" +
                          std::to_string(channels));
  int len = 0;
  unsigned char* png = stbi_write_png_to_mem(pixels, width * channels, width, height, channels, &len);
  if (!png) throw FileError(path, "PNG encoding failed");
  std::string_view bytes(reinterpret_cast<const char*>(png), static_cast<size_t>(len));
  try {
    write_file_atomic(path, bytes);
  } catch (...) {
    STBIW_FREE(png);
    throw;
  }
  STBIW_FREE(png);
}

void write_png_grid(const std::string& path, const float* images, int64_t n, int c, int h, int w,
                    const GridOptions& opt) {
  if (n <= 0) throw InvalidArgument("write_png_grid: no images to write to " + path);
  if (c != 1 && c != 3) throw InvalidArgument("write_png_grid: channels must be 1 or 3, got " + std::to_string(c));
  if (opt.nrow <= 0 || opt.padding < 0 || opt.scale <= 0) throw InvalidArgument("write_png_grid: bad grid options");
  const int cols = static_cast<int>(std::min<int64_t>(opt.nrow, n));
  const int rows = static_cast<int>((n + cols - 1) / cols);
  const int p = opt.padding, s = opt.scale;
  const int W = (cols * (w + p) + p) * s, H = (rows * (h + p) + p) * s;
  std::vector<uint8_t> canvas(static_cast<size_t>(W) * H * c, to_byte(opt.pad_value));
  for (int64_t k = 0; k < n; ++k) {
    const int gy = static_cast<int>(k / cols), gx = static_cast<int>(k % cols);
    const float* img = images + k * c * h * w;  // [C,H,W]
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int ch = 0; ch < c; ++ch) {
          const uint8_t v = to_byte(img[(ch * h + y) * w + x]);
          const int y0 = (p + gy * (h + p) + y) * s, x0 = (p + gx * (w + p) + x) * s;
          for (int dy = 0; dy < s; ++dy)
            for (int dx = 0; dx < s; ++dx) canvas[(static_cast<size_t>(y0 + dy) * W + (x0 + dx)) * c + ch] = v;
        }
  }
  write_png(path, canvas.data(), W, H, c);
}

}  // namespace qdiff
