#include "qdiff/io/data_import.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/io/npz.hpp"

#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"  // the static copy defines more than this file uses
#include <stb_image_resize.h>
#pragma GCC diagnostic pop

namespace qdiff {
namespace fs = std::filesystem;
using json = nlohmann::json;

const char* const kResizeMethod =
    "stb_image_resize to size x size (aspect ratio not kept): box filter (area average) on an axis that shrinks, "
    "triangle filter (bilinear) on an axis that grows; 8-bit values as linear, edges clamped";

Image8 resize_image(const Image8& img, int size) {
  if (size < 1) throw InvalidArgument("resize_image: size must be positive");
  if (img.w == size && img.h == size) return img;
  Image8 out{size, size, img.c, std::vector<uint8_t>(static_cast<size_t>(size) * size * img.c)};
  auto filter = [size](int from) { return size > from ? STBIR_FILTER_TRIANGLE : STBIR_FILTER_BOX; };  // grows : shrinks
  const int ok = stbir_resize(img.pixels.data(), img.w, img.h, 0, out.pixels.data(), size, size, 0, STBIR_TYPE_UINT8,
                              img.c, STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP, STBIR_EDGE_CLAMP, filter(img.w),
                              filter(img.h), STBIR_COLORSPACE_LINEAR, nullptr);
  if (!ok) throw InvalidArgument("resize_image: stb_image_resize failed");
  return out;
}

Image8 to_grayscale(const Image8& img) {
  if (img.c == 1) return img;
  Image8 out{img.w, img.h, 1, std::vector<uint8_t>(static_cast<size_t>(img.w) * img.h)};
  for (size_t p = 0; p < out.pixels.size(); ++p) {
    const uint8_t* rgb = img.pixels.data() + 3 * p;
    out.pixels[p] = static_cast<uint8_t>((19595u * rgb[0] + 38470u * rgb[1] + 7471u * rgb[2] + 32768u) >> 16);
  }
  return out;
}

Image8 to_rgb(const Image8& img) {
  if (img.c == 3) return img;
  Image8 out{img.w, img.h, 3, std::vector<uint8_t>(img.pixels.size() * 3)};
  for (size_t p = 0; p < img.pixels.size(); ++p) out.pixels[3 * p] = out.pixels[3 * p + 1] = out.pixels[3 * p + 2] = img.pixels[p];
  return out;
}

std::vector<Split> stratified_split(const std::vector<int64_t>& labels, int64_t n, double val, double test,
                                    uint64_t seed) {
  if (!(val >= 0 && test >= 0 && val + test < 1))
    throw InvalidArgument("split fractions must be >= 0 with val + test < 1, got val " + std::to_string(val) +
                          " and test " + std::to_string(test));
  if (!labels.empty() && static_cast<int64_t>(labels.size()) != n)
    throw InvalidArgument("stratified_split: " + std::to_string(labels.size()) + " labels for " + std::to_string(n) + " images");
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < n; ++i) by_class[labels.empty() ? 0 : labels[static_cast<size_t>(i)]].push_back(i);
  std::vector<Split> out(static_cast<size_t>(n), Split::Train);
  Rng rng(seed);
  for (auto& [label, members] : by_class) {
    const int64_t nc = static_cast<int64_t>(members.size());
    int64_t n_test = std::llround(test * static_cast<double>(nc)), n_val = std::llround(val * static_cast<double>(nc));
    while (n_test + n_val >= nc && n_val > 0) --n_val;  // keep a training image
    while (n_test + n_val >= nc && n_test > 0) --n_test;
    const std::vector<int64_t> order = rng.permutation(nc);
    for (int64_t k = 0; k < n_test + n_val; ++k)
      out[static_cast<size_t>(members[static_cast<size_t>(order[static_cast<size_t>(k)])])] = k < n_test ? Split::Test : Split::Val;
  }
  return out;
}

std::string import_manifest_path(const std::string& npz_path) { return npz_path + ".json"; }

namespace {

constexpr const char* kSplitNames[] = {"train", "val", "test"};

// The images and labels of one split as .npz members, in file order.
void add_split(std::vector<std::pair<std::string, NpyArray>>& arrays, const std::string& name,
               const std::vector<Image8>& images, const std::vector<int64_t>& labels, const std::vector<size_t>& members,
               int size, int channels) {
  const int64_t n = static_cast<int64_t>(members.size());
  const size_t per = static_cast<size_t>(size) * size * channels;
  std::vector<uint8_t> bytes(per * members.size());  // [N,S,S(,3)]
  std::vector<int64_t> lab;
  for (size_t k = 0; k < members.size(); ++k) {
    std::copy(images[members[k]].pixels.begin(), images[members[k]].pixels.end(), bytes.begin() + static_cast<std::ptrdiff_t>(per * k));
    if (!labels.empty()) lab.push_back(labels[members[k]]);
  }
  std::vector<int64_t> shape = {n, size, size};
  if (channels == 3) shape.push_back(3);
  arrays.emplace_back(name + "_images", NpyArray::from_u8(shape, std::move(bytes)));
  if (!labels.empty()) arrays.emplace_back(name + "_labels", NpyArray::from_i64({n, 1}, lab));
}

std::string relative_to(const std::string& path, const std::string& dir) {
  return fs::path(path).lexically_relative(dir).generic_string();
}

}  // namespace

