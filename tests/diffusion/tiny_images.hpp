// Random 8x8 grayscale images in [-1, 1] for the training tests of tests/diffusion.
#pragma once
#include "qdiff/core/rng.hpp"
#include "qdiff/io/dataset.hpp"

namespace qdiff::test {

inline ImageSet tiny_images(int n) {
  ImageSet s;
  s.n = n, s.c = 1, s.h = s.w = 8;
  Rng rng(3);
  for (int64_t i = 0; i < s.n * s.image_size(); ++i) s.pixels.push_back(static_cast<float>(rng.uniform() * 2 - 1));
  return s;
}

}  // namespace qdiff::test
