// Aggregating a sweep: results.csv (one row per cell, with its training-set floor), results.md
// (mean +- std over seeds with a 95% t interval, the floors, the arms paired by seed), paired.csv,
// and metric-vs-N figures (PNG and SVG) with error bars and the floor.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "internal.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/eval/stats.hpp"
#include "qdiff/io/plot.hpp"
#include "qdiff/sweep/sweep.hpp"

namespace qdiff::sweep {
using json = nlohmann::json;

namespace {

// result["metrics"] followed along `path`; NaN when a key is missing or not a number.
double at(const json& r, std::initializer_list<const char*> path) {
  if (!r.contains("metrics")) return NAN;
  const json* j = &r["metrics"];
  for (const char* k : path) {
    if (j->is_array() && std::isdigit(static_cast<unsigned char>(k[0]))) {  // an index
      const size_t i = std::stoul(k);
      if (i >= j->size()) return NAN;
      j = &(*j)[i];
    } else if (j->is_object() && j->contains(k)) {
      j = &(*j)[k];
    } else {
      return NAN;
    }
  }
  return j->is_number() ? j->get<double>() : NAN;
}

double class_entropy(const json& r) {
  if (!r.contains("metrics") || !r["metrics"].contains("classifier")) return NAN;
  return eval::entropy_bits(r["metrics"]["classifier"]["histogram"].get<std::vector<int64_t>>());
}

std::string csv_escape(std::string s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
  return o + "\"";
}

std::string status_of(const json& r) { return r.value("status", std::string()); }

// Every cell's result.json ("missing" when absent, "stale" when from another config).
std::vector<json> load_results(const SweepPlan& plan, const std::string& out_dir) {
  std::vector<json> results;
  for (const auto& c : plan.cells) {
    try {
      json r = json::parse(read_file_text(cell_dir(out_dir, c) + "/result.json"));
      const std::string mismatch = config_mismatch(plan, c, r);
      if (status_of(r) == "ok" && !mismatch.empty()) {
        spdlog::warn("cell {}: its result is from another config ({}); marked stale, not counted (run the sweep to "
                     "redo it)", c.id, mismatch);
        r["status"] = "stale";
      }
      results.push_back(std::move(r));
    } catch (const std::exception&) {
      json axes = json::object();
      for (const auto& [k, v] : c.axes) axes[k] = v;
      results.push_back({{"id", c.id}, {"status", "missing"}, {"axes", axes}});
    }
  }
  return results;
}

// The training-set floor of each result (in memory: result["floor"] = {"fid", "kid", ...}).
void attach_floors(const SweepPlan& plan, const std::string& out_dir, std::vector<json>& results) {
  const json floors = training_floors(plan, out_dir);
  for (size_t i = 0; i < results.size(); ++i) {
    const json& f = floors[plan.cells[i].id];
    if (f.contains("metrics")) results[i]["floor"] = f;
  }
}

double floor_fid(const json& r) {
  return r.contains("floor") ? r["floor"]["metrics"]["fid"]["value"].get<double>() : NAN;
}

std::string results_csv(const SweepPlan& plan, const std::vector<json>& results) {
  const auto& metrics = sweep_metrics();
  std::ostringstream csv;
  csv << "id";
  for (const auto& a : plan.axis_names) csv << "," << a;
  csv << ",status";
  for (const auto& m : metrics) csv << "," << m.name;
  csv << ",fid_ci_lo,fid_ci_hi,floor_fid,kid_std,final_loss,train_seconds,eval_seconds,resumed_at_step,config_hash,error,reused_from\n";
  for (const auto& r : results) {
    csv << csv_escape(r.value("id", std::string()));
    for (const auto& a : plan.axis_names) csv << "," << csv_escape(value_text(r["axes"][a]));
    csv << "," << status_of(r);
    for (const auto& m : metrics) csv << "," << fmt(metric_of(r, m), 8);
    const bool ok = status_of(r) == "ok";
    auto num = [&](double v, int prec = 8) { return fmt(ok ? v : NAN, prec); };
    csv << "," << num(at(r, {"fid", "jackknife", "ci95", "0"})) << "," << num(at(r, {"fid", "jackknife", "ci95", "1"})) << ","
        << num(floor_fid(r)) << "," << num(at(r, {"kid", "std"})) << "," << fmt(r.value("final_loss", NAN), 8) << ","
        << fmt(r.value("train_seconds", NAN), 6) << "," << fmt(r.value("eval_seconds", NAN), 6) << ","
        << (r.contains("resumed_at_step") ? r["resumed_at_step"].dump() : "-") << "," << r.value("config_hash", std::string())
        << "," << csv_escape(r.value("error", std::string())) << "," << csv_escape(r.value("reused_from", std::string()))
        << "\n";
  }
  return csv.str();
}

// The grid's compute: the cells' own time (a reused cell has none: its result is another run's),
// and the builds that made the results.
std::string compute_markdown(const std::vector<json>& results) {
  std::vector<double> wall;
  double train = 0, eval_time = 0;
  int reused = 0, failed = 0;
  std::set<std::string> versions;
  for (const auto& r : results) {
    const std::string status = status_of(r);
    if (status != "ok" && status != "failed") continue;  // missing, interrupted or stale: not finished
    if (r.contains("version")) versions.insert(r["version"].get<std::string>());
    if (status == "failed") {
      ++failed;
      continue;
    }
    if (r.contains("reused_from")) {
      ++reused;
      continue;
    }
    wall.push_back(r.value("wall_seconds", 0.0));
    train += r.value("train_seconds", 0.0);
    eval_time += r.value("eval_seconds", 0.0);
  }
  if (wall.empty() && !reused && !failed) return "";
  std::ostringstream md;
  double total = 0;
  for (double w : wall) total += w;
  md << "\n## Compute\n\n" << wall.size() << " cells trained and evaluated here: " << fmt(total / 3600, 3)
     << " h of cell time (training " << fmt(train / 3600, 3) << " h, evaluation " << fmt(eval_time / 3600, 3) << " h)";
  if (!wall.empty()) {
    const auto [lo, hi] = std::minmax_element(wall.begin(), wall.end());
    md << "; a cell " << fmt(median(wall) / 60, 3) << " min in the median (" << fmt(*lo / 60, 3) << " to "
       << fmt(*hi / 60, 3) << ")";
  }
  md << ". Cell time is each cell's own wall time in the run that finished it (a resumed cell's earlier runs are "
        "not counted); cells that ran side by side add up, and a machine shared with other work stretches them.";
  if (reused) md << " Cells that took the result of an identical run (`reused_from`, no time of their own): " << reused << ".";
  if (failed) md << " Failed cells: " << failed << " (see results.csv).";
  if (!versions.empty()) {
    md << " Results made by " << (versions.size() == 1 ? "build" : "builds");
    for (const auto& v : versions) md << " `" << v << "`" << (v == *versions.rbegin() ? "." : ",");
  }
  md << "\n";
  return md.str();
}

// Distinct training-set floors by data config, as a markdown table.
std::string floors_markdown(const SweepPlan& plan, const std::vector<json>& results) {
  std::map<std::string, const json*> seen;
  std::vector<const json*> order;
  for (const auto& r : results)
    if (r.contains("floor") && !seen.count(r["floor"]["data"].dump())) {
      seen[r["floor"]["data"].dump()] = &r["floor"];
      order.push_back(&r["floor"]);
    }
  if (order.empty()) return "";
  std::ostringstream md;
  md << "\n## Training-set floor\n\nThe N training images themselves (each cell's data subset), repeated to "
     << plan.eval.value("n_samples", int64_t(1000)) << " images and measured like the samples (same features, same "
     << "reference set): what a model that reproduced its training set exactly would score. `FID / floor` above is "
     << "each cell's FID divided by its floor.\n\n| data.n | data.seed | FID | KID | precision | recall | class entropy (bits) |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (const json* f : order) {
    const json fake = {{"status", "ok"}, {"metrics", (*f)["metrics"]}};
    md << "| " << (*f)["data"]["n"].dump() << " | " << (*f)["data"]["seed"].dump();
    for (const char* name : {"fid", "kid", "precision", "recall", "class_entropy"})
      for (const auto& m : sweep_metrics())
        if (std::string(m.name) == name) md << " | " << fmt(metric_of(fake, m));
    md << " |\n";
  }
  return md.str();
}

using Groups = std::map<std::string, std::vector<const json*>>;                      // group key -> results
using GroupStats = std::map<std::string, std::map<std::string, eval::MeanInterval>>;  // group -> metric -> stats

// Metric `name`'s mean over seeds per group (error bars: the std), one series per label_of(axes)
// (`fallback` when that is empty) at x = x_of(axes), in order of first appearance, coloured from
// the palette.
template <class LabelOf, class XOf>
std::vector<Series> mean_series(const std::vector<std::string>& order, Groups& groups, GroupStats& stats,
                                const std::string& name, const std::string& fallback, LabelOf label_of, XOf x_of) {
  std::map<std::string, Series> series;
  std::vector<std::string> labels;
  for (const auto& key : order) {
    if (!stats[key].count(name)) continue;
    const json& axes = (*groups[key][0])["axes"];
    const std::string label = label_of(axes);
    if (!series.count(label)) labels.push_back(label);
    Series& s = series[label];
    s.label = label.empty() ? fallback : label;
    s.markers = true;
    const auto& mi = stats[key][name];
    s.x.push_back(x_of(axes));
    s.y.push_back(mi.mean);
    s.yerr.push_back(std::isfinite(mi.std) ? mi.std : 0.0);
  }
  std::vector<Series> list;
  for (const auto& label : labels) {
    series[label].rgb = palette_colour(list.size());
    list.push_back(series[label]);
  }
  return list;
}

// Writes out_dir/stem.png and .svg: their markdown links, or "" (with a warning) when the figure
// cannot be drawn.
std::string write_figure(const std::string& out_dir, const std::string& stem, const std::vector<Series>& list,
                         const PlotOptions& po) {
  try {
    write_line_plot(out_dir + "/" + stem + ".png", list, po);
    write_line_plot(out_dir + "/" + stem + ".svg", list, po);
  } catch (const std::exception& e) {
    spdlog::warn("plot {}: {}", stem, e.what());
    return "";
  }
  return "[" + stem + ".png](" + stem + ".png) ([svg](" + stem + ".svg)) ";
}

// Metric vs data.n, one series per combination of the other axes (error bars: std over seeds);
// for FID the training-set floors as a dashed line. PNG and SVG.
std::string figures(const SweepPlan& plan, const std::string& out_dir, const std::vector<std::string>& group_axes,
                    const std::vector<std::string>& order, Groups& groups, GroupStats& stats) {
  std::ostringstream md;
  md << "\nFigures (error bars: std over seeds): ";
  for (const auto& m : sweep_metrics()) {
    auto label_of = [&](const json& axes) {
      std::string label;
      for (const auto& a : group_axes)
        if (a != "data.n") label += (label.empty() ? "" : " ") + value_text(axes[a]);
      return label;
    };
    std::vector<Series> list = mean_series(order, groups, stats, m.name, m.label, label_of,
                                           [](const json& axes) { return axes["data.n"].get<double>(); });
    if (list.empty()) continue;
    if (std::string(m.name) == "fid") {  // the floor per N (one line per data config without N)
      std::map<std::string, Series> floors;
      std::map<std::string, std::map<double, double>> points;
      for (const auto& key : order)
        for (const json* r : groups[key])
          if (r->contains("floor")) {
            json data = (*r)["floor"]["data"];
            const double n = data["n"].get<double>();
            data.erase("n");
            points[data.dump()][n] = floor_fid(*r);
          }
      for (const auto& [data, pts] : points) {
        Series f;
        f.label = points.size() == 1 ? "training-set floor" : "floor " + data;
        f.rgb = {110, 110, 110};
        f.dashed = true;
        for (const auto& [n, v] : pts) f.x.push_back(n), f.y.push_back(v);
        list.push_back(f);
      }
    }
    const PlotOptions po{std::string(m.label) + " vs training images (mean +- std over seeds)", "training images N",
                         m.label, 760, 460, false, false, {}};
    md << write_figure(out_dir, std::string(m.name) + "_vs_n", list, po);
  }
  return md.str() + "\n";
}

// FID against the values of a compared axis other than the bottleneck (the noise strengths of a
// noise study), categories in plan order; one series per combination of the remaining grouped
// axes ("quantum N=25"), error bars the std over seeds; each N's training-set floor dashed. PNG
// and SVG; the markdown link ("" when nothing could be drawn).
std::string axis_figure(const SweepPlan& plan, const std::string& out_dir, const std::string& axis,
                        const std::vector<std::string>& group_axes, const std::vector<std::string>& order,
                        Groups& groups, GroupStats& stats) {
  const std::vector<std::string> categories = axis_values(plan, axis);
  auto n_text = [](const json& axes) { return axes.contains("data.n") ? "N=" + value_text(axes["data.n"]) : std::string(); };
  auto label_of = [&](const json& axes) {
    std::string label;
    for (const auto& a : group_axes)
      if (a != axis) label += (label.empty() ? "" : " ") + (a == "data.n" ? n_text(axes) : value_text(axes[a]));
    return label;
  };
  auto x_of = [&](const json& axes) {
    return static_cast<double>(std::find(categories.begin(), categories.end(), value_text(axes[axis])) - categories.begin());
  };
  std::vector<Series> list = mean_series(order, groups, stats, "fid", "FID", label_of, x_of);
  if (list.empty()) return "";
  std::map<std::string, double> floors;  // "N=25" -> the floor's FID
  for (const auto& key : order)
    for (const json* r : groups[key])
      if (const double f = floor_fid(*r); std::isfinite(f)) floors[n_text((*r)["axes"])] = f;
  for (const auto& [n, f] : floors) {
    Series fl;
    fl.label = floors.size() == 1 ? "training-set floor" : "floor " + n;
    fl.rgb = {110, 110, 110};
    fl.dashed = true;
    fl.x = {0.0, static_cast<double>(categories.size()) - 1};
    fl.y = {f, f};
    list.push_back(fl);
  }
  const PlotOptions po{"FID vs " + axis + " (mean +- std over seeds)", axis, "FID", 760, 460, false, false, categories};
  return write_figure(out_dir, file_safe("fid_vs_" + axis), list, po);
}

// The table a README shows: FID per N (and per value of the other axes), each arm's mean +- std
// over the seeds that finished (with their count when some are missing), the training-set floor,
// and the first arm against each other one, paired by seed. "" unless the plan varies the
// bottleneck and N.
std::string summary_markdown(const SweepPlan& plan, const std::vector<json>& results, const std::vector<PairedLine>& lines) {
  const auto& names = plan.axis_names;
  const auto has = [&](const char* a) { return std::find(names.begin(), names.end(), a) != names.end(); };
  if (!has("data.n") || !has("model.bottleneck")) return "";
  const std::vector<std::string> arms = axis_values(plan, "model.bottleneck");
  if (arms.empty()) return "";
  const std::string first = reference_arm(arms);
  const Metric& fid = sweep_metrics()[0];
  // rows: the other axes' values as text (others_text, as the paired lines have them) and N, in plan order
  std::vector<std::pair<std::string, json>> rows;
  std::set<std::string> seen;  // row keys
  std::map<std::string, std::map<std::string, std::vector<double>>> values;  // row -> arm -> FIDs
  std::map<std::string, int64_t> planned_seeds;                              // row + arm -> cells
  std::map<std::string, double> floor_of;                                    // row -> floor FID
  for (const auto& r : results) {
    const json& ax = r["axes"];
    const std::string others = others_text(names, ax, "model.bottleneck");
    const std::string key = others + "\x1f" + ax["data.n"].dump(), arm = value_text(ax["model.bottleneck"]);
    if (seen.insert(key).second) rows.emplace_back(others, ax["data.n"]);
    ++planned_seeds[key + "\x1f" + arm];
    if (const double v = metric_of(r, fid); std::isfinite(v)) values[key][arm].push_back(v);
    if (const double f = floor_fid(r); std::isfinite(f)) floor_of[key] = f;
  }
  const bool other_axes = !rows.empty() && !rows[0].first.empty();
  std::ostringstream md;
  md << "\n## Summary: FID per N\n\nEach arm's FID, mean +- std over the seeds that finished (their count when "
     << "some have not); the training-set floor; " << first << " - each other arm paired by seed: mean difference "
     << "[95% t interval], p of the paired t-test and Holm p (across the values of N that have pairs); significant: "
     << "Holm p < 0.05. Details below.\n";
  const auto ok = std::count_if(results.begin(), results.end(), [](const json& r) { return status_of(r) == "ok"; });
  if (ok < static_cast<std::ptrdiff_t>(results.size()))
    md << "\n**Interim**: " << ok << " of " << results.size() << " cells finished. Holm's correction covers only the "
       << "values of N with pairs so far, so a difference marked significant here may not stay so when the sweep is "
       << "complete.\n";
  md << "\n| N |" << (other_axes ? " other axes |" : "");
  for (const auto& a : arms) md << " " << a << " |";
  md << " floor |";
  for (const auto& a : arms)
    if (a != first) md << " " << first << " - " << a << " [95% CI], p (Holm p) |";
  md << "\n|";
  for (size_t i = 0; i < 2 + other_axes + 2 * arms.size() - 1; ++i) md << "---|";
  md << "\n";
  for (const auto& [others, n] : rows) {
    const std::string key = others + "\x1f" + n.dump();
    md << "| " << value_text(n) << " |" << (other_axes ? " " + others + " |" : "");
    for (const auto& a : arms) {
      const std::vector<double>& v = values[key][a];
      const int64_t planned = planned_seeds[key + "\x1f" + a];
      if (v.empty()) {
        md << (planned ? " (0/" + std::to_string(planned) + ") |" : " - |");
        continue;
      }
      const auto mi = eval::mean_interval(v);
      md << " " << fmt(mi.mean) << (v.size() > 1 ? " +- " + fmt(mi.std, 2) : "");
      if (static_cast<int64_t>(v.size()) < planned) md << " (" << v.size() << "/" << planned << ")";
      md << " |";
    }
    md << " " << (floor_of.count(key) ? fmt(floor_of[key]) : "-") << " |";
    for (const auto& a : arms) {
      if (a == first) continue;
      const auto it = std::find_if(lines.begin(), lines.end(), [&](const PairedLine& l) {
        return l.metric == fid.name && l.arm_b == a && l.others == others && l.n == n;
      });
      if (it == lines.end() || it->stats.n < 2) {
        md << " - |";
        continue;
      }
      const auto& st = it->stats;
      md << " " << (st.mean_diff > 0 ? "+" : "") << fmt(st.mean_diff, 3) << " [" << fmt(st.lo, 3) << ", " << fmt(st.hi, 3)
         << "], " << fmt(st.p, 2) << " (" << fmt(it->holm, 2) << ")" << (it->holm < 0.05 ? " **significant**" : "") << " |";
    }
    md << "\n";
  }
  return md.str();
}

}  // namespace

