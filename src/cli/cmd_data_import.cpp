// `qdiff data import DIR --out F.npz`: a folder of images (one sub-folder per class, as
// torchvision's ImageFolder) -> a training .npz with MedMNIST keys and a stratified split.
#include <algorithm>
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "qdiff/io/data_import.hpp"

namespace qdiff::cli {
using json = nlohmann::json;

void register_data_import(CLI::App& data) {
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

}  // namespace qdiff::cli