json import_image_folder(const std::string& dir, const std::string& out_npz, const ImportOptions& opt) {
  if (opt.size < 8 || opt.size > 1024) throw InvalidArgument("--size must be 8..1024, got " + std::to_string(opt.size));
  if (opt.size % 4 != 0)
    spdlog::warn("--size {} is not divisible by 4: the U-Nets (paper arch, or 3 resolution levels) need a multiple of 4",
                 opt.size);
  const ClassFolders found = scan_class_folders(dir);
  if (!found.loose.empty())
    spdlog::warn("{}: {} image(s) directly in the folder are left out (as torchvision's ImageFolder does): only class "
                 "sub-folders are read, e.g. {}", dir, found.loose.size(), found.loose[0]);
  if (!found.other.empty())
    spdlog::info("{}: {} file(s) that are not .png/.jpg/.jpeg skipped, e.g. {}", dir, found.other.size(), found.other[0]);
  if (found.classes.empty())
    spdlog::warn("{}: no class sub-folders: an unlabelled data set (the feature network behind FID needs labels)", dir);

  // Read, convert channels, resize; the colour decision waits until every image is read.
  std::vector<Image8> images;
  images.reserve(found.files.size());
  int64_t colour = 0, resized = 0, not_square = 0;
  for (const auto& path : found.files) {
    Image8 img = read_image(path);
    colour += img.c == 3;
    not_square += img.w != img.h;
    resized += img.w != opt.size || img.h != opt.size;
    if (opt.grayscale) img = to_grayscale(img);
    images.push_back(resize_image(img, opt.size));
  }
  const int channels = opt.grayscale || colour == 0 ? 1 : 3;
  const int64_t n = static_cast<int64_t>(images.size());
  if (channels == 3 && colour < n)
    spdlog::info("{} of {} images are grayscale: their channel is repeated into RGB (pass --grayscale for one channel)",
                 n - colour, n);
  if (channels == 3)
    for (auto& img : images) img = to_rgb(img);

  const std::vector<Split> split = stratified_split(found.labels, n, opt.val, opt.test, opt.seed);
  std::vector<std::vector<size_t>> members(3);
  for (size_t i = 0; i < split.size(); ++i) members[static_cast<size_t>(split[i])].push_back(i);
  std::vector<std::pair<std::string, NpyArray>> arrays;
  json files = json::object(), counts = json::object();
  const size_t n_classes = std::max<size_t>(found.classes.size(), 1);
  for (int s = 0; s < 3; ++s) {
    add_split(arrays, kSplitNames[s], images, found.labels, members[s], opt.size, channels);
    json list = json::array();
    std::vector<int64_t> per_class(n_classes, 0);
    for (size_t i : members[s]) {
      list.push_back(relative_to(found.files[i], dir));
      ++per_class[found.labels.empty() ? 0 : static_cast<size_t>(found.labels[i])];
    }
    files[kSplitNames[s]] = list;
    counts[kSplitNames[s]] = per_class;
    if (members[s].empty() && (s == 0 || (s == 1 ? opt.val : opt.test) > 0))
      spdlog::warn("the {} split is empty: too few images for the fractions asked for", kSplitNames[s]);
  }
  write_npz(out_npz, arrays);

  json manifest = {
      {"source", fs::absolute(dir).lexically_normal().string()},
      {"images", n},
      {"classes", found.classes},
      {"counts", counts},
      {"size", opt.size},
      {"channels", channels},
      {"conversion",
       {{"resize", kResizeMethod},
        {"resized", resized},
        {"not_square", not_square},
        {"to_grayscale", opt.grayscale ? colour : 0},
        {"gray_to_rgb", channels == 3 ? n - colour : 0}}},
      {"split",
       {{"val", opt.val}, {"test", opt.test}, {"seed", opt.seed},
        {"method", "per class: a seeded shuffle, round(test * n) to test, round(val * n) to val, the rest to train"}}},
      {"files", files},
      {"version", version()}};
  write_file_atomic(import_manifest_path(out_npz), manifest.dump(2) + "\n");
  return manifest;
}

}  // namespace qdiff
