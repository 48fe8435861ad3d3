#include "qdiff/io/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "qdiff/core/error.hpp"
#include "qdiff/io/idx.hpp"
#include "qdiff/io/npz.hpp"
#include "qdiff/io/png.hpp"

namespace qdiff {

ImageSet ImageSet::select(const std::vector<int64_t>& idx) const {
  ImageSet out;
  out.n = static_cast<int64_t>(idx.size());
  out.c = c, out.h = h, out.w = w;
  out.source = source;
  const int64_t d = image_size();
  out.pixels.resize(static_cast<size_t>(out.n * d));
  for (size_t k = 0; k < idx.size(); ++k) {
    if (idx[k] < 0 || idx[k] >= n) throw InvalidArgument("ImageSet::select: index out of range");
    std::copy_n(image(idx[k]), d, out.pixels.data() + k * d);
    if (has_labels()) out.labels.push_back(labels[idx[k]]);
  }
  return out;
}

std::string ArrayReading::text() const { return "layout " + layout + ", values " + values; }

namespace {

// Which 4-d reading applies: true = channels-last. Throws when the format cannot fit the shape.
bool channels_last_4d(const std::vector<int64_t>& s, ArrayLayout layout, const std::string& where,
                      const std::string& shape, bool* ambiguous) {
  const bool last = s[3] == 1 || s[3] == 3, first = s[1] == 1 || s[1] == 3;
  if (layout == ArrayLayout::ChannelsLast && !last)
    throw FileError(where, "channels-last (N,H,W,C) needs C = 1 or 3, got shape " + shape);
  if (layout == ArrayLayout::ChannelsFirst && !first)
    throw FileError(where, "channels-first (N,C,H,W) needs C = 1 or 3, got shape " + shape);
  if (layout != ArrayLayout::Auto) return layout == ArrayLayout::ChannelsLast;
  if (!last && !first)
    throw FileError(where, "images must have shape (N,H,W), (N,H,W,1|3) or (N,1|3,H,W), got " + shape);
  *ambiguous = last && first;
  return last;
}

std::string float_range_name(DType t, bool unit) {
  return std::string(t == DType::F4 ? "float32" : "float64") + (unit ? " in [0,1]" : " in [-1,1]");
}

}  // namespace

ImageSet images_from_array(const NpyArray& a, const std::string& where, const ArrayFormat& format,
                           ArrayReading* seen) {
  const auto& s = a.shape;
  ImageSet set;
  set.source = where;
  ArrayReading reading;
  bool channels_last = true;
  if (s.size() == 3) {
    set.n = s[0], set.h = int(s[1]), set.w = int(s[2]), set.c = 1;
    reading.layout = "(N,H,W)";
  } else if (s.size() == 4) {
    channels_last = channels_last_4d(s, format.layout, where, a.shape_string(), &reading.ambiguous_layout);
    if (channels_last) set.n = s[0], set.h = int(s[1]), set.w = int(s[2]), set.c = int(s[3]);
    else set.n = s[0], set.c = int(s[1]), set.h = int(s[2]), set.w = int(s[3]);
    reading.layout = channels_last ? "(N,H,W,C) channels-last" : "(N,C,H,W) channels-first";
  } else {
    throw FileError(where, "images must have shape (N,H,W), (N,H,W,1|3) or (N,1|3,H,W), got " + a.shape_string());
  }
  if (set.n == 0) throw FileError(where, "holds no images (shape " + a.shape_string() + ")");
  if (set.h <= 0 || set.w <= 0 || set.h > 4096 || set.w > 4096)
    throw FileError(where, "implausible image size in shape " + a.shape_string());
  const std::vector<float> raw = a.to_float();
  const auto [mn_it, mx_it] = std::minmax_element(raw.begin(), raw.end());
  const float mn = *mn_it, mx = *mx_it;
  if (!std::isfinite(mn) || !std::isfinite(mx)) throw FileError(where, "images contain NaN or Inf");
  const std::string found = ", found " + std::to_string(mn) + ".." + std::to_string(mx);
  float scale, offset;  // v' = v * scale + offset
  const bool integer = a.dtype != DType::F4 && a.dtype != DType::F8;
  if (integer) {
    if (mn < 0 || mx > 255) throw FileError(where, "integer images must lie in 0..255" + found);
    scale = 2.0f / 255.0f, offset = -1.0f;
    reading.values = std::string(a.dtype == DType::U1 ? "uint8" : "integer") + " 0..255";
  } else {
    if (mn < -1.0f || mx > 1.0f) throw FileError(where, "float images must lie in [0,1] or [-1,1]" + found);
    const bool unit = format.range == ValueRange::Unit || (format.range == ValueRange::Auto && mn >= 0.0f);
    if (unit && mn < 0.0f) throw FileError(where, "float images read as [0,1] must not be negative" + found);
    scale = unit ? 2.0f : 1.0f, offset = unit ? -1.0f : 0.0f;
    reading.values = float_range_name(a.dtype, unit);
  }
  if (seen) *seen = reading;
  const int64_t hw = int64_t(set.h) * set.w;
  set.pixels.resize(raw.size());
  for (int64_t i = 0; i < set.n; ++i)
    for (int ch = 0; ch < set.c; ++ch)
      for (int64_t p = 0; p < hw; ++p) {
        const size_t src = channels_last ? static_cast<size_t>((i * hw + p) * set.c + ch)
                                         : static_cast<size_t>((i * set.c + ch) * hw + p);
        set.pixels[static_cast<size_t>((i * set.c + ch) * hw + p)] = raw[src] * scale + offset;
      }
  return set;
}

namespace {

std::vector<int64_t> labels_from_array(const NpyArray& a, int64_t n, const std::string& where) {
  const bool ok = (a.shape.size() == 1) || (a.shape.size() == 2 && a.shape[1] == 1);
  if (!ok) throw FileError(where, "labels must have shape (N,) or (N,1), got " + a.shape_string());
  if (a.shape[0] != n)
    throw FileError(where, "has " + std::to_string(a.shape[0]) + " labels but there are " + std::to_string(n) +
                               " images");
  if (a.dtype == DType::F4 || a.dtype == DType::F8) throw FileError(where, "labels must be integers");
  auto v = a.to_int64();
  for (auto x : v)
    if (x < 0) throw FileError(where, "negative label " + std::to_string(x));
  return v;
}

SplitKeys find_keys(const NpzFile& z, const std::string& split) {
  const std::vector<SplitKeys> candidates = {
      {split + "_images", split + "_labels"},
      {"x_" + split, "y_" + split},
  };
  for (const auto& k : candidates)
    if (z.has(k.images)) return {k.images, z.has(k.labels) ? k.labels : ""};
  if (z.has("images")) return {"images", z.has("labels") ? "labels" : ""};  // a qdiff samples file
  std::string have;
  for (const auto& k : z.keys()) have += (have.empty() ? "" : ", ") + k;
  throw FileError(z.path(), "no images for split '" + split + "' (looked for " + split + "_images, x_" + split +
                                ", images; file has: " + have + ")");
}

std::string idx_labels_path(const std::string& images_path) {
  std::string p = images_path;
  const auto pos = p.find("images-idx3");
  if (pos == std::string::npos) return "";
  p.replace(pos, 11, "labels-idx1");
  return p;
}

}  // namespace

ImageSet load_split(const std::string& path, const std::string& split, const ArrayFormat& format,
                    ArrayReading* seen) {
  if (looks_like_idx(path)) {
    ImageSet set = images_from_array(read_idx(path), path, format, seen);
    const std::string lp = idx_labels_path(path);
    if (!lp.empty() && std::filesystem::exists(lp)) set.labels = labels_from_array(read_idx(lp), set.n, lp);
    return set;
  }
  NpzFile z(path);
  const SplitKeys keys = find_keys(z, split);
  ImageSet set = images_from_array(z.read(keys.images), path + "[" + keys.images + "]", format, seen);
  if (!keys.labels.empty()) set.labels = labels_from_array(z.read(keys.labels), set.n, path + "[" + keys.labels + "]");
  return set;
}

ImageSet filter_classes(const ImageSet& set, const std::vector<int64_t>& classes) {
  if (classes.empty()) return set;
  if (!set.has_labels()) throw InvalidArgument(set.source + ": a class filter needs labels, and this set has none");
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < set.n; ++i)
    if (std::find(classes.begin(), classes.end(), set.labels[i]) != classes.end()) keep.push_back(i);
  if (keep.empty()) throw InvalidArgument(set.source + ": no image has one of the requested classes");
  return set.select(keep);
}

