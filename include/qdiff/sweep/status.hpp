// Where a long sweep stands (`qdiff sweep --status DIR`), read from its output directory alone:
// cells done, failed, running and left, the wall time so far and an ETA for the rest from the
// finished cells' wall times. Nothing is written and no process is asked.
//
// A cell directory DIR/cells/<id>/ with a result.json has finished (status ok = done, else
// failed); one without (or whose files are newer than its failed result, i.e. it runs again) is
// running, and its metrics.csv and config.json say how far training got. A cell that was killed
// looks the same as one that runs, so the time since its last write is shown. Cells with no
// directory are left: counted from the sweep file when it is given (exact ids), else from the
// cell count in DIR/plan.json.
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qdiff/sweep/sweep.hpp"

namespace qdiff::sweep {

enum class CellState { Done, Failed, Stale, Running, Left };
const char* state_name(CellState s);  // "done", "failed", "stale", "running", "left"

struct CellProgress {
  std::string id;
  CellState state = CellState::Left;
  nlohmann::json axes = nlohmann::json::object();  // from result.json or the plan ({} when unknown)
  double seconds = 0;      // done/failed: the cell's wall time; running: time since it started
  bool reused = false;     // done: the result was taken from another run (no wall time of its own);
                           // left (with the sweep file): it will be (an identical run of the plan,
                           // or a finished one of its reuse directories): no time in the ETA
  int64_t step = 0, steps = 0;  // running: last logged training step and train.steps (0 = unknown)
  bool trained = false;    // running: model.bin exists (sampling and evaluating)
  double idle = 0;         // running: seconds since a file of the cell was last written
  std::string error;       // failed: the error; stale: how the config differs
  double estimate = 0;     // running/left/stale: estimated seconds still to go (0 = none)
  std::string basis;       // what the estimate came from
};

struct SweepStatus {
  std::string dir, plan_source;
  int64_t planned = -1;              // cells in the plan (-1: unknown)
  std::vector<CellProgress> cells;   // plan order (known cells), then cell directories not in it
  double wall_seconds = 0;           // first cell start -> now (or -> last result when nothing runs)
  double cell_seconds = 0;           // sum of the finished cells' wall times
  int parallel = 1;                  // cells at a time assumed by the ETA (the number running, >= 1)
  double eta_seconds = -1;           // -1: no finished cell to estimate from, or nothing left
  std::vector<std::string> eta_basis;  // one line per group of cells estimated alike

  int64_t count(CellState s) const;
  int64_t left() const;  // Left + Stale, plus cells of the plan count with no id known
};

// `plan` (optional) gives the exact cell list and the stale check. `now` is the clock the file
// times are compared with (a parameter so tests can fix it).
SweepStatus sweep_status(const std::string& dir, const SweepPlan* plan,
                         std::filesystem::file_time_type now = std::filesystem::file_time_type::clock::now());

// The human report `qdiff sweep --status` prints.
std::string format_status(const SweepStatus& s);

// "1h 02m", "4m 10s", "12s".
std::string format_duration(double seconds);

}  // namespace qdiff::sweep
