// Running sweep cells: train, sample, evaluate, record; resumable and failure-tolerant.
#include <spdlog/spdlog.h>

#include <fnmatch.h>

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
#include "qdiff/eval/ssim.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/io/png.hpp"
#include "qdiff/nn/checkpoint.hpp"
#include "internal.hpp"
#include "qdiff/sweep/sweep.hpp"

namespace qdiff::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::string cell_dir(const std::string& out, const Cell& c) { return out + "/cells/" + c.id; }

json axes_of(const Cell& c) {
  json a = json::object();
  for (const auto& [k, v] : c.axes) a[k] = v;
  return a;
}

void write_cell_config(const std::string& dir, const Config& cfg) {
  json resolved = cfg.resolved();
  resolved["version"] = version();
  write_file_atomic(dir + "/config.json", resolved.dump(2) + "\n");
}

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

eval::EvalOptions eval_options(const SweepPlan& plan) {
  eval::EvalOptions eopt;
  eopt.features = plan.eval.value("features", eval::default_feature_net(plan.eval["ref"].get<std::string>()));
  eopt.kid_subsets = plan.eval.value("kid_subsets", int64_t(100));
  return eopt;
}

Config cell_config(const SweepPlan& plan, const Cell& cell) {
  Config cfg = Config::from_file(plan.base_config);
  for (auto it = plan.set.begin(); it != plan.set.end(); ++it) cfg.set_value(it.key(), it.value());
  for (auto it = cell.overrides.begin(); it != cell.overrides.end(); ++it) cfg.set_value(it.key(), it.value());
  return cfg;
}

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The cell's checkpoints ckpt_<step>.bin, oldest first (the names are zero-padded).
std::vector<std::string> checkpoints_in(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("ckpt_", 0) == 0 && e.path().extension() == ".bin") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Where the cell's training stands: its final model (training done), its latest checkpoint
// (resume from there), or nothing. Files of another config (a changed plan) or unreadable ones
// are removed with a warning, so that a cell never continues another config's run.
struct TrainingState {
  std::string model;   // model.bin of this config ("" = none)
  std::string resume;  // latest usable checkpoint ("" = start from zero)
  double final_loss = 0;
};
TrainingState training_state(const std::string& dir, const Config& train_cfg) {
  TrainingState st;
  auto usable = [&](const std::string& path, double* loss) {
    try {
      const nn::Checkpoint ck = nn::load_checkpoint(path);
      if (Config::from_json(ck.config, path).hash() == train_cfg.hash()) {
        if (loss) *loss = ck.meta.value("loss", 0.0);
        return true;
      }
      spdlog::warn("{}: from another config than the cell's (the plan changed): removed, training starts over", path);
    } catch (const std::exception& e) {
      spdlog::warn("{}: unusable ({}): removed", path, e.what());
    }
    fs::remove(path);
    return false;
  };
  if (const std::string m = dir + "/model.bin"; fs::exists(m) && usable(m, &st.final_loss)) {
    st.model = m;
    return st;
  }
  auto ckpts = checkpoints_in(dir);
  for (auto it = ckpts.rbegin(); it != ckpts.rend(); ++it)
    if (usable(*it, nullptr)) {
      st.resume = *it;
      break;
    }
  if (st.resume.empty()) remove_checkpoints(dir);  // only stale ones were left
  return st;
}

