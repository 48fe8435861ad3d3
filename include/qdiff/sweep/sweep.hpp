// Low-data sweeps: a grid of runs (training-set size x bottleneck x noise strategy x seed, or any
// config keys), each trained, sampled and evaluated, with results aggregated over seeds.
//
// Sweep file (JSON):
//   {"base": "configs/mnist.json",              run config every cell starts from
//    "set": {"train.steps": 2000},              overrides for every cell
//    "axes": {"data.n": [10, 25, 50, 100],      config keys -> values (cartesian product) ...
//             "model.bottleneck": ["quantum", "classical"],
//             "strategy": ["gaussian", "quantum_noise", "tailored"],   ... or named strategies
//             "train.seed": [0, 1, 2]},
//    "strategies": {"gaussian": {}, "quantum_noise": {"diffusion.noise": "quantum"}, ...},
//    "eval": {"n_samples": 1000, "ref": "data/mnist.npz", "split": "test",
//             "features": "data/features/mnist.bin", "sampler": "ddim", "steps": 50, "batch": 64}}
//
// Layout of the output directory:
//   cells/<id>/         the run (config.json, metrics.csv, model.bin, samples.png) and result.json
//   results.csv         one row per cell: axes, status, metrics, wall time, config hash
//   results.md          mean +- std (and 95% CI) over seeds for every other combination of axes
//   fid_vs_n.png, kid_vs_n.png, ...   metric vs training-set size per group, with error bars
// Resumable: a cell with a result.json is not run again; a failing cell is recorded
// (status "failed" and the error) and the others go on.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace qdiff::sweep {

struct Cell {
  std::string id;                                   // "data.n=10,model.bottleneck=quantum,..." made file-safe
  std::vector<std::pair<std::string, nlohmann::json>> axes;  // axis name -> value, in axis order
  nlohmann::json overrides;                         // config key -> value for this cell
};

struct SweepPlan {
  std::string name;
  std::string base_config;
  nlohmann::json set, eval, strategies;
  std::vector<std::string> axis_names;
  std::vector<Cell> cells;
};

// Reads and validates a sweep file (unknown top-level keys, unknown strategies, empty axes and
// invalid config keys/values are errors naming the file). `quick` swaps in the built-in quick
// preset's small grid and budgets (finishes in minutes on 2 cores).
SweepPlan load_plan(const std::string& path, bool quick = false);
SweepPlan plan_from_json(const nlohmann::json& j, const std::string& source, bool quick = false);

// Empty when a stored cell result was run with the config the plan now gives the cell;
// otherwise says how they differ ("hash <stored>, the plan now gives <current>").
std::string config_mismatch(const SweepPlan& plan, const Cell& cell, const nlohmann::json& result);

// Runs one cell into out_dir/cells/<id>/ and returns its result JSON (status ok or failed).
nlohmann::json run_cell(const SweepPlan& plan, const Cell& cell, const std::string& out_dir);
// The stored result of a finished cell, or null when the cell has not finished, failed, or was
// run with a different resolved config than the plan now gives it (config_hash; a warning
// says so), so that a resumed sweep never mixes results of two configs.
nlohmann::json finished_result(const SweepPlan& plan, const std::string& out_dir, const Cell& cell);

// Runs every unfinished cell in order (progress and logging per cell), then aggregates.
// `run` lets MPI drivers substitute a distributed loop; by default cells run here in order.
void run_sweep(const SweepPlan& plan, const std::string& out_dir);

// results.csv, results.md and the plots from the cells' result.json files.
void aggregate(const SweepPlan& plan, const std::string& out_dir);

}  // namespace qdiff::sweep
