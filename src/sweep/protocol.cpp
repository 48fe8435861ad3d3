// The protocol measurement's report: FID against training steps per recipe and arm, with the
// training-set floor, from the JSON files `qdiff eval --json` wrote for scripts/study_protocol.sh.
//   runs_dir/<dataset>/<recipe>-<arm>-b<batch>/eval_<step>_<sampler><steps>_n<n>.json
//   runs_dir/<dataset>/<recipe>-<arm>-b<batch>/config.json   (the training run's resolved config)
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "internal.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/io/plot.hpp"

namespace qdiff::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct Measurement {
  std::string run;  // "<recipe>-<arm>-b<batch>"
  int64_t step = 0, sampler_steps = 0, n = 0;
  std::string sampler;
  json result;      // {"status": "ok", "metrics": <eval JSON>, "floor": {"metrics": ...}}
};

// The reference set an eval JSON was measured against: its path, split and classes, and the
// seeded subset of `n_reference` images `qdiff eval --max-ref` takes.
ImageSet reference_of(const json& report, const std::string& where) {
  const json& ref = report.at("reference");
  ImageSet set = filter_classes(load_split(ref.at("path").get<std::string>(), ref.at("split").get<std::string>()),
                                ref.value("classes", std::vector<int64_t>{}));
  const int64_t n_ref = report.at("n_reference").get<int64_t>();
  if (set.n < n_ref) throw FileError(where, "its reference set has " + std::to_string(n_ref) + " images, the data only " + std::to_string(set.n));
  if (set.n > n_ref) {
    Rng rng(report.value("seed", uint64_t(0)));
    set = take_subset(set, n_ref, SubsetMode::Random, rng);
  }
  return set;
}

// The floor of a run's training images, measured like its eval JSON `report`.
json protocol_floor(const std::string& run_dir, const json& report, const std::string& where) {
  const Config cfg = Config::from_file(run_dir + "/config.json");
  eval::EvalOptions opt;
  opt.ssim = false;
  opt.seed = report.value("seed", uint64_t(0));
  const std::string ref_path = report.at("reference").at("path").get<std::string>();
  const std::string features = report.value("features", std::string());
  opt.features = features == "pixels" ? "pixels" : eval::default_feature_net(ref_path);
  if (features != "pixels" && fs::path(opt.features).filename().string() != features)
    throw FileError(where, "measured with features '" + features + "', but the data's feature network is '" + opt.features + "'");
  if (report.contains("kid")) opt.kid_subsets = report["kid"].value("subsets", int64_t(100));
  const ImageSet train = load_training_images(resolve_options(cfg).data);
  return eval::evaluate(repeat_to(train, report.at("n_samples").get<int64_t>()), reference_of(report, where), opt);
}

std::vector<Measurement> read_dataset(const std::string& ds_dir, std::map<std::string, json>& floors) {
  static const std::regex name(R"(eval_(\d+)_([a-z]+)(\d+)_n(\d+)\.json)");
  std::vector<Measurement> out;
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(ds_dir))
    if (e.is_directory()) runs.push_back(e.path());
  std::sort(runs.begin(), runs.end());
  for (const auto& run : runs) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(run)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::smatch m;
      const std::string fname = f.filename().string();
      if (!std::regex_match(fname, m, name)) continue;
      Measurement x;
      x.run = run.filename().string();
      x.step = std::stoll(m[1]), x.sampler = m[2], x.sampler_steps = std::stoll(m[3]), x.n = std::stoll(m[4]);
      json report;
      try {
        report = json::parse(read_file_text(f.string()));
      } catch (const json::exception& e) {
        throw FileError(f.string(), std::string("not an eval JSON: ") + e.what());
      }
      x.result = {{"status", "ok"}, {"metrics", report}};
      // One floor per training config and measurement setting (sample count, reference).
      json cfg = json::parse(read_file_text(run.string() + "/config.json"));
      const std::string key = cfg["data"].dump() + report.value("reference", json()).dump() + std::to_string(x.n) +
                              std::to_string(report.value("n_reference", 0));
      if (!floors.count(key)) {
        spdlog::info("training-set floor for {} ({} samples)", run.string(), x.n);
        floors[key] = protocol_floor(run.string(), report, f.string());
      }
      x.result["floor"] = {{"metrics", floors[key]}};
      out.push_back(std::move(x));
    }
  }
  return out;
}

const Metric& metric(const std::string& name) {
  for (const auto& m : sweep_metrics())
    if (m.name == name) return m;
  throw InvalidArgument("no metric " + name);
}

}  // namespace