// Under mpirun: cells are handed out dynamically through a shared counter (a process takes the
// next cell when it finishes one), the results are gathered on the first process, which
// aggregates. Training inside a cell runs in one process (not data parallel).
void run_sweep_distributed(const SweepPlan& plan, const std::string& out_dir, const RunOptions& opt) {
  // Twins (cells whose run an earlier cell makes) are not handed out: the first process takes
  // their results once every process is done.
  const std::vector<bool> twin = twins(plan);
  std::vector<size_t> runs;
  for (size_t i = 0; i < plan.cells.size(); ++i)
    if (!twin[i] && cell_selected(opt.cells, plan.cells[i].id)) runs.push_back(i);
  Distributed::Counter counter;
  json mine = json::array();
  bool interrupted = false;
  for (int64_t i = counter.next(); i < static_cast<int64_t>(runs.size()); i = counter.next()) {
    const Cell& c = plan.cells[runs[i]];
    if (!finished_result(plan, out_dir, c).is_null()) continue;
    spdlog::warn("process {} runs cell {}", Distributed::rank(), c.id);
    const json r = run_cell(plan, c, out_dir, opt);
    mine.push_back({{"id", c.id}, {"status", r["status"]}, {"rank", Distributed::rank()}});
    if (r["status"] == "interrupted") {
      interrupted = true;
      break;
    }
  }
  const auto all = Distributed::gather_strings(mine.dump());
  if (Distributed::is_root()) {
    for (size_t i = 0; i < plan.cells.size() && !interrupted; ++i)
      if (twin[i] && cell_selected(opt.cells, plan.cells[i].id) && finished_result(plan, out_dir, plan.cells[i]).is_null())
        run_cell(plan, plan.cells[i], out_dir, opt);
    int64_t ran = 0, failed = 0;
    for (const auto& s : all)
      for (const auto& r : json::parse(s)) ++ran, failed += r["status"] != "ok";
    spdlog::info("sweep {}: {} processes ran {} cells ({} failed)", plan.name, Distributed::size(), ran, failed);
    aggregate(plan, out_dir);
  }
  Distributed::barrier();
}

}  // namespace

void remove_checkpoints(const std::string& dir) {
  for (const auto& f : checkpoints_in(dir)) fs::remove(f);
}

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

json run_cell(const SweepPlan& plan, const Cell& cell, const std::string& out_dir, const RunOptions& opt) {
  const std::string dir = cell_dir(out_dir, cell);
  json result = {{"id", cell.id}, {"axes", axes_of(cell)}, {"version", version()}};
  const auto t0 = std::chrono::steady_clock::now();
  try {
    if (const std::string donor = find_donor(plan, cell, out_dir); !donor.empty())
      return take_result(plan, cell, out_dir, donor);
    const Config cfg = cell_config(plan, cell);
    result["config_hash"] = cfg.hash();
    // The cell trains with resume checkpoints every plan.checkpoint_every steps; they change no
    // number, so the cell's config (and its hash) stays the plan's.
    Config train_cfg = cfg;
    train_cfg.set_value("train.ckpt_every", plan.checkpoint_every);
    make_dirs(dir);
    const TrainingState state = training_state(dir, train_cfg);
    std::string model_path = state.model;
    if (!model_path.empty()) {
      spdlog::info("cell {}: training finished earlier ({}), sampling and evaluating", cell.id, model_path);
      result["final_loss"] = state.final_loss;
      result["resumed_at_step"] = cfg.integer("train.steps");
    } else {
      diffusion::TrainOptions topt;
      topt.out_dir = dir;
      topt.resume = state.resume;
      topt.should_stop = opt.should_stop;
      topt.final_samples = false;
      topt.data_parallel = false;  // under mpirun each process trains its own cells
      const auto tr = diffusion::train(resolve_options(train_cfg), topt);
      if (tr.interrupted) {
        spdlog::warn("cell {} interrupted at step {}; the sweep continues it from {} when run again", cell.id,
                     tr.steps_done, tr.model_path);
        result["status"] = "interrupted";
        return result;
      }
      if (!state.resume.empty()) result["resumed_at_step"] = tr.start_step;
      result["train_seconds"] = tr.seconds;
      result["final_loss"] = tr.last_loss;
      model_path = tr.model_path;
    }
    result["checkpoint_every"] = plan.checkpoint_every;
    // config.json is the cell's config as the plan gives it (the one config_hash names).
    write_cell_config(dir, cfg);

    const auto t1 = std::chrono::steady_clock::now();
    json sampling = json::object();
    if (plan.eval.contains("sampler")) sampling["sample.sampler"] = plan.eval["sampler"];
    if (plan.eval.contains("steps")) sampling["sample.steps"] = plan.eval["steps"];
    auto lm = hybrid::load_model(model_path, true, sampling);
    const auto schedule = diffusion::make_schedule(lm.options.diffusion);
    auto noise = diffusion::make_noise_source(lm.options.diffusion,
                                              0x5a3b1e ^ static_cast<uint64_t>(cfg.integer("train.seed")));
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

    result["metrics"] = eval::evaluate(samples, reference_set(plan), eval_options(plan));
    // Memorisation: SSIM of every sample to its nearest training image.
    const ImageSet train = load_training_images(resolve_options(cfg).data);
    const auto near = eval::nearest_ssim(eval::ImageView(samples.pixels, samples.n, samples.c, samples.h, samples.w),
                                         eval::ImageView(train.pixels, train.n, train.c, train.h, train.w));
    result["metrics"]["ssim"]["nearest_train_mean"] = near.mean_max;
    result["metrics"]["ssim"]["nearest_train_max"] = *std::max_element(near.max_ssim.begin(), near.max_ssim.end());
    result["eval_seconds"] = since(t1);
    result["status"] = "ok";
  } catch (const std::exception& e) {
    result["status"] = "failed";
    result["error"] = e.what();
    spdlog::error("cell {} failed: {}", cell.id, e.what());
  }
  result["wall_seconds"] = since(t0);
  write_file_atomic(dir + "/result.json", result.dump(2) + "\n");
  if (result["status"] == "ok") remove_checkpoints(dir);  // the result is safe: free the disk
  return result;
}

