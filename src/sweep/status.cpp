// `qdiff sweep --status DIR`: the state of every cell from the files a sweep writes.
#include "qdiff/sweep/status.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "internal.hpp"

namespace qdiff::sweep {
namespace fs = std::filesystem;
using json = nlohmann::json;

const char* state_name(CellState s) {
  switch (s) {
    case CellState::Done: return "done";
    case CellState::Failed: return "failed";
    case CellState::Stale: return "stale";
    case CellState::Running: return "running";
    case CellState::Left: return "left";
  }
  return "?";
}

int64_t SweepStatus::count(CellState s) const {
  return std::count_if(cells.begin(), cells.end(), [s](const CellProgress& c) { return c.state == s; });
}

int64_t SweepStatus::left() const {
  const int64_t unknown = planned > static_cast<int64_t>(cells.size()) ? planned - static_cast<int64_t>(cells.size()) : 0;
  return count(CellState::Left) + count(CellState::Stale) + unknown;
}

std::string format_duration(double s) {
  char b[32];
  const long long t = std::llround(std::max(0.0, s));
  if (t >= 3600) std::snprintf(b, sizeof b, "%lldh %02lldm", t / 3600, t % 3600 / 60);
  else if (t >= 60) std::snprintf(b, sizeof b, "%lldm %02llds", t / 60, t % 60);
  else std::snprintf(b, sizeof b, "%llds", t);
  return b;
}

namespace {

double seconds_between(fs::file_time_type a, fs::file_time_type b) { return std::chrono::duration<double>(b - a).count(); }

json read_json(const fs::path& p) {
  try {
    return json::parse(read_file_text(p.string()));
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The step of the last data row of metrics.csv (0 when there is none).
int64_t last_logged_step(const fs::path& csv) {
  std::ifstream in(csv);
  std::string line, last;
  std::getline(in, line);  // header
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  long long step = 0;
  return std::sscanf(last.c_str(), "%lld,", &step) == 1 ? step : 0;
}

// The files of a cell directory: oldest and newest write times, except `skip` (result.json).
struct Times {
  fs::file_time_type first = fs::file_time_type::max(), last = fs::file_time_type::min();
};
Times file_times(const fs::path& dir, const std::string& skip) {
  Times t;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || e.path().filename() == skip) continue;
    const auto w = e.last_write_time(ec);
    if (ec) continue;
    t.first = std::min(t.first, w), t.last = std::max(t.last, w);
  }
  return t;
}

// Cells that differ only in seed axes run alike: they share a group key.
std::string group_key(const json& axes) {
  json g = json::object();
  for (auto it = axes.begin(); it != axes.end(); ++it)
    if (it.key().find("seed") == std::string::npos) g[it.key()] = it.value();
  return g.dump();
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size() && i < 4; ++i) s += (i ? ", " : "") + ids[i];
  if (ids.size() > 4) s += " and " + std::to_string(ids.size() - 4) + " more";
  return s;
}

// Reads one cell directory (state, times, progress); `start` receives when the cell began.
CellProgress read_cell(const fs::path& dir, const std::string& id, const SweepPlan* plan, const Cell* cell,
                       fs::file_time_type now, fs::file_time_type* start) {
  CellProgress c;
  c.id = id;
  if (cell) c.axes = axes_of(*cell);
  const fs::path result_path = dir / "result.json";
  const Times other = file_times(dir, "result.json");
  std::error_code ec;
  const bool has_result = fs::exists(result_path, ec);
  const auto result_time = has_result ? fs::last_write_time(result_path, ec) : fs::file_time_type::min();
  const json r = has_result ? read_json(result_path) : json(nullptr);
  const bool runs_again = has_result && other.last != fs::file_time_type::min() && other.last > result_time &&
                          r.is_object() && r.value("status", std::string()) != "ok";
  if (r.is_object() && !runs_again) {
    c.seconds = r.value("wall_seconds", 0.0);
    c.reused = !r.value("reused_from", std::string()).empty();
    if (r.contains("axes") && r["axes"].is_object()) c.axes = r["axes"];
    const bool ok = r.value("status", std::string()) == "ok";
    c.state = ok ? CellState::Done : CellState::Failed;
    c.error = r.value("error", std::string());
    if (ok && plan && cell) {
      std::string mismatch;
      try {
        mismatch = config_mismatch(*plan, *cell, r);
      } catch (const std::exception& e) {
        mismatch = e.what();
      }
      if (!mismatch.empty()) c.state = CellState::Stale, c.error = mismatch;
    }
    *start = result_time - std::chrono::duration_cast<fs::file_time_type::duration>(std::chrono::duration<double>(c.seconds));
    return c;
  }
  // Running (or killed): progress from config.json and metrics.csv.
  c.state = CellState::Running;
  const auto dir_time = fs::last_write_time(dir, ec);
  *start = runs_again ? fs::last_write_time(dir / "config.json", ec) : std::min(other.first, dir_time);
  if (ec) *start = dir_time;
  c.seconds = seconds_between(*start, now);
  c.idle = seconds_between(std::max(other.last, dir_time), now);
  const json cfg = read_json(dir / "config.json");
  if (cfg.is_object() && cfg.contains("train")) c.steps = cfg["train"].value("steps", int64_t(0));
  c.step = last_logged_step(dir / "metrics.csv");
  c.trained = fs::exists(dir / "model.bin", ec);
  return c;
}

// Fills estimate/basis of unfinished cells and the ETA from the finished cells' wall times.
void estimate(SweepStatus& s) {
  std::map<std::string, std::vector<const CellProgress*>> done_by_group;
  std::vector<const CellProgress*> done;
  for (const auto& c : s.cells)  // a result taken from another run took no time here: not a basis
    if (c.state == CellState::Done && !c.reused) done.push_back(&c), done_by_group[group_key(c.axes)].push_back(&c);
  if (done.empty() || s.left() + s.count(CellState::Running) == 0) return;
  // The median, not the mean: a cell that ran beside other work (or was paused) takes hours
  // instead of minutes, and one such cell would stretch every estimate made from the mean.
  auto median_seconds = [](const std::vector<const CellProgress*>& v) {
    std::vector<double> t;
    for (auto* c : v) t.push_back(c->seconds);
    return median(std::move(t));
  };
  auto ids = [](const std::vector<const CellProgress*>& v) {
    std::vector<std::string> out;
    for (auto* c : v) out.push_back(c->id);
    return out;
  };
  // basis text -> cells estimated from it
  std::map<std::string, int64_t> uses;
  const double all_median = median_seconds(done);
  const std::string all_basis = "the median of all " + std::to_string(done.size()) + " finished cells (" +
                                format_duration(all_median) + "): " + id_list(ids(done));
  double total = 0;
  for (auto& c : s.cells) {
    if (c.state != CellState::Left && c.state != CellState::Stale && c.state != CellState::Running) continue;
    if (c.state == CellState::Left && c.reused) {
      c.basis = "the result of an identical run (no training)";
      ++uses[c.basis];
      continue;
    }
    const auto it = c.axes.empty() ? done_by_group.end() : done_by_group.find(group_key(c.axes));
    double per;
    if (it != done_by_group.end()) {
      per = median_seconds(it->second);
      c.basis = "the median of " + id_list(ids(it->second)) + " (same settings, another seed; " + format_duration(per) + ")";
    } else {
      per = all_median;
      c.basis = all_basis;
    }
    c.estimate = c.state == CellState::Running ? std::max(0.0, per - c.seconds) : per;
    total += c.estimate;
    ++uses[c.basis];
  }
  const int64_t unknown = s.left() - s.count(CellState::Left) - s.count(CellState::Stale);
  if (unknown > 0) total += static_cast<double>(unknown) * all_median, uses[all_basis] += unknown;
  s.parallel = std::max<int>(1, static_cast<int>(s.count(CellState::Running)));
  s.eta_seconds = total / s.parallel;
  for (const auto& [basis, n] : uses) s.eta_basis.push_back(std::to_string(n) + " cell(s) from " + basis);
}

}  // namespace