const std::vector<Metric>& sweep_metrics() {
  static const std::vector<Metric> m = {
      {"fid", "FID", -1, [](const json& r) { return at(r, {"fid", "value"}); }},
      {"fid_corrected", "FID (bias-corrected)", -1, [](const json& r) { return at(r, {"fid", "jackknife", "corrected"}); }},
      {"fid_floor_ratio", "FID / floor", -1, [](const json& r) { return at(r, {"fid", "value"}) / floor_fid(r); }},
      {"kid", "KID", -1, [](const json& r) { return at(r, {"kid", "mean"}); }},
      {"precision", "precision", +1, [](const json& r) { return at(r, {"precision"}); }},
      {"recall", "recall", +1, [](const json& r) { return at(r, {"recall"}); }},
      {"class_entropy", "class entropy (bits)", +1, class_entropy},
      {"ssim_train_nearest", "SSIM to nearest training image", 0,
       [](const json& r) { return at(r, {"ssim", "nearest_train_mean"}); }},
      {"ssim_nearest", "SSIM to nearest reference", 0, [](const json& r) { return at(r, {"ssim", "nearest_mean"}); }},
      {"ssim_pairwise", "pairwise SSIM", -1, [](const json& r) { return at(r, {"ssim", "pairwise_mean"}); }},
  };
  return m;
}

