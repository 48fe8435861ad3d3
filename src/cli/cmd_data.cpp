// `qdiff data FILE`: keys, shapes, dtypes, value ranges and label counts of an .npz or IDX file
// (`qdiff data import` lives in cmd_data_import.cpp).
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
  register_data_import(*cmd);
  cmd->callback([cmd, path] {
    if (cmd->got_subcommand("import")) return;
    if (path->empty()) throw InvalidArgument("data needs a FILE to describe (or `data import DIR --out F.npz`)");
    // The file is opened (and an .npz's headers read) before anything is printed, so a file that
    // is missing or of the wrong kind gives the one error line alone.
    if (looks_like_idx(*path)) {
      const NpyArray a = read_idx(*path);
      std::printf("%s\n", path->c_str());
      describe("(idx)", a, false, false);
    } else if (path->size() > 4 && path->substr(path->size() - 4) == ".npy") {
      const NpyArray a = read_npy_file(*path);
      std::printf("%s\n", path->c_str());
      describe("(npy)", a, false, false);
    } else {
      NpzFile z(*path);
      const auto members = z.describe();
      std::printf("%s\n", path->c_str());
      for (const auto& info : members) describe(info.key, z.read(info.key), true, info.compressed);
      print_class_names(*path);
    }
  });
}

}  // namespace qdiff::cli
