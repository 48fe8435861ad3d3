// Bring your own data: a folder of PNG/JPEG images (one sub-folder per class, as torchvision's
// ImageFolder) becomes a training .npz with MedMNIST keys and a seeded, stratified
// train/val/test split, which `--set data.path=F.npz` trains on and `qdiff features train` reads.
//
// Written: F.npz with train_images, train_labels, val_images, val_labels, test_images,
// test_labels (images uint8 (N,S,S) grayscale or (N,S,S,3) RGB; labels int64 (N,1); no label keys
// for an unlabelled folder), and beside it F.npz.json: class names (label = index), the split, how
// images were converted and the source file of every image, in order.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qdiff/io/image_folder.hpp"

namespace qdiff {

struct ImportOptions {
  int size = 28;           // output images are size x size
  bool grayscale = false;  // convert every image to one channel
  double val = 0.1, test = 0.2;  // fractions of each class for the val and test splits
  uint64_t seed = 0;       // seed of the split
};

// How images are resized, in words (printed and stored in the manifest).
extern const char* const kResizeMethod;

// Resizes to size x size (aspect ratio not kept) with stb_image_resize, per axis: box filter
// (area average) where the axis shrinks, triangle filter (bilinear) where it grows; 8-bit values
// treated as linear, edges clamped. An image already size x size is returned unchanged.
Image8 resize_image(const Image8& img, int size);
// RGB -> one channel with the ITU-R 601-2 luma weights in PIL's fixed point (convert("L")):
// L = (19595 R + 38470 G + 7471 B + 32768) >> 16. A grayscale image is returned unchanged.
Image8 to_grayscale(const Image8& img);
// Grayscale -> RGB by repeating the channel. An RGB image is returned unchanged.
Image8 to_rgb(const Image8& img);

enum class Split : uint8_t { Train = 0, Val = 1, Test = 2 };
// Per class (all images one class when `labels` is empty), a seeded shuffle sends
// round(test * n_c) images to test, round(val * n_c) to val and the rest to train, never leaving
// a class without a training image. Returns the split of every image.
std::vector<Split> stratified_split(const std::vector<int64_t>& labels, int64_t n, double val, double test,
                                    uint64_t seed);

// The manifest written beside an imported .npz: "F.npz" -> "F.npz.json".
std::string import_manifest_path(const std::string& npz_path);

// Reads `dir`, converts, splits and writes `out_npz` and its manifest (atomically). Returns the
// manifest. Throws FileError naming the folder or file on bad input (see scan_class_folders and
// read_image), InvalidArgument on bad options.
nlohmann::json import_image_folder(const std::string& dir, const std::string& out_npz, const ImportOptions& opt);

}  // namespace qdiff
