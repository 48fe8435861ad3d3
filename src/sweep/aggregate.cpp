// Aggregating a sweep: results.csv (one row per cell), results.md (mean +- std over seeds with
// a 95% t interval) and metric-vs-N plots with error bars.
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "qdiff/core/files.hpp"
#include "qdiff/eval/stats.hpp"
#include "qdiff/io/plot.hpp"
#include "qdiff/sweep/sweep.hpp"

namespace qdiff::sweep {
using json = nlohmann::json;

namespace {

struct Metric {
  const char* name;    // column name
  const char* label;   // for tables and plots
  std::vector<const char*> path;  // into result["metrics"]
};
const std::vector<Metric> kMetrics = {
    {"fid", "FID", {"fid", "value"}},
    {"kid", "KID", {"kid", "mean"}},
    {"precision", "precision", {"precision"}},
    {"recall", "recall", {"recall"}},
    {"ssim_nearest", "SSIM to nearest", {"ssim", "nearest_mean"}},
    {"ssim_pairwise", "pairwise SSIM", {"ssim", "pairwise_mean"}},
};

double metric_of(const json& r, const Metric& m) {
  if (r.value("status", std::string()) != "ok" || !r.contains("metrics")) return NAN;
  const json* j = &r["metrics"];
  for (const char* k : m.path) {
    if (!j->contains(k)) return NAN;
    j = &(*j)[k];
  }
  return j->is_number() ? j->get<double>() : NAN;
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string csv_escape(std::string s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
  return o + "\"";
}

std::string fmt(double v, int prec = 4) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*g", prec, v);
  return b;
}

}  // namespace

void aggregate(const SweepPlan& plan, const std::string& out_dir) {
  // ---- results.csv ---------------------------------------------------------------------------
  std::vector<json> results;
  for (const auto& c : plan.cells) {
    const std::string path = out_dir + "/cells/" + c.id + "/result.json";
    try {
      json r = json::parse(read_file_text(path));
      const std::string mismatch = config_mismatch(plan, c, r);
      if (r.value("status", std::string()) == "ok" && !mismatch.empty()) {
        spdlog::warn("cell {}: its result is from another config ({}); marked stale, not counted (run the sweep to "
                     "redo it)", c.id, mismatch);
        r["status"] = "stale";
      }
      results.push_back(std::move(r));
    } catch (const std::exception&) {
      json r = {{"id", c.id}, {"status", "missing"}};
      json axes = json::object();
      for (const auto& [k, v] : c.axes) axes[k] = v;
      r["axes"] = axes;
      results.push_back(r);
    }
  }
  std::ostringstream csv;
  csv << "id";
  for (const auto& a : plan.axis_names) csv << "," << a;
  csv << ",status";
  for (const auto& m : kMetrics) csv << "," << m.name;
  csv << ",fid_ci_lo,fid_ci_hi,kid_std,final_loss,train_seconds,eval_seconds,config_hash,error\n";
  for (const auto& r : results) {
    csv << csv_escape(r.value("id", std::string()));
    for (const auto& a : plan.axis_names) csv << "," << csv_escape(value_text(r["axes"][a]));
    csv << "," << r.value("status", std::string());
    for (const auto& m : kMetrics) csv << "," << fmt(metric_of(r, m), 8);
    const bool ok = r.value("status", std::string()) == "ok";
    const json& f = ok ? r["metrics"].value("fid", json::object()) : json::object();
    csv << "," << (f.contains("ci95") ? fmt(f["ci95"][0].get<double>(), 8) : "-") << ","
        << (f.contains("ci95") ? fmt(f["ci95"][1].get<double>(), 8) : "-") << ","
        << (ok && r["metrics"].contains("kid") ? fmt(r["metrics"]["kid"]["std"].get<double>(), 8) : "-") << ","
        << fmt(r.value("final_loss", NAN), 8) << "," << fmt(r.value("train_seconds", NAN), 6) << ","
        << fmt(r.value("eval_seconds", NAN), 6) << "," << r.value("config_hash", std::string()) << ","
        << csv_escape(r.value("error", std::string())) << "\n";
  }
  write_file_atomic(out_dir + "/results.csv", csv.str());

  // ---- group over seeds -------------------------------------------------------------------------
  std::vector<std::string> group_axes;
  for (const auto& a : plan.axis_names)
    if (a != "train.seed") group_axes.push_back(a);
  std::map<std::string, std::vector<const json*>> groups;
  std::vector<std::string> order;
  for (const auto& r : results) {
    std::string key;
    for (const auto& a : group_axes) key += value_text(r["axes"][a]) + "\x1f";
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  std::ostringstream md;
  md << "# Sweep " << plan.name << "\n\nMean +- std over seeds (95% t interval in brackets); "
     << results.size() << " cells. Lower FID/KID is better; higher precision/recall is better; SSIM to "
     << "nearest near 1 means copies of training-like images, pairwise SSIM near 1 means no diversity.\n\n|";
  for (const auto& a : group_axes) md << " " << a << " |";
  md << " seeds ok |";
  for (const auto& m : kMetrics) md << " " << m.label << " |";
  md << "\n|";
  for (size_t i = 0; i < group_axes.size() + 1 + kMetrics.size(); ++i) md << "---|";
  md << "\n";
  std::map<std::string, std::map<std::string, eval::MeanInterval>> stats;  // group -> metric -> stats
  for (const auto& key : order) {
    const auto& rs = groups[key];
    md << "|";
    for (const auto& a : group_axes) md << " " << value_text((*rs[0])["axes"][a]) << " |";
    int ok = 0;
    for (const auto* r : rs) ok += r->value("status", std::string()) == "ok";
    md << " " << ok << "/" << rs.size() << " |";
    for (const auto& m : kMetrics) {
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

  // ---- plots: metric vs data.n per group of the remaining axes ----------------------------------
  const auto n_it = std::find(group_axes.begin(), group_axes.end(), "data.n");
  if (n_it != group_axes.end()) {
    md << "\nPlots: ";
    for (const auto& m : kMetrics) {
      std::map<std::string, Series> series;
      for (const auto& key : order) {
        const json& axes = (*groups[key][0])["axes"];
        std::string label;
        for (const auto& a : group_axes)
          if (a != "data.n") label += (label.empty() ? "" : " ") + value_text(axes[a]);
        if (!stats[key].count(m.name)) continue;
        Series& s = series[label];
        s.label = label.empty() ? m.label : label;
        s.markers = true;
        const auto& mi = stats[key][m.name];
        s.x.push_back(axes["data.n"].get<double>());
        s.y.push_back(mi.mean);
        s.yerr.push_back(std::isfinite(mi.std) ? mi.std : 0.0);
      }
      if (series.empty()) continue;
      std::vector<Series> list;
      for (auto& [label, s] : series) {
        s.rgb = palette_colour(list.size());
        list.push_back(s);
      }
      const std::string file = std::string(m.name) + "_vs_n.png";
      try {
        write_line_plot(out_dir + "/" + file, list,
                        {std::string(m.label) + " vs training images (mean +- std over seeds)", "training images N", m.label,
                         760, 460, false, false});
        md << "[" << file << "](" << file << ") ";
      } catch (const std::exception& e) {
        spdlog::warn("plot {}: {}", file, e.what());
      }
    }
    md << "\n";
  } else {
    md << "\nNo plots: they show metrics against data.n, which this sweep does not vary.\n";
  }
  write_file_atomic(out_dir + "/results.md", md.str());
  spdlog::info("wrote {0}/results.csv, {0}/results.md and plots", out_dir);
}

}  // namespace qdiff::sweep