double metric_of(const json& r, const Metric& m) { return status_of(r) == "ok" ? m.get(r) : NAN; }

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

std::string file_safe(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') c = '_';
  return s;
}

std::string fmt(double v, int prec) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*g", prec, v);
  return b;
}

void aggregate(const SweepPlan& plan, const std::string& out_dir) {
  std::vector<json> results = load_results(plan, out_dir);
  attach_floors(plan, out_dir, results);
  write_file_atomic(out_dir + "/results.csv", results_csv(plan, results));
  const auto& metrics = sweep_metrics();

  // ---- group over seeds -------------------------------------------------------------------------
  std::vector<std::string> group_axes;
  for (const auto& a : plan.axis_names)
    if (a != "train.seed") group_axes.push_back(a);
  Groups groups;
  std::vector<std::string> order;
  for (const auto& r : results) {
    std::string key;
    for (const auto& a : group_axes) key += value_text(r["axes"][a]) + "\x1f";
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  std::string summary;  // filled with the bottleneck comparison, placed first
  std::ostringstream md;
  md << "# Sweep " << plan.name << "\n\nMean +- std over seeds (95% t interval in brackets); " << results.size()
     << " cells. Lower FID/KID is better; higher precision/recall is better; class entropy (of the predicted-class "
     << "histogram) near its maximum means every class is produced; SSIM to the nearest training image near 1 means "
     << "copies of training images; pairwise SSIM near 1 means no diversity. FID (bias-corrected): the grouped "
     << "jackknife estimate of the FID of infinitely many samples (see README, Evaluation).\n\n|";
  for (const auto& a : group_axes) md << " " << a << " |";
  md << " seeds ok |";
  for (const auto& m : metrics) md << " " << m.label << " |";
  md << "\n|";
  for (size_t i = 0; i < group_axes.size() + 1 + metrics.size(); ++i) md << "---|";
  md << "\n";
  GroupStats stats;
  for (const auto& key : order) {
    const auto& rs = groups[key];
    md << "|";
    for (const auto& a : group_axes) md << " " << value_text((*rs[0])["axes"][a]) << " |";
    int ok = 0;
    for (const auto* r : rs) ok += status_of(*r) == "ok";
    md << " " << ok << "/" << rs.size() << " |";
    for (const auto& m : metrics) {
      std::vector<double> v;
      for (const auto* r : rs)
        if (const double x = metric_of(*r, m); std::isfinite(x)) v.push_back(x);
      if (v.empty()) {
        md << " - |";
        continue;
      }
      const auto mi = eval::mean_interval(v);
      stats[key][m.name] = mi;
      md << " " << fmt(mi.mean);
      if (v.size() > 1) md << " +- " << fmt(mi.std, 3) << " [" << fmt(mi.lo) << ", " << fmt(mi.hi) << "]";
      md << " |";
    }
    md << "\n";
  }
  md << compute_markdown(results);
  md << floors_markdown(plan, results);
  for (const auto& axis : plan.compare) {
    const PairedReport paired = paired_comparisons(plan, results, axis);
    md << paired.markdown;
    if (!paired.csv.empty()) write_file_atomic(out_dir + "/" + paired_csv_name(axis), paired.csv);
    if (axis == "model.bottleneck") summary = summary_markdown(plan, results, paired.lines);
  }

  if (std::find(group_axes.begin(), group_axes.end(), "data.n") != group_axes.end())
    md << figures(plan, out_dir, group_axes, order, groups, stats);
  else
    md << "\nNo plots against N: this sweep does not vary data.n.\n";
  std::string axis_links;
  for (const auto& axis : plan.compare)
    if (axis != "model.bottleneck") axis_links += axis_figure(plan, out_dir, axis, group_axes, order, groups, stats);
  if (!axis_links.empty()) md << "\nFID against the compared axes (error bars: std over seeds): " << axis_links << "\n";
  std::string text = md.str();
  if (!summary.empty()) text.insert(text.find("\n\n") + 1, summary);  // after the title
  write_file_atomic(out_dir + "/results.md", text);
  spdlog::info("wrote {0}/results.csv, {0}/results.md, paired comparisons and figures", out_dir);
}

}  // namespace qdiff::sweep