ImageSet take_subset(const ImageSet& set, int64_t n, SubsetMode mode, Rng& rng) {
  if (n < 0 || n > set.n)
    throw InvalidArgument(set.source + ": asked for " + std::to_string(n) + " images but only " +
                          std::to_string(set.n) + " are available");
  if (n == 0) n = set.n;
  const std::vector<int64_t> perm = rng.permutation(set.n);
  if (mode == SubsetMode::Random || !set.has_labels())
    return set.select(std::vector<int64_t>(perm.begin(), perm.begin() + n));
  // Balanced: per-class queues in shuffled order; classes take turns in a seeded order.
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (auto i : perm) by_class[set.labels[i]].push_back(i);
  std::vector<std::vector<int64_t>*> queues;
  for (auto& [label, q] : by_class) queues.push_back(&q);
  const auto order = rng.permutation(static_cast<int64_t>(queues.size()));
  std::vector<size_t> next(queues.size(), 0);
  std::vector<int64_t> chosen;
  while (static_cast<int64_t>(chosen.size()) < n) {
    for (auto qi : order) {
      if (static_cast<int64_t>(chosen.size()) == n) break;
      auto& q = *queues[qi];
      if (next[qi] < q.size()) chosen.push_back(q[next[qi]++]);
    }
  }
  return set.select(chosen);
}

ImageSet load_training_images(const DataOptions& data) {
  ImageSet all = load_split(data.path, data.split);
  ImageSet kept = filter_classes(all, data.classes);
  Rng rng(data.seed);
  return take_subset(kept, data.n, data.subset, rng);
}

void save_images_npz(const std::string& path, const float* pixels, int64_t n, int c, int h, int w,
                     const std::vector<int64_t>& labels) {
  const int64_t hw = int64_t(h) * w;
  std::vector<uint8_t> bytes(static_cast<size_t>(n * c * hw));
  for (int64_t i = 0; i < n; ++i)
    for (int ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        bytes[static_cast<size_t>((i * hw + p) * c + ch)] = to_byte(pixels[(i * c + ch) * hw + p]);
  std::vector<int64_t> shape = {n, h, w};
  if (c != 1) shape.push_back(c);
  std::vector<std::pair<std::string, NpyArray>> arrays = {{"images", NpyArray::from_u8(shape, std::move(bytes))}};
  if (!labels.empty()) arrays.emplace_back("labels", NpyArray::from_i64({static_cast<int64_t>(labels.size())}, labels));
  write_npz(path, arrays);
}

std::vector<std::pair<int64_t, int64_t>> label_counts(const std::vector<int64_t>& labels) {
  std::map<int64_t, int64_t> m;
  for (auto l : labels) ++m[l];
  return {m.begin(), m.end()};
}

}  // namespace qdiff
