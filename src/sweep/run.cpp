// Running sweep cells: train, sample, evaluate, record; resumable and failure-tolerant.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/core/distributed.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/core/version.hpp"
#include "qdiff/diffusion/generate.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/diffusion/trainer.hpp"
#include "qdiff/eval/evaluate.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/io/png.hpp"
#include "qdiff/sweep/sweep.hpp"

namespace qdiff::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string cell_dir(const std::string& out, const Cell& c) { return out + "/cells/" + c.id; }

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The reference set of a plan, loaded once per process.
const ImageSet& reference_set(const SweepPlan& plan) {
  static std::mutex m;
  static std::map<std::string, ImageSet> cache;
  const std::string key = plan.eval.dump();
  std::lock_guard<std::mutex> lock(m);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  ImageSet ref = load_split(plan.eval["ref"].get<std::string>(), plan.eval.value("split", std::string("test")));
  ref = filter_classes(ref, plan.eval.value("classes", std::vector<int64_t>{}));
  const int64_t max_ref = plan.eval.value("max_ref", int64_t(5000));
  if (max_ref > 0 && ref.n > max_ref) {
    Rng rng(0);
    ref = take_subset(ref, max_ref, SubsetMode::Random, rng);
  }
  return cache.emplace(key, std::move(ref)).first->second;
}

// The resolved config of a cell: the base config, the plan's `set`, then the cell's overrides.
Config cell_config(const SweepPlan& plan, const Cell& cell) {
  Config cfg = Config::from_file(plan.base_config);
  for (auto it = plan.set.begin(); it != plan.set.end(); ++it) cfg.set_value(it.key(), it.value());
  for (auto it = cell.overrides.begin(); it != cell.overrides.end(); ++it) cfg.set_value(it.key(), it.value());
  return cfg;
}

// Under mpirun: cells are handed out dynamically through a shared counter (a process takes the
// next cell when it finishes one), the results are gathered on the first process, which
// aggregates. Training inside a cell runs in one process (not data parallel).
void run_sweep_distributed(const SweepPlan& plan, const std::string& out_dir) {
  Distributed::Counter counter;
  json mine = json::array();
  for (int64_t i = counter.next(); i < static_cast<int64_t>(plan.cells.size()); i = counter.next()) {
    const Cell& c = plan.cells[i];
    if (!finished_result(plan, out_dir, c).is_null()) continue;
    spdlog::warn("process {} runs cell {}", Distributed::rank(), c.id);
    const json r = run_cell(plan, c, out_dir);
    mine.push_back({{"id", c.id}, {"status", r["status"]}, {"rank", Distributed::rank()}});
  }
  const auto all = Distributed::gather_strings(mine.dump());
  if (Distributed::is_root()) {
    int64_t ran = 0, failed = 0;
    for (const auto& s : all)
      for (const auto& r : json::parse(s)) ++ran, failed += r["status"] != "ok";
    spdlog::info("sweep {}: {} processes ran {} cells ({} failed)", plan.name, Distributed::size(), ran, failed);
    aggregate(plan, out_dir);
  }
  Distributed::barrier();
}

}  // namespace

std::string config_mismatch(const SweepPlan& plan, const Cell& cell, const json& result) {
  const std::string had = result.value("config_hash", std::string()), want = cell_config(plan, cell).hash();
  return had == want ? "" : "hash " + (had.empty() ? std::string("none") : had) + ", the plan now gives " + want;
}

json finished_result(const SweepPlan& plan, const std::string& out_dir, const Cell& cell) {
  const std::string path = cell_dir(out_dir, cell) + "/result.json";
  if (!fs::exists(path)) return nullptr;
  json r;
  std::string mismatch;
  try {
    r = json::parse(read_file_text(path));
    mismatch = config_mismatch(plan, cell, r);
  } catch (const std::exception&) {
    return nullptr;  // unreadable, or the config is now invalid: run it (again) and record why
  }
  if (r.value("status", std::string()) != "ok") return nullptr;
  if (!mismatch.empty()) {
    spdlog::warn("cell {} in {} was run with a different resolved config ({}): running it again", cell.id, out_dir,
                 mismatch);
    return nullptr;
  }
  return r;
}

