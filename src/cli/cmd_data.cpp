// `qdiff data FILE`: keys, shapes, dtypes, value ranges and label counts of an .npz or IDX file;
// `qdiff data import DIR`: a folder of images (one sub-folder per class) -> a training .npz.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "commands.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/io/data_import.hpp"
#include "qdiff/io/idx.hpp"
#include "qdiff/io/npz.hpp"

namespace qdiff::cli {
using json = nlohmann::json;
namespace {

bool is_label_array(const std::string& key, const NpyArray& a) {
  const bool integer = a.dtype != DType::F4 && a.dtype != DType::F8;
  const bool shape_ok = a.shape.size() == 1 || (a.shape.size() == 2 && a.shape[1] == 1);
  return integer && shape_ok && a.numel() > 0;
}

void describe(const std::string& key, const NpyArray& a, bool compressed_known, bool compressed) {
  std::printf("%-16s %-4s %-22s", key.c_str(), dtype_descr(a.dtype), a.shape_string().c_str());
  if (compressed_known) std::printf(" %-8s", compressed ? "deflate" : "stored");
  if (a.numel() > 0) {
    double mn = a.at(0), mx = a.at(0);
    for (int64_t i = 1; i < a.numel(); ++i) {
      const double v = a.at(i);
      mn = std::min(mn, v), mx = std::max(mx, v);
    }
    std::printf(" range %g..%g", mn, mx);
  }
  std::printf("\n");
  if (is_label_array(key, a)) {
    std::vector<int64_t> counts;
    for (int64_t i = 0; i < a.numel(); ++i) {
      const auto l = static_cast<int64_t>(a.at(i));
      if (l < 0 || l > 100000) { counts.clear(); break; }
      if (l >= static_cast<int64_t>(counts.size())) counts.resize(l + 1, 0);
      ++counts[l];
    }
    if (!counts.empty() && counts.size() <= 1000) {
      std::printf("%16s label counts:", "");
      for (size_t l = 0; l < counts.size(); ++l) std::printf(" %zu:%lld", l, static_cast<long long>(counts[l]));
      std::printf("\n");
    }
  }
}

void register_import(CLI::App& data) {
  auto* cmd = data.add_subcommand(
      "import", "Turn a folder of PNG/JPEG images (one sub-folder per class) into a training .npz with MedMNIST keys");
  struct Opts {
    std::string dir, out;
    ImportOptions opt;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("dir", o->dir, "image folder: DIR/<class>/*.png|jpg|jpeg (classes sorted by name give labels 0, 1, ...)")
      ->required();
  cmd->add_option("--out,-o", o->out, "output .npz (a manifest F.npz.json is written beside it)")->required();
  cmd->add_option("--size", o->opt.size, "images are resized to size x size")->capture_default_str()->check(CLI::Range(8, 1024));
  cmd->add_flag("--grayscale", o->opt.grayscale, "one channel (ITU-R 601-2 luma); default: RGB if any image is colour");
  cmd->add_option("--val", o->opt.val, "fraction of each class for the val split")->capture_default_str()->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--test", o->opt.test, "fraction of each class for the test split")->capture_default_str()->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--seed", o->opt.seed, "seed of the split")->capture_default_str();
  cmd->footer(std::string("Resizing: ") + kResizeMethod + ".");
  cmd->callback([o] {
    const json m = import_image_folder(o->dir, o->out, o->opt);
    const auto& classes = m["classes"];
    std::printf("%lld images from %s -> %dx%d %s, resized by %s\n", m["images"].get<long long>(), o->dir.c_str(),
                o->opt.size, o->opt.size, m["channels"] == 1 ? "grayscale" : "RGB", kResizeMethod);
    std::printf("%lld of them resized (%lld not square)\n", m["conversion"]["resized"].get<long long>(),
                m["conversion"]["not_square"].get<long long>());
    std::printf("%-6s %-24s %7s %7s %7s\n", "label", "class", "train", "val", "test");
    for (size_t k = 0; k < std::max<size_t>(classes.size(), 1); ++k)
      std::printf("%-6s %-24s %7lld %7lld %7lld\n", classes.empty() ? "-" : std::to_string(k).c_str(),
                  classes.empty() ? "(unlabelled)" : classes[k].get<std::string>().c_str(),
                  m["counts"]["train"][k].get<long long>(), m["counts"]["val"][k].get<long long>(),
                  m["counts"]["test"][k].get<long long>());
    std::printf("split: seed %llu, val %g, test %g, stratified per class\nwrote %s and %s\n",
                static_cast<unsigned long long>(o->opt.seed), o->opt.val, o->opt.test, o->out.c_str(),
                import_manifest_path(o->out).c_str());
    std::printf("train on it: qdiff train --config F --set data.path=%s; its feature network: qdiff features train "
                "--data %s --out FEATURES.bin\n", o->out.c_str(), o->out.c_str());
  });
}

// Class names from the manifest `qdiff data import` writes beside an .npz, if any.
void print_class_names(const std::string& npz) {
  const std::string manifest = import_manifest_path(npz);
  if (!std::filesystem::exists(manifest)) return;
  const json m = json::parse(read_file_text(manifest), nullptr, false);
  if (m.is_discarded() || !m.contains("classes") || !m["classes"].is_array()) return;
  std::printf("classes (from %s):", manifest.c_str());
  for (size_t k = 0; k < m["classes"].size(); ++k) std::printf(" %zu:%s", k, m["classes"][k].dump().c_str());
  std::printf("\n");
}

}  // namespace

void register_data(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "data", "Describe an .npz, .npy or IDX file (keys, shapes, dtypes, ranges, label counts); `data import` builds one");
  auto path = std::make_shared<std::string>();
  cmd->add_option("file", *path, "data file (.npz, .npy, or IDX, gzip or not)");
  register_import(*cmd);
  cmd->callback([cmd, path] {
    if (cmd->got_subcommand("import")) return;
    if (path->empty()) throw InvalidArgument("data needs a FILE to describe (or `data import DIR --out F.npz`)");
    std::printf("%s\n", path->c_str());
    if (looks_like_idx(*path)) {
      describe("(idx)", read_idx(*path), false, false);
    } else if (path->size() > 4 && path->substr(path->size() - 4) == ".npy") {
      describe("(npy)", read_npy_file(*path), false, false);
    } else {
      NpzFile z(*path);
      for (const auto& info : z.describe()) describe(info.key, z.read(info.key), true, info.compressed);
      print_class_names(*path);
    }
  });
}

}  // namespace qdiff::cli