void check_cells(const SweepPlan& plan) {
  for (const auto& c : plan.cells) {
    try {
      diffusion::require_runnable(resolve_options(cell_config(plan, c)));
    } catch (const ConfigError& e) {
      throw ConfigError(e.key(), e.problem() + " (sweep " + plan.name + ", cell " + c.id + ")");
    }
  }
}

bool cell_selected(const std::string& glob, const std::string& id) {
  return glob.empty() || fnmatch(glob.c_str(), id.c_str(), 0) == 0;
}

void run_sweep(const SweepPlan& plan, const std::string& out_dir, const RunOptions& opt) {
  if (std::none_of(plan.cells.begin(), plan.cells.end(), [&](const Cell& c) { return cell_selected(opt.cells, c.id); }))
    throw InvalidArgument("--cells '" + opt.cells + "' matches none of the " + std::to_string(plan.cells.size()) +
                          " cells of sweep " + plan.name + " (qdiff sweep --list shows their ids)");
  check_cells(plan);
  make_dirs(out_dir);
  if (Distributed::is_root()) {
    json record = {{"name", plan.name}, {"base", plan.base_config}, {"set", plan.set}, {"strategies", plan.strategies},
                   {"eval", plan.eval}, {"checkpoint_every", plan.checkpoint_every}, {"reuse", plan.reuse},
                   {"cells", plan.cells.size()}, {"version", version()}};
    if (!opt.cells.empty()) {  // what --status counts as planned: the cells this run may run
      json ids = json::array();
      for (const auto& c : plan.cells)
        if (cell_selected(opt.cells, c.id)) ids.push_back(c.id);
      record["selection"] = opt.cells;
      record["selected"] = ids;
    }
    write_file_atomic(out_dir + "/plan.json", record.dump(2) + "\n");
  }
  if (Distributed::size() > 1) return run_sweep_distributed(plan, out_dir, opt);
  std::vector<bool> finished;  // or not selected
  for (const auto& c : plan.cells)
    finished.push_back(!cell_selected(opt.cells, c.id) || !finished_result(plan, out_dir, c).is_null());
  const int64_t todo = std::count(finished.begin(), finished.end(), false);
  spdlog::info("sweep {}: {} cells, {} finished{}, {} to run, into {}", plan.name, plan.cells.size(),
               plan.cells.size() - todo, opt.cells.empty() ? "" : " or not selected by --cells", todo, out_dir);
  Progress bar("sweep", todo);
  int64_t done = 0, failed = 0;
  for (size_t i = 0; i < plan.cells.size(); ++i) {
    if (finished[i]) continue;
    const Cell& c = plan.cells[i];
    spdlog::info("cell {}/{}: {}", done + 1, todo, c.id);
    const json r = run_cell(plan, c, out_dir, opt);
    if (r["status"] == "interrupted") {
      spdlog::warn("sweep interrupted: run it again to continue (cell {} resumes from its checkpoint)", c.id);
      break;
    }
    failed += r["status"] != "ok";
    bar.update(++done, failed ? std::to_string(failed) + " failed" : "");
  }
  bar.finish();
  aggregate(plan, out_dir);
  if (failed) spdlog::warn("{} cell(s) failed; their errors are in results.csv (re-run the sweep to retry them)", failed);
}

}  // namespace qdiff::sweep
