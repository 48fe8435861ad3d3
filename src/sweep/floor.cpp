// The training-set floor: the N training images themselves, measured as if they were samples.
// A generator that reproduced its training set exactly would score this; the cells' FIDs are
// read as a ratio to it.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "internal.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/options.hpp"

namespace qdiff::sweep {

ImageSet repeat_to(const ImageSet& training, int64_t n) {
  if (training.n == 0) throw InvalidArgument(training.source + ": no training images to repeat");
  ImageSet out;
  out.n = n, out.c = training.c, out.h = training.h, out.w = training.w;
  out.source = training.source + " (training images repeated to " + std::to_string(n) + ")";
  const int64_t d = training.image_size();
  out.pixels.resize(static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i) std::copy_n(training.image(i % training.n), d, out.pixels.data() + i * d);
  if (training.has_labels())
    for (int64_t i = 0; i < n; ++i) out.labels.push_back(training.labels[i % training.n]);
  return out;
}

nlohmann::json training_floor(const SweepPlan& plan, const Config& cfg) {
  eval::EvalOptions opt = eval_options(plan);
  opt.ssim = false;
  const ImageSet train = load_training_images(resolve_options(cfg).data);
  return eval::evaluate(repeat_to(train, plan.eval.value("n_samples", int64_t(1000))), reference_set(plan), opt);
}

}  // namespace qdiff::sweep

namespace qdiff::sweep {

nlohmann::json training_floors(const SweepPlan& plan, const std::string& out_dir) {
  using json = nlohmann::json;
  const std::string path = out_dir + "/floors.json";
  json cache = json::object();
  try {
    cache = json::parse(read_file_text(path));
    if (cache.value("eval", json()) != plan.eval) cache = json::object();  // other eval settings: stale
  } catch (const std::exception&) {
  }
  json floors = cache.value("floors", json::object());  // data config -> floor
  json by_cell = json::object();
  bool changed = false;
  for (const auto& c : plan.cells) {
    json& entry = by_cell[c.id];
    try {
      const Config cfg = cell_config(plan, c);
      const std::string key = cfg.resolved()["data"].dump();
      if (!floors.contains(key)) {
        spdlog::info("training-set floor for data {}", key);
        const json m = training_floor(plan, cfg);
        floors[key] = {{"data", cfg.resolved()["data"]}, {"metrics", m}};
        changed = true;
      }
      entry = floors[key];
    } catch (const std::exception& e) {  // e.g. more images asked for than the split has
      entry = {{"error", e.what()}};
    }
  }
  if (changed) write_file_atomic(path, json({{"eval", plan.eval}, {"floors", floors}}).dump(2) + "\n");
  return by_cell;
}

}  // namespace qdiff::sweep
