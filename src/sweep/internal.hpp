// What the sweep's source files share and nobody else needs: where a cell lives, its resolved
// config, the plan's reference set and evaluation options, the training-set floor.
#pragma once
#include <nlohmann/json.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "qdiff/core/config.hpp"
#include "qdiff/eval/evaluate.hpp"
#include "qdiff/eval/stats.hpp"
#include "qdiff/io/dataset.hpp"
#include "qdiff/sweep/sweep.hpp"

namespace qdiff::sweep {

std::string cell_dir(const std::string& out_dir, const Cell& cell);
// The cell's axes as a JSON object (axis -> value), as result.json records them.
nlohmann::json axes_of(const Cell& cell);
// cell_dir/config.json: the cell's resolved config and the qdiff version that wrote it.
void write_cell_config(const std::string& cell_dir, const Config& cfg);
// Deletes the cell's resume checkpoints (ckpt_<step>.bin).
void remove_checkpoints(const std::string& cell_dir);

// The resolved config of a cell: the base config, the plan's `set`, then the cell's overrides.
Config cell_config(const SweepPlan& plan, const Cell& cell);

// The plan's reference set (eval.ref, eval.split, eval.classes, at most eval.max_ref images by a
// seeded subset), loaded once per process.
const ImageSet& reference_set(const SweepPlan& plan);

// The evaluation options every cell of the plan (and its floors) is measured with.
eval::EvalOptions eval_options(const SweepPlan& plan);

// The N training images themselves as "samples": `training` repeated cyclically to n images.
ImageSet repeat_to(const ImageSet& training, int64_t n);

// The training-set floor of a data config: evaluate() of its training images repeated to
// eval.n_samples, with the plan's features and reference set (no SSIM: it would be 1).
nlohmann::json training_floor(const SweepPlan& plan, const Config& cfg);

// Floors of every distinct data config of the plan, by cell id ({"fid": ..., "metrics": {...}}, or
// {"error": ...}); cached in out_dir/floors.json and recomputed when the plan's eval settings or
// data configs change.
nlohmann::json training_floors(const SweepPlan& plan, const std::string& out_dir);

// ---- runs made once (reuse.cpp) -------------------------------------------------------------
// The hash of the cell's run identity (core/options.hpp: run_identity).
std::string run_key(const SweepPlan& plan, const Cell& cell);
// Per cell: true when an earlier cell of the plan has the same run identity.
std::vector<bool> twins(const SweepPlan& plan);
// The directory of a finished cell whose result this cell may take: a cell of the same plan with
// the same run identity, or one of a plan.reuse directory whose plan.json has the same "eval"; ""
// when there is none.
std::string find_donor(const SweepPlan& plan, const Cell& cell, const std::string& out_dir);
// Writes the cell's result.json (the donor's, with this cell's id, axes, config hash and
// "reused_from"), its own config.json, and copies the donor's samples.png and metrics.csv.
nlohmann::json take_result(const SweepPlan& plan, const Cell& cell, const std::string& out_dir,
                           const std::string& donor);

// ---- the table of metrics the aggregation reports --------------------------------------------
struct Metric {
  const char* name;   // column name
  const char* label;  // for tables and plots
  int better;         // -1: lower is better, +1: higher is better, 0: neither
  double (*get)(const nlohmann::json& result);  // from a result.json (NaN when absent)
};
const std::vector<Metric>& sweep_metrics();
// m.get(result) for a result with status ok, NaN otherwise.
double metric_of(const nlohmann::json& result, const Metric& m);

std::string fmt(double v, int prec = 4);  // "%.*g", "-" for NaN/Inf
// The median of v (not empty): the middle value, or the mean of the two middle ones.
double median(std::vector<double> v);
std::string value_text(const nlohmann::json& v);  // strings unquoted
// s with every character other than a letter, digit, '.' or '_' replaced by '_' (for file names).
std::string file_safe(std::string s);

// ---- paired comparisons of the bottleneck arms ---------------------------------------------
// One comparison: arm_a - arm_b for one metric at one N and values of the remaining axes.
struct PairedLine {
  std::string metric, arm_a, arm_b;
  std::string others;  // the remaining axes as text, "strategy=gaussian" ("" when none)
  nlohmann::json n;    // the data.n value (null without that axis)
  eval::PairedComparison stats;
  double holm = NAN;   // p adjusted by Holm's method across N
};
struct PairedReport {
  std::string markdown;  // tables and the plain reading ("" when the plan has no bottleneck axis)
  std::string csv;       // every comparison and metric (header included)
  std::vector<PairedLine> lines;
};
// Pairs the values of `axis` (model.bottleneck: the arms) by every other axis (seed, N,
// strategy, ...), compares the first value ("quantum" when present, else the axis's first) with
// each other value over seeds, Holm-adjusts the p-values across the values of data.n within each
// comparison, metric and remaining axes. Empty when the plan has no such axis.
PairedReport paired_comparisons(const SweepPlan& plan, const std::vector<nlohmann::json>& results,
                                const std::string& axis = "model.bottleneck");
// The distinct values of `axis` over the plan's cells, in plan order.
std::vector<std::string> axis_values(const SweepPlan& plan, const std::string& axis);
// The arm the others are compared with: "quantum" when present, else the first ("" when none).
std::string reference_arm(const std::vector<std::string>& arms);
// The axes other than `axis`, the seed and data.n, in the plan's order.
std::vector<std::string> other_axes(const std::vector<std::string>& names, const std::string& axis);
// Their values in `axes` as "a=v, b=w" ("" when there are none).
std::string others_text(const std::vector<std::string>& names, const nlohmann::json& axes, const std::string& axis);
// Where the comparisons of `axis` are written: paired.csv for model.bottleneck, else
// paired_<axis>.csv.
std::string paired_csv_name(const std::string& axis);

}  // namespace qdiff::sweep