SweepStatus sweep_status(const std::string& dir, const SweepPlan* plan, fs::file_time_type now) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw FileError(dir, "not a sweep output directory (no such folder)");
  SweepStatus s;
  s.dir = dir;
  const fs::path cells_dir = fs::path(dir) / "cells";
  const json plan_file = read_json(fs::path(dir) / "plan.json");
  // A run limited by --cells recorded the ids it selected: only those are planned.
  std::vector<std::string> selected;
  const bool limited = plan_file.is_object() && plan_file.contains("selected") && plan_file["selected"].is_array();
  if (limited)
    for (const auto& id : plan_file["selected"])
      if (id.is_string()) selected.push_back(id.get<std::string>());
  auto is_selected = [&](const std::string& id) {
    return !limited || std::find(selected.begin(), selected.end(), id) != selected.end();
  };
  const std::string selection =
      limited ? "; --cells '" + plan_file.value("selection", std::string()) + "' selected " + std::to_string(selected.size()) : "";
  if (plan) {
    s.planned = std::count_if(plan->cells.begin(), plan->cells.end(), [&](const Cell& c) { return is_selected(c.id); });
    s.plan_source = "the sweep file (" + std::to_string(plan->cells.size()) + " cells" + selection + ")";
  } else if (plan_file.is_object() && plan_file.contains("cells") && plan_file["cells"].is_number_integer()) {
    const int64_t all = plan_file["cells"].get<int64_t>();
    s.planned = limited ? static_cast<int64_t>(selected.size()) : all;
    s.plan_source = (fs::path(dir) / "plan.json").string() + " (" + std::to_string(all) + " cells" + selection +
                    (limited ? "" : "; give --config for their ids") + ")";
  } else {
    s.plan_source = "the cell directories only (no plan.json, no --config: cells not started are not known)";
  }
  if (!fs::is_directory(cells_dir, ec) && !plan_file.is_object())
    throw FileError(dir, "not a sweep output directory (neither cells/ nor plan.json)");

  // Known cells in plan order (or the run's selection), then directories the plan does not name (sorted).
  std::vector<std::pair<std::string, const Cell*>> order;
  if (plan) {
    for (const auto& c : plan->cells)
      if (is_selected(c.id)) order.emplace_back(c.id, &c);
  } else {
    for (const auto& id : selected) order.emplace_back(id, nullptr);
  }
  std::vector<std::string> extra;
  if (fs::is_directory(cells_dir, ec))
    for (const auto& e : fs::directory_iterator(cells_dir, ec))
      if (e.is_directory()) {
        const std::string id = e.path().filename().string();
        if (std::none_of(order.begin(), order.end(), [&](const auto& o) { return o.first == id; })) extra.push_back(id);
      }
  std::sort(extra.begin(), extra.end());
  for (const auto& id : extra) order.emplace_back(id, nullptr);

  // Cells not started that will take another run's result: a twin of an earlier cell of the plan
  // (the sweep runs that one and the twin takes its result), or a finished donor now.
  std::vector<bool> twin;  // stays empty when a cell's config does not resolve (the sweep reports that)
  try {
    if (plan) twin = twins(*plan);
  } catch (const std::exception&) {
  }
  auto will_reuse = [&](const Cell* cell) {
    if (!plan || !cell) return false;
    if (const size_t i = static_cast<size_t>(cell - plan->cells.data()); i < twin.size() && twin[i]) return true;
    try {
      return !find_donor(*plan, *cell, dir).empty();
    } catch (const std::exception&) {
      return false;  // an unreadable donor directory: the sweep would train the cell
    }
  };
  fs::file_time_type first = fs::file_time_type::max(), last_end = fs::file_time_type::min();
  for (const auto& [id, cell] : order) {
    const fs::path d = cells_dir / id;
    if (!fs::is_directory(d, ec)) {
      CellProgress c;
      c.id = id;
      if (cell) c.axes = axes_of(*cell);
      c.reused = will_reuse(cell);
      s.cells.push_back(std::move(c));
      continue;
    }
    fs::file_time_type start;
    CellProgress c = read_cell(d, id, plan, cell, now, &start);
    first = std::min(first, start);
    if (c.state == CellState::Done || c.state == CellState::Failed || c.state == CellState::Stale) {
      s.cell_seconds += c.seconds;
      last_end = std::max(last_end, fs::last_write_time(d / "result.json", ec));
    }
    s.cells.push_back(std::move(c));
  }
  if (first != fs::file_time_type::max())
    s.wall_seconds = seconds_between(first, s.count(CellState::Running) ? now : std::max(last_end, first));
  estimate(s);
  return s;
}

