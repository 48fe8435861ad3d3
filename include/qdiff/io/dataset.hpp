// Image data sets as float NCHW in [-1, 1], with labels, split and class selection, and the
// seeded exact-size subsets the low-data experiments depend on.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "qdiff/core/options.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/io/npy.hpp"

namespace qdiff {

struct ImageSet {
  int64_t n = 0;
  int c = 0, h = 0, w = 0;
  std::vector<float> pixels;    // [N,C,H,W] in [-1, 1]
  std::vector<int64_t> labels;  // [N], empty when the source has none
  std::string source;           // "data/mnist.npz[x_train]"

  int64_t image_size() const { return int64_t(c) * h * w; }
  const float* image(int64_t i) const { return pixels.data() + i * image_size(); }
  bool has_labels() const { return !labels.empty(); }
  // Images i in `indices`, in that order.
  ImageSet select(const std::vector<int64_t>& indices) const;
};

// How to read an image array whose layout or value range could be taken two ways.
// Auto layout: a 4-d shape (N,a,b,c) is channels-last when c is 1 or 3, else channels-first when
// a is 1 or 3; when both are (e.g. (N,3,3,3)) channels-last wins (numpy/PIL order, and qdiff's own
// samples) and the reading says the shape was ambiguous. Auto range: float values are in [0,1]
// when none is negative, else in [-1,1]. Integer arrays are always 0..255.
enum class ArrayLayout { Auto, ChannelsLast, ChannelsFirst };
enum class ValueRange { Auto, Unit, Symmetric };  // float arrays: [0,1] or [-1,1]
struct ArrayFormat {
  ArrayLayout layout = ArrayLayout::Auto;
  ValueRange range = ValueRange::Auto;
};
// What images_from_array found, in words for the user.
struct ArrayReading {
  std::string layout;             // "(N,H,W)", "(N,H,W,C) channels-last", "(N,C,H,W) channels-first"
  std::string values;             // "uint8 0..255", "float32 in [0,1]", "float64 in [-1,1]"
  bool ambiguous_layout = false;  // both 4-d readings were possible and `layout` was Auto
  std::string text() const;       // "layout (N,H,W,C) channels-last, values uint8 0..255"
};

// Converts an image array to NCHW floats in [-1,1]. Accepts (N,H,W), (N,H,W,1|3) channels-last
// and (N,1|3,H,W) (see ArrayFormat for shapes that fit both). Integer dtypes must lie in 0..255;
// float arrays in [0,1] or [-1,1]. `where` names the source in errors; `seen` (optional) receives
// what was detected.
ImageSet images_from_array(const NpyArray& a, const std::string& where, const ArrayFormat& format = {},
                           ArrayReading* seen = nullptr);

// Array keys for a split in a file: MedMNIST (train_images/train_labels), Keras
// (x_train/y_train) or a qdiff samples file (images/labels). Empty label key if none.
struct SplitKeys {
  std::string images, labels;
};

// Loads images and labels of `split` ("train", "val", "test") from an .npz, or an IDX images
// file (whose labels file is found by name: *-images-idx3-* -> *-labels-idx1-*; split ignored).
// Throws FileError naming the file and the keys it has when the split is missing.
ImageSet load_split(const std::string& path, const std::string& split, const ArrayFormat& format = {},
                    ArrayReading* seen = nullptr);

// Keeps only images whose label is in `classes` (empty = keep all).
ImageSet filter_classes(const ImageSet& set, const std::vector<int64_t>& classes);

// Exactly n images (n = 0 or n = set.n: all, in shuffled order), chosen with `rng`.
// Balanced: classes take turns (in a seeded random class order), so counts differ by at most one
// unless a class runs out, when the others fill in. Throws InvalidArgument if n > set.n.
ImageSet take_subset(const ImageSet& set, int64_t n, SubsetMode mode, Rng& rng);

// The training images the data options describe: path, split, classes, then exactly n images
// (subset random|balanced, seeded by seed).
ImageSet load_training_images(const DataOptions& data);

// Saves images [N,C,H,W] in [-1,1] as an .npz with key "images", uint8, shape (N,H,W) for C = 1
// or (N,H,W,C) channels-last otherwise (what numpy users and `qdiff eval` expect), plus "labels"
// when given.
void save_images_npz(const std::string& path, const float* pixels, int64_t n, int c, int h, int w,
                     const std::vector<int64_t>& labels = {});

// Label -> count, in label order.
std::vector<std::pair<int64_t, int64_t>> label_counts(const std::vector<int64_t>& labels);

}  // namespace qdiff
