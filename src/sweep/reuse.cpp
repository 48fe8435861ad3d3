// Runs made once: a cell whose run identity (core/options.hpp: run_identity) is an earlier cell's
// of the same plan, or a finished cell's of a "reuse" directory evaluated the same way, takes that
// cell's result instead of training again.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>

#include "qdiff/core/files.hpp"
#include "qdiff/core/options.hpp"
#include "internal.hpp"

namespace qdiff::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The run identity hash of a cell's stored config.json (the resolved config plus "version"), ""
// when it is missing or no longer a valid config.
std::string stored_run_key(const std::string& cell_path) {
  try {
    json stored = json::parse(read_file_text(cell_path + "/config.json"));
    stored.erase("version");
    return run_identity(Config::from_json(stored, cell_path + "/config.json")).hash();
  } catch (const std::exception&) {
    return "";
  }
}

bool finished_ok(const std::string& cell_path) {
  try {
    return json::parse(read_file_text(cell_path + "/result.json")).value("status", std::string()) == "ok";
  } catch (const std::exception&) {
    return false;
  }
}

// A reuse directory's cells by run identity (finished ones only), when its plan.json evaluates
// as `plan` does; read once per process and directory, then refreshed for cells finished since.
std::string donor_in(const SweepPlan& plan, const std::string& dir, const std::string& key) {
  json other;
  try {
    other = json::parse(read_file_text(dir + "/plan.json"));
  } catch (const std::exception&) {
    spdlog::debug("reuse: {} has no readable plan.json: not used", dir);
    return "";
  }
  if (other.value("eval", json()) != plan.eval) {
    spdlog::debug("reuse: {} evaluates differently (eval {}): not used", dir, other.value("eval", json()).dump());
    return "";
  }
  static std::map<std::string, std::string> key_of;  // cell path -> run key (finished cells only)
  if (!fs::is_directory(dir + "/cells")) return "";
  for (const auto& e : fs::directory_iterator(dir + "/cells")) {
    const std::string path = e.path().string();
    auto it = key_of.find(path);
    if (it == key_of.end()) {
      if (!finished_ok(path)) continue;
      it = key_of.emplace(path, stored_run_key(path)).first;
    }
    if (it->second == key) return path;
  }
  return "";
}

}  // namespace

std::string run_key(const SweepPlan& plan, const Cell& cell) { return run_identity(cell_config(plan, cell)).hash(); }

std::vector<bool> twins(const SweepPlan& plan) {
  std::vector<bool> twin(plan.cells.size(), false);
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < plan.cells.size(); ++i) twin[i] = !first.emplace(run_key(plan, plan.cells[i]), i).second;
  return twin;
}

std::string find_donor(const SweepPlan& plan, const Cell& cell, const std::string& out_dir) {
  const std::string key = run_key(plan, cell);
  for (const Cell& other : plan.cells)
    if (other.id != cell.id && run_key(plan, other) == key && !finished_result(plan, out_dir, other).is_null())
      return cell_dir(out_dir, other);
  for (const auto& dir : plan.reuse)
    if (std::string d = donor_in(plan, dir, key); !d.empty()) return d;
  return "";
}

json take_result(const SweepPlan& plan, const Cell& cell, const std::string& out_dir, const std::string& donor) {
  json result = json::parse(read_file_text(donor + "/result.json"));
  const Config cfg = cell_config(plan, cell);
  result["id"] = cell.id;
  result["axes"] = axes_of(cell);
  result["config_hash"] = cfg.hash();
  result["reused_from"] = donor;
  result["wall_seconds"] = 0.0;  // this cell's own time; train_seconds and eval_seconds stay the run's
  const std::string dir = cell_dir(out_dir, cell);
  make_dirs(dir);
  for (const char* f : {"samples.png", "metrics.csv"})
    if (fs::exists(donor + "/" + f)) fs::copy_file(donor + "/" + f, dir + "/" + f, fs::copy_options::overwrite_existing);
  write_cell_config(dir, cfg);
  write_file_atomic(dir + "/result.json", result.dump(2) + "\n");
  remove_checkpoints(dir);  // a partial run of its own is not needed
  spdlog::info("cell {}: the same run as {} (run identity {}): its result is taken", cell.id, donor,
               run_identity(cfg).hash());
  return result;
}

}  // namespace qdiff::sweep
