// Paired comparisons of the values of one axis (the bottleneck arms; the noise strategies of a
// noise study): runs that share every other axis (the same data subset, training seed and
// sampling seeds) are compared seed by seed; the differences get a t interval, a paired t-test,
// Holm's adjustment across N and an effect size.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "internal.hpp"
#include "qdiff/eval/stats.hpp"

namespace qdiff::sweep {
using json = nlohmann::json;

namespace {

constexpr const char* kSeed = "train.seed";
constexpr const char* kN = "data.n";
constexpr double kAlpha = 0.05;
// The metrics the markdown tables and the reading cover (paired.csv has them all).
const std::vector<std::string> kReported = {"fid", "kid"};

struct Row {
  const Metric* metric;
  std::string arm_a, arm_b;
  std::vector<std::string> other_values;  // values of the remaining axes
  std::string others;                     // the same as text, "strategy=gaussian" ("" when none)
  json n = nullptr;    // the data.n value (null without that axis)
  eval::PairedComparison stats;
  double holm = NAN;
};


// Whether the two results are one run: a cell that took the other's result by reuse (the
// classical arm of a noise study, which has no circuit to add noise to), or both taken from the
// same donor. Their difference is zero by construction and tests nothing.
bool same_run(const json& a, const json& b) {
  const std::string ra = a.value("reused_from", std::string()), rb = b.value("reused_from", std::string());
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  return (!ra.empty() && ra == rb) || (!ra.empty() && ends_with(ra, "/cells/" + b.value("id", std::string()))) ||
         (!rb.empty() && ends_with(rb, "/cells/" + a.value("id", std::string())));
}

// "N = 25 (strategy=gaussian)"
std::string where_text(const json& n, const std::string& others) {
  std::string s = n.is_null() ? "" : "N = " + value_text(n);
  if (!others.empty()) s += (s.empty() ? "" : " ") + std::string("(") + others + ")";
  return s.empty() ? "all cells" : s;
}

std::string sign_fmt(double v, int prec = 4) { return (v > 0 ? "+" : "") + fmt(v, prec); }
// Fixed decimals (percentages, effect sizes): "+18.4", "-0.80".
std::string fixed(double v, int decimals, bool sign = false) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, sign ? "%+.*f" : "%.*f", decimals, v);
  return b;
}

// One sentence a reader can act on.
std::string reading(const Row& r) {
  const auto& s = r.stats;
  std::ostringstream o;
  o << "- " << r.metric->label << ", " << r.arm_a << " - " << r.arm_b << ", " << where_text(r.n, r.others) << ": ";
  if (s.n < 2) {
    o << sign_fmt(s.mean_diff) << " from " << s.n << " pair: no test possible.";
    return o.str();
  }
  o << sign_fmt(s.mean_diff) << " [" << fmt(s.lo, 3) << ", " << fmt(s.hi, 3) << "] (" << fixed(s.relative_percent, 1, true)
    << "%), d_z " << fixed(s.d_z, 2) << ", p " << fmt(s.p, 2) << ", Holm p " << fmt(r.holm, 2) << ": ";
  if (r.holm < kAlpha) {
    const bool a_better = r.metric->better * s.mean_diff > 0;
    o << "**significant**";
    if (r.metric->better != 0) o << " (" << (a_better ? r.arm_a : r.arm_b) << " better)";
  } else {
    o << "**not significant**";
  }
  const double spread = std::sqrt(0.5 * (s.sd_a * s.sd_a + s.sd_b * s.sd_b));
  if (std::fabs(s.mean_diff) < spread)
    o << "; the difference is smaller than the seed-to-seed spread (std " << fmt(spread, 3) << ")";
  o << ".";
  return o.str();
}

}  // namespace

std::vector<std::string> axis_values(const SweepPlan& plan, const std::string& axis) {
  std::vector<std::string> values;
  for (const auto& c : plan.cells)
    for (const auto& [k, v] : c.axes)
      if (k == axis && std::find(values.begin(), values.end(), value_text(v)) == values.end()) values.push_back(value_text(v));
  return values;
}

std::string reference_arm(const std::vector<std::string>& arms) {
  if (arms.empty()) return "";
  return std::find(arms.begin(), arms.end(), "quantum") != arms.end() ? "quantum" : arms[0];
}

std::vector<std::string> other_axes(const std::vector<std::string>& names, const std::string& axis) {
  std::vector<std::string> others;
  for (const auto& a : names)
    if (a != axis && a != kSeed && a != kN) others.push_back(a);
  return others;
}

