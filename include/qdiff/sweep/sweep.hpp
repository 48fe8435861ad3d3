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
//             "features": "data/features/mnist.bin", "sampler": "ddim", "steps": 50, "batch": 64},
//    "checkpoint_every": 500,                    steps between a cell's resume checkpoints
//    "reuse": ["runs/study/mnist"],              other sweeps' output (or collected) directories
//    "compare": ["model.bottleneck", "strategy"]} axes whose values are paired by seed (default:
//                                                the bottleneck arms); "strategy" gives paired_strategy.csv
//
// A cell is run only once per run identity (core/options.hpp: run_identity): a cell whose run
// is the same as an earlier cell's (a classical arm under an axis of noise strengths, which it
// never reads), or as a finished cell of a "reuse" directory evaluated the same way (equal
// "eval"), takes that cell's result (result.json says "reused_from"; config.json is its own).
//
// Layout of the output directory:
//   cells/<id>/         the run (config.json, metrics.csv, model.bin, samples.png) and result.json
//   results.csv         one row per cell: axes, status, metrics, FID / training-set floor, wall time, config hash
//   results.md          mean +- std (and 95% CI) over seeds for every other combination of axes; the
//                       arms paired by seed (paired differences, t intervals, Holm-adjusted p-values,
//                       effect sizes) and a plain reading; the training-set floor per data config
//   paired.csv          every paired comparison, every metric
//   floors.json         the training-set floors (cache; recomputed when missing or stale)
//   fid_vs_n.png/.svg, kid_vs_n.png/.svg, ...   metric vs training-set size per group, error bars, floor
// Resumable: a cell with a result.json is not run again; a cell interrupted while training
// continues from its latest checkpoint (bit for bit); a failing cell is recorded (status
// "failed" and the error) and the others go on.
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
  // Steps between a cell's resume checkpoints (sweep-file key "checkpoint_every"; 0 = none). It
  // replaces train.ckpt_every while the cell trains; checkpoints do not change the numbers, so it
  // is not part of the cell's config hash.
  int64_t checkpoint_every = 500;
  std::vector<std::string> reuse;  // directories whose finished cells this plan's cells may take
  std::vector<std::string> compare = {"model.bottleneck"};  // axes whose values are paired by seed
  std::vector<std::string> axis_names;
  std::vector<Cell> cells;
};

// Reads and validates a sweep file (unknown top-level keys, unknown strategies, empty axes and
// invalid config keys/values are errors naming the file). `quick` swaps in the built-in quick
// preset's small grid and budgets (finishes in minutes on 2 cores).
SweepPlan load_plan(const std::string& path, bool quick = false);

// Resolves every cell's config and checks that this machine can run it (diffusion::require_runnable):
// a ConfigError naming the key and the cell for a combination of keys that cannot run (a noise
// level with quantum.simulation = statevector, say), found before any cell starts rather than
// hours into the grid. run_sweep calls it first.
void check_cells(const SweepPlan& plan);
SweepPlan plan_from_json(const nlohmann::json& j, const std::string& source, bool quick = false);

// Empty when a stored cell result was run with the config the plan now gives the cell;
// otherwise says how they differ ("hash <stored>, the plan now gives <current>").
std::string config_mismatch(const SweepPlan& plan, const Cell& cell, const nlohmann::json& result);

struct RunOptions {
  std::function<bool()> should_stop;  // polled every training step (Ctrl-C): checkpoint and stop
  std::string cells;  // a glob (fnmatch) over cell ids: run only the matching cells ("" = all)
};

// Whether a cell id matches a --cells glob ("" matches every id).
bool cell_selected(const std::string& glob, const std::string& id);

// Runs one cell into out_dir/cells/<id>/ and returns its result JSON (status ok or failed; or
// "interrupted", with no result.json written, when should_stop stopped its training). Training
// resumes from the cell's latest checkpoint of the same config (or skips to sampling when its
// model.bin exists); once result.json is written the intermediate checkpoints are deleted.
nlohmann::json run_cell(const SweepPlan& plan, const Cell& cell, const std::string& out_dir,
                        const RunOptions& opt = {});
// The stored result of a finished cell, or null when the cell has not finished, failed, or was
// run with a different resolved config than the plan now gives it (config_hash; a warning
// says so), so that a resumed sweep never mixes results of two configs.
nlohmann::json finished_result(const SweepPlan& plan, const std::string& out_dir, const Cell& cell);

// Runs every unfinished cell in order (only those opt.cells selects; progress and logging per
// cell; under mpirun spread over the processes), then aggregates every finished cell. An interrupted cell stops the sweep (after aggregating).
void run_sweep(const SweepPlan& plan, const std::string& out_dir, const RunOptions& opt = {});

// results.csv, results.md, paired.csv and the plots from the cells' result.json files (and the
// training-set floors, computed once per distinct data config and cached in floors.json).
void aggregate(const SweepPlan& plan, const std::string& out_dir);

// The protocol measurement of scripts/study_protocol.sh: reads runs_dir/<dataset>/<recipe>-<arm>-b<batch>/
// eval_<step>_<sampler><steps>_n<n>.json, and writes into out_dir per data set
// protocol_<dataset>.png/.svg (FID against training steps, one line per recipe and arm, the
// training-set floor dashed) and protocol.md (every measurement, FID / floor). Throws FileError
// when runs_dir holds no such files.
void protocol_report(const std::string& runs_dir, const std::string& out_dir);

}  // namespace qdiff::sweep