std::string format_status(const SweepStatus& s) {
  std::ostringstream o;
  o << "sweep " << s.dir << " (plan: " << s.plan_source << ")\n";
  auto reused = [&](CellState st) {
    return std::count_if(s.cells.begin(), s.cells.end(), [&](const CellProgress& c) { return c.reused && c.state == st; });
  };
  o << "  done " << s.count(CellState::Done);
  if (reused(CellState::Done)) o << " (" << reused(CellState::Done) << " taken from other runs)";
  o << ", failed " << s.count(CellState::Failed) << ", running "
    << s.count(CellState::Running) << ", left " << s.left();
  if (reused(CellState::Left)) o << " (" << reused(CellState::Left) << " of them will take an identical run's result)";
  if (s.count(CellState::Stale)) o << " (of which " << s.count(CellState::Stale) << " stale: finished under another config)";
  o << "\n  wall time so far " << format_duration(s.wall_seconds) << " (first cell start to "
    << (s.count(CellState::Running) ? "now" : "the last result") << "); finished cells took "
    << format_duration(s.cell_seconds) << " in all\n";
  for (const auto& c : s.cells) {
    if (c.state == CellState::Running) {
      o << "  running  " << c.id << ": ";
      if (c.trained) o << "trained, sampling and evaluating";
      else if (c.steps > 0) o << "training step " << c.step << "/" << c.steps << " (" << (100 * c.step / c.steps) << "%)";
      else o << "starting";
      o << ", " << format_duration(c.seconds) << " so far, last write " << format_duration(c.idle)
        << " ago (a killed cell looks the same)\n";
    } else if (c.state == CellState::Failed) {
      o << "  failed   " << c.id << ": " << c.error << "\n";
    } else if (c.state == CellState::Stale) {
      o << "  stale    " << c.id << ": " << c.error << "\n";
    }
  }
  if (s.left() + s.count(CellState::Running) == 0) {
    o << "  nothing left to run\n";
  } else if (s.eta_seconds < 0) {
    o << "  ETA: unknown until a cell finishes\n";
  } else {
    o << "  ETA " << format_duration(s.eta_seconds) << " for the running and left cells at " << s.parallel
      << " cell(s) at a time (the number running now), from the finished cells' wall times:\n";
    for (const auto& b : s.eta_basis) o << "    " << b << "\n";
  }
  return o.str();
}

}  // namespace qdiff::sweep
