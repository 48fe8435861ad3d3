// Any image source a user hands qdiff as samples or reference: a folder of PNG/JPEG images, an
// .npy array, an .npz (MedMNIST, Keras or qdiff samples keys) or an IDX file; with what was read
// (layout, value range, size) in words, so the user can check that qdiff read it as meant.
#pragma once
#include <string>

#include "qdiff/io/dataset.hpp"

namespace qdiff {

struct SourceReading {
  std::string kind;      // "folder of PNG/JPEG images", ".npy array", ".npz member train_images"
  ArrayReading array;    // layout and values as detected
  std::string text(const ImageSet& set) const;  // "500 images 28x28 grayscale from a .npy array: layout (N,H,W), values uint8 0..255"
};

// A directory -> read_image_folder; ".npy" -> the array; otherwise load_split(path, split).
// `format` resolves ambiguous arrays (a folder is always 8-bit 0..255, channels-last).
ImageSet load_images(const std::string& path, const std::string& split, const ArrayFormat& format = {},
                     SourceReading* seen = nullptr);

}  // namespace qdiff