json run_cell(const SweepPlan& plan, const Cell& cell, const std::string& out_dir) {
  const std::string dir = cell_dir(out_dir, cell);
  json axes = json::object();
  for (const auto& [k, v] : cell.axes) axes[k] = v;
  json result = {{"id", cell.id}, {"axes", axes}, {"version", version()}};
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const Config cfg = cell_config(plan, cell);
    result["config_hash"] = cfg.hash();
    const RunOptions run = resolve_options(cfg);
    diffusion::TrainOptions topt;
    topt.out_dir = dir;
    topt.final_samples = false;
    topt.data_parallel = false;  // under mpirun each process trains its own cells
    const auto tr = diffusion::train(run, topt);
    result["train_seconds"] = tr.seconds;
    result["final_loss"] = tr.last_loss;

    const auto t1 = std::chrono::steady_clock::now();
    json sampling = json::object();
    if (plan.eval.contains("sampler")) sampling["sample.sampler"] = plan.eval["sampler"];
    if (plan.eval.contains("steps")) sampling["sample.steps"] = plan.eval["steps"];
    auto lm = hybrid::load_model(tr.model_path, true, sampling);
    const auto schedule = diffusion::make_schedule(lm.options.diffusion);
    auto noise = diffusion::make_noise_source(lm.options.diffusion, 0x5a3b1e ^ run.train.seed);
    const int64_t n = plan.eval.value("n_samples", int64_t(1000));
    ImageSet samples;
    samples.pixels = diffusion::generate_images(*lm.model, schedule, *noise, lm.options.sample, n,
                                                plan.eval.value("batch", 64));
    samples.n = n, samples.c = lm.in_channels, samples.h = samples.w = lm.image_size;
    samples.source = dir;
    GridOptions g;
    const int64_t shown = std::min<int64_t>(n, 64);
    write_png_grid(dir + "/samples.png", samples.pixels.data(), shown, samples.c, samples.h, samples.w, g);
    save_images_npz(dir + "/samples.npz", samples.pixels.data(), n, samples.c, samples.h, samples.w);

    eval::EvalOptions eopt;
    eopt.features = plan.eval.value("features", eval::default_feature_net(plan.eval["ref"].get<std::string>()));
    eopt.kid_subsets = plan.eval.value("kid_subsets", int64_t(100));
    eopt.fid_bootstrap = 20;
    result["metrics"] = eval::evaluate(samples, reference_set(plan), eopt);
    result["eval_seconds"] = since(t1);
    result["status"] = "ok";
  } catch (const std::exception& e) {
    result["status"] = "failed";
    result["error"] = e.what();
    spdlog::error("cell {} failed: {}", cell.id, e.what());
  }
  result["wall_seconds"] = since(t0);
  write_file_atomic(dir + "/result.json", result.dump(2) + "\n");
  return result;
}

void run_sweep(const SweepPlan& plan, const std::string& out_dir) {
  make_dirs(out_dir);
  if (Distributed::is_root())
    write_file_atomic(out_dir + "/plan.json", json({{"name", plan.name}, {"base", plan.base_config}, {"set", plan.set},
                                                    {"strategies", plan.strategies}, {"eval", plan.eval},
                                                    {"cells", plan.cells.size()}, {"version", version()}})
                                                  .dump(2) + "\n");
  if (Distributed::size() > 1) return run_sweep_distributed(plan, out_dir);
  std::vector<bool> finished;
  for (const auto& c : plan.cells) finished.push_back(!finished_result(plan, out_dir, c).is_null());
  const int64_t todo = std::count(finished.begin(), finished.end(), false);
  spdlog::info("sweep {}: {} cells, {} finished, {} to run, into {}", plan.name, plan.cells.size(),
               plan.cells.size() - todo, todo, out_dir);
  Progress bar("sweep", todo);
  int64_t done = 0, failed = 0;
  for (size_t i = 0; i < plan.cells.size(); ++i) {
    if (finished[i]) continue;
    const Cell& c = plan.cells[i];
    spdlog::info("cell {}/{}: {}", done + 1, todo, c.id);
    const json r = run_cell(plan, c, out_dir);
    failed += r["status"] != "ok";
    bar.update(++done, failed ? std::to_string(failed) + " failed" : "");
  }
  bar.finish();
  aggregate(plan, out_dir);
  if (failed) spdlog::warn("{} cell(s) failed; their errors are in results.csv (re-run the sweep to retry them)", failed);
}

}  // namespace qdiff::sweep