void protocol_report(const std::string& runs_dir, const std::string& out_dir) {
  if (!fs::is_directory(runs_dir)) throw FileError(runs_dir, "not a directory (expected the --out of scripts/study_protocol.sh)");
  std::vector<fs::path> datasets;
  for (const auto& e : fs::directory_iterator(runs_dir))
    if (e.is_directory()) datasets.push_back(e.path());
  std::sort(datasets.begin(), datasets.end());
  make_dirs(out_dir);
  std::ostringstream md;
  md << "# Protocol measurement\n\nFID (and the other metrics) of the EMA weights against training steps, N = 100, "
     << "from `" << runs_dir << "` (scripts/study_protocol.sh). Floor: the 100 training images themselves, repeated to "
     << "the sample count and measured the same way. FID (bias-corrected): the jackknife estimate and 95% interval of "
     << "`qdiff eval` (sampling uncertainty of the generated set, reference fixed).\n";
  std::map<std::string, json> floors;
  int64_t total = 0;
  for (const auto& ds_dir : datasets) {
    const std::string ds = ds_dir.filename().string();
    const auto ms = read_dataset(ds_dir.string(), floors);
    if (ms.empty()) continue;
    total += int64_t(ms.size());
    md << "\n## " << ds << "\n\n| run | step | sampler | samples | FID | FID (bias-corrected) [95% CI] | FID / floor | KID | "
       << "precision | recall | class entropy (bits) |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& x : ms) {
      const json& f = x.result["metrics"]["fid"];
      std::string corrected = "-";
      if (f.contains("jackknife"))
        corrected = fmt(f["jackknife"]["corrected"].get<double>()) + " [" + fmt(f["jackknife"]["ci95"][0].get<double>()) +
                    ", " + fmt(f["jackknife"]["ci95"][1].get<double>()) + "]";
      md << "| " << x.run << " | " << x.step << " | " << x.sampler << "-" << x.sampler_steps << " | " << x.n << " | "
         << fmt(metric_of(x.result, metric("fid"))) << " | " << corrected << " | "
         << fmt(metric_of(x.result, metric("fid_floor_ratio")), 3) << " | " << fmt(metric_of(x.result, metric("kid")))
         << " | " << fmt(metric_of(x.result, metric("precision")), 3) << " | "
         << fmt(metric_of(x.result, metric("recall")), 3) << " | " << fmt(metric_of(x.result, metric("class_entropy")), 3)
         << " |\n";
    }
    // The figure: the training curves (DDIM-50, the curve's sample count), one line per run.
    std::map<std::string, Series> curves;
    std::vector<std::string> order;
    double floor = NAN, x0 = INFINITY, x1 = -INFINITY;
    int64_t curve_n = 0;
    for (const auto& x : ms) curve_n = std::max(curve_n, x.n);
    for (const auto& x : ms) {
      if (x.sampler != "ddim" || x.sampler_steps != 50 || x.n != curve_n) continue;
      if (!curves.count(x.run)) order.push_back(x.run);
      Series& s = curves[x.run];
      s.label = x.run, s.markers = true;
      s.x.push_back(double(x.step)), s.y.push_back(metric_of(x.result, metric("fid")));
      x0 = std::min(x0, double(x.step)), x1 = std::max(x1, double(x.step));
      floor = x.result["floor"]["metrics"]["fid"]["value"].get<double>();
    }
    if (order.empty()) continue;
    std::vector<Series> list;
    for (const auto& run : order) {
      curves[run].rgb = palette_colour(list.size());
      list.push_back(curves[run]);
    }
    list.push_back(Series{"training-set floor (100 images)", {x0, x1}, {floor, floor}, {}, {110, 110, 110}, false, true});
    const PlotOptions po{ds + ": FID vs training steps (N = 100, DDIM-50, " + std::to_string(curve_n) + " samples)",
                         "training steps", "FID", 760, 460, false, false, {}};
    const std::string stem = out_dir + "/protocol_" + ds;
    write_line_plot(stem + ".png", list, po);
    write_line_plot(stem + ".svg", list, po);
    md << "\n![](protocol_" << ds << ".png) ([svg](protocol_" << ds << ".svg))\n";
  }
  if (total == 0)
    throw FileError(runs_dir, "no eval_<step>_<sampler><steps>_n<n>.json files under <dataset>/<run>/ (run scripts/study_protocol.sh first)");
  write_file_atomic(out_dir + "/protocol.md", md.str());
  spdlog::info("wrote {}/protocol.md and the protocol figures ({} measurements)", out_dir, total);
}

}  // namespace qdiff::sweep
