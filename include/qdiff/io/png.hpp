// PNG output on stb_image_write: image grids from float tensors in [-1, 1], and plain images.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qdiff {

struct GridOptions {
  int nrow = 8;        // images per row
  int padding = 2;     // pixels between images (before upscaling)
  int scale = 2;       // nearest-neighbour upscaling so 28x28 digits are visible
  float pad_value = 1.0f;  // in [-1, 1]; 1 = white frame
};

// images: [N,C,H,W] floats in [-1,1] (clamped), C = 1 (gray) or 3 (RGB). Throws FileError on write failure.
void write_png_grid(const std::string& path, const float* images, int64_t n, int c, int h, int w,
                    const GridOptions& opt = {});

// Converts [-1,1] floats to bytes with rounding and clamping.
uint8_t to_byte(float v);

// Writes interleaved 8-bit pixels (channels 1, 3 or 4) as PNG, atomically.
void write_png(const std::string& path, const uint8_t* pixels, int width, int height, int channels);

}  // namespace qdiff