std::string others_text(const std::vector<std::string>& names, const json& axes, const std::string& axis) {
  std::string s;
  for (const auto& a : other_axes(names, axis)) s += (s.empty() ? "" : ", ") + a + "=" + value_text(axes[a]);
  return s;
}

std::string paired_csv_name(const std::string& axis) {
  if (axis == "model.bottleneck") return "paired.csv";
  return file_safe("paired_" + axis + ".csv");
}

PairedReport paired_comparisons(const SweepPlan& plan, const std::vector<json>& results, const std::string& axis) {
  PairedReport rep;
  const auto& names = plan.axis_names;
  if (std::find(names.begin(), names.end(), axis) == names.end()) return rep;
  const bool has_n = std::find(names.begin(), names.end(), kN) != names.end();
  const std::vector<std::string> others = other_axes(names, axis);
  const std::vector<std::string> arms = axis_values(plan, axis);
  const std::string first = reference_arm(arms);

  // pair key (every axis but the arm) -> arm -> result; group order follows the plan.
  std::map<std::string, std::map<std::string, const json*>> pairs;
  std::vector<std::string> group_order;
  std::map<std::string, std::vector<std::string>> pairs_of_group;  // group (others + N) -> pair keys
  for (const auto& r : results) {
    if (r.value("status", std::string()) != "ok") continue;
    const json& ax = r["axes"];
    std::string pair_key, group_key;
    for (const auto& a : names)
      if (a != axis) pair_key += ax[a].dump() + "\x1f";
    for (const auto& a : names)
      if (a != axis && a != kSeed) group_key += ax[a].dump() + "\x1f";
    if (!pairs.count(pair_key)) {
      if (!pairs_of_group.count(group_key)) group_order.push_back(group_key);
      pairs_of_group[group_key].push_back(pair_key);
    }
    pairs[pair_key][value_text(ax[axis])] = &r;
  }

  std::vector<Row> rows;
  std::vector<std::string> one_run;  // comparisons left out: every pair is one run (same_run)
  for (const Metric& m : sweep_metrics()) {
    for (const auto& b : arms) {
      if (b == first) continue;
      for (const auto& g : group_order) {
        std::vector<double> va, vb;
        const json* example = nullptr;
        bool all_one_run = true;
        for (const auto& pk : pairs_of_group[g]) {
          const auto& arm_results = pairs[pk];
          if (!arm_results.count(first) || !arm_results.count(b)) continue;
          const double x = metric_of(*arm_results.at(first), m), y = metric_of(*arm_results.at(b), m);
          if (!std::isfinite(x) || !std::isfinite(y)) continue;
          va.push_back(x), vb.push_back(y), example = arm_results.at(first);
          all_one_run = all_one_run && same_run(*arm_results.at(first), *arm_results.at(b));
        }
        if (va.empty()) continue;
        const json& ax = (*example)["axes"];
        if (all_one_run) {
          const std::string what =
              first + " - " + b + ", " + where_text(has_n ? ax[kN] : json(nullptr), others_text(names, ax, axis));
          if (m.name == kReported[0]) one_run.push_back(what);
          continue;
        }
        Row row{&m, first, b, {}, others_text(names, ax, axis), has_n ? ax[kN] : json(nullptr),
                eval::paired_comparison(va, vb), NAN};
        for (const auto& a : others) row.other_values.push_back(value_text(ax[a]));
        rows.push_back(std::move(row));
      }
    }
  }
  // Holm across N within each family (metric, comparison, remaining axes).
  std::map<std::string, std::vector<size_t>> families;
  for (size_t i = 0; i < rows.size(); ++i)
    families[std::string(rows[i].metric->name) + "\x1f" + rows[i].arm_b + "\x1f" + rows[i].others].push_back(i);
  size_t family_size = 0;
  for (const auto& [key, idx] : families) {
    std::vector<double> p;
    for (size_t i : idx) p.push_back(rows[i].stats.p);
    const auto adj = eval::holm_adjust(p);
    for (size_t k = 0; k < idx.size(); ++k) rows[idx[k]].holm = adj[k];
    family_size = std::max(family_size, idx.size());
  }

  std::ostringstream csv;
  csv << "metric,comparison";
  for (const auto& a : others) csv << "," << a;
  if (has_n) csv << "," << kN;
  csv << ",pairs,mean_a,sd_a,mean_b,sd_b,diff,diff_lo,diff_hi,relative_percent,d_z,t,p,p_holm,significant\n";
  for (const auto& r : rows) {
    const auto& s = r.stats;
    csv << r.metric->name << "," << r.arm_a << " - " << r.arm_b;
    for (const auto& v : r.other_values) csv << "," << v;
    if (has_n) csv << "," << value_text(r.n);
    csv << "," << s.n << "," << fmt(s.mean_a, 8) << "," << fmt(s.sd_a, 8) << "," << fmt(s.mean_b, 8) << ","
        << fmt(s.sd_b, 8) << "," << fmt(s.mean_diff, 8) << "," << fmt(s.lo, 8) << "," << fmt(s.hi, 8) << ","
        << fmt(s.relative_percent, 6) << "," << fmt(s.d_z, 6) << "," << fmt(s.t, 6) << "," << fmt(s.p, 6) << ","
        << fmt(r.holm, 6) << "," << (r.holm < kAlpha ? "yes" : "no") << "\n";
  }
  rep.csv = csv.str();
  for (const auto& r : rows) rep.lines.push_back({r.metric->name, r.arm_a, r.arm_b, r.others, r.n, r.stats, r.holm});

  std::ostringstream md;
  md << "\n## Paired comparisons of " << (axis == "model.bottleneck" ? std::string("the bottleneck arms") : "the values of `" + axis + "`")
     << "\n\nPairs share every axis but `" << axis << "`: the same data subset, training seed and sampling seeds. "
     << "Difference = " << first << " - other arm, mean over the pairs with a 95% t interval; p: two-sided paired "
     << "t-test; Holm p: p adjusted by Holm's method across the " << (has_n ? "values of N" : "tests")
     << " (families of up to " << family_size << " tests: one per comparison, metric"
     << (others.empty() ? "" : " and value of the other axes") << "); d_z: mean difference / std of the "
     << "differences (Cohen's d_z); relative: mean difference / mean of the other arm. Significant: Holm p < 0.05. "
     << "Every metric and comparison: `" << paired_csv_name(axis) << "`.\n";
  if (!one_run.empty()) {
    md << "\nNot compared, because each of their pairs is one run (a cell that took the other's result by `reuse`, "
       << "such as the classical arm of a noise study, which has no circuit for the noise to act on): ";
    for (size_t i = 0; i < one_run.size(); ++i) md << (i ? "; " : "") << one_run[i];
    md << ".\n";
  }
  for (const auto& name : kReported) {
    std::vector<const Row*> sel;
    for (const auto& r : rows)
      if (r.metric->name == name) sel.push_back(&r);
    if (sel.empty()) continue;
    md << "\n### " << sel[0]->metric->label << " (" << (sel[0]->metric->better < 0 ? "lower" : "higher") << " is better)\n\n|"
       << (has_n ? " N |" : "") << (others.empty() ? "" : " other axes |")
       << " comparison | pairs | mean +- std (" << first << ") | mean +- std (other) | difference [95% CI] | relative | d_z | p | Holm p | significant |\n|";
    for (int i = 0; i < 10 + has_n + !others.empty(); ++i) md << "---|";
    md << "\n";
    for (const Row* r : sel) {
      const auto& s = r->stats;
      md << "|" << (has_n ? " " + value_text(r->n) + " |" : "") << (others.empty() ? "" : " " + r->others + " |") << " "
         << r->arm_a << " - " << r->arm_b << " | " << s.n << " | " << fmt(s.mean_a) << " +- " << fmt(s.sd_a, 3) << " | "
         << fmt(s.mean_b) << " +- " << fmt(s.sd_b, 3) << " | " << sign_fmt(s.mean_diff) << " [" << fmt(s.lo, 3) << ", "
         << fmt(s.hi, 3) << "] | " << fixed(s.relative_percent, 1, true) << "% | " << fixed(s.d_z, 2) << " | " << fmt(s.p, 2)
         << " | " << fmt(r->holm, 2) << " | " << (s.n < 2 ? "-" : r->holm < kAlpha ? "**yes**" : "no") << " |\n";
    }
  }
  md << "\n### Reading\n\n";
  for (const auto& name : kReported)
    for (const auto& r : rows)
      if (r.metric->name == name) md << reading(r) << "\n";
  rep.markdown = md.str();
  return rep;
}

}  // namespace qdiff::sweep
