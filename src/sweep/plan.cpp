// Reading and validating sweep files; the cartesian product of axes; the quick preset.
#include <algorithm>

#include "qdiff/core/config.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/sweep/sweep.hpp"

namespace qdiff::sweep {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kEvalKeys = {"n_samples", "ref", "split", "features", "sampler", "steps", "batch",
                                            "max_ref", "kid_subsets", "classes"};

void check_config_value(const std::string& key, const json& v, const std::string& where) {
  const KeySpec* s = find_key(key);
  if (!s) throw FileError(where, "unknown config key '" + key + "' (did you mean '" + closest_key(key) + "'?)");
  try {
    validate_value(*s, v);
  } catch (const ConfigError& e) {
    throw FileError(where, e.what());
  }
}

void check_overrides(const json& o, const std::string& where) {
  if (!o.is_object()) throw FileError(where, "expected an object of config key -> value");
  for (auto it = o.begin(); it != o.end(); ++it) check_config_value(it.key(), it.value(), where);
}

std::string last_component(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::string file_safe(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '=' && c != '.' && c != '-' && c != '_') c = '-';
  return s;
}

// The quick preset: tiny model and budgets, small grid; keeps the plan's data, eval reference
// and feature network, and its first strategy.
void apply_quick(json& j) {
  json set = j.value("set", json::object());
  const json tiny = {{"model.arch", "large"}, {"model.base_channels", 8}, {"model.channel_mult", {1, 2}},
                     {"model.groups", 4},     {"quantum.n_qubits", 4},   {"quantum.n_layers", 1},
                     {"diffusion.T", 50},     {"train.steps", 30},        {"train.batch", 8},
                     {"train.ckpt_every", 0}, {"train.sample_every", 0},  {"train.log_every", 10}};
  for (auto it = tiny.begin(); it != tiny.end(); ++it) set[it.key()] = it.value();
  j["set"] = set;
  json axes = {{"data.n", {8, 16}}, {"model.bottleneck", {"quantum", "classical"}}};
  if (j.contains("axes") && j["axes"].contains("strategy") && !j["axes"]["strategy"].empty())
    axes["strategy"] = json::array({j["axes"]["strategy"][0]});
  axes["train.seed"] = {0, 1};
  j["axes"] = axes;
  json ev = j.value("eval", json::object());
  ev["n_samples"] = 64, ev["steps"] = 10, ev["max_ref"] = 500, ev["kid_subsets"] = 20;
  j["eval"] = ev;
  j["name"] = j.value("name", std::string("sweep")) + "-quick";
}

}  // namespace

SweepPlan plan_from_json(const json& input, const std::string& where, bool quick) {
  if (!input.is_object()) throw FileError(where, "a sweep file must be a JSON object");
  json j = input;
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::vector<std::string> top = {"name", "base", "set", "axes", "strategies", "eval", "checkpoint_every", "reuse", "compare", "_comment"};
    if (std::find(top.begin(), top.end(), it.key()) == top.end())
      throw FileError(where, "unknown key '" + it.key() + "' (expected name, base, set, axes, strategies, eval, checkpoint_every, reuse, compare)");
  }
  if (quick) apply_quick(j);
  SweepPlan p;
  p.name = j.value("name", std::string("sweep"));
  if (!j.contains("base") || !j["base"].is_string()) throw FileError(where, "'base' (a run config path) is required");
  p.base_config = j["base"].get<std::string>();
  p.set = j.value("set", json::object());
  check_overrides(p.set, where + " [set]");
  if (j.contains("checkpoint_every")) {
    if (!j["checkpoint_every"].is_number_integer() || j["checkpoint_every"].get<int64_t>() < 0)
      throw FileError(where, "'checkpoint_every' must be an integer >= 0 (steps between a cell's resume checkpoints; 0 = none)");
    p.checkpoint_every = j["checkpoint_every"].get<int64_t>();
  }
  if (j.contains("reuse")) {
    const json& r = j["reuse"];
    if (!r.is_array() || !std::all_of(r.begin(), r.end(), [](const json& d) { return d.is_string() && !d.get<std::string>().empty(); }))
      throw FileError(where, "'reuse' must be a list of directories (output directories of other sweeps)");
    p.reuse = r.get<std::vector<std::string>>();
  }
  p.strategies = j.value("strategies", json::object());
  if (!p.strategies.is_object()) throw FileError(where, "'strategies' must be an object of name -> overrides");
  for (auto it = p.strategies.begin(); it != p.strategies.end(); ++it)
    check_overrides(it.value(), where + " [strategies." + it.key() + "]");
  p.eval = j.value("eval", json::object());
  for (auto it = p.eval.begin(); it != p.eval.end(); ++it)
    if (std::find(kEvalKeys.begin(), kEvalKeys.end(), it.key()) == kEvalKeys.end())
      throw FileError(where, "unknown eval key '" + it.key() + "'");
  if (!p.eval.contains("ref")) throw FileError(where, "eval.ref (the reference data file) is required");

  if (!j.contains("axes") || !j["axes"].is_object() || j["axes"].empty())
    throw FileError(where, "'axes' must be a non-empty object of axis -> list of values");
  std::vector<std::vector<json>> values;
  for (auto it = j["axes"].begin(); it != j["axes"].end(); ++it) {
    if (!it.value().is_array() || it.value().empty()) throw FileError(where, "axis '" + it.key() + "' needs a non-empty list");
    for (const auto& v : it.value()) {
      if (it.key() == "strategy") {
        if (!v.is_string() || !p.strategies.contains(v.get<std::string>()))
          throw FileError(where, "strategy " + v.dump() + " is not defined under 'strategies'");
      } else {
        check_config_value(it.key(), v, where + " [axes]");
      }
    }
    p.axis_names.push_back(it.key());
    values.emplace_back(it.value().begin(), it.value().end());
  }
  if (j.contains("compare")) {
    const json& c = j["compare"];
    if (!c.is_array() || c.empty())
      throw FileError(where, "'compare' must be a non-empty list of axes whose values are paired by seed");
    p.compare.clear();
    for (const auto& a : c) {
      const bool is_axis = a.is_string() && std::find(p.axis_names.begin(), p.axis_names.end(), a.get<std::string>()) != p.axis_names.end();
      if (quick && a.is_string() && !is_axis) continue;  // the quick preset's grid has fewer axes
      if (!is_axis)
        throw FileError(where, "'compare' names " + a.dump() + ", which is not an axis of this sweep");
      p.compare.push_back(a.get<std::string>());
    }
  }
  // Cartesian product, first axis slowest.
  std::vector<size_t> idx(values.size(), 0);
  while (true) {
    Cell c;
    c.overrides = json::object();
    for (size_t a = 0; a < values.size(); ++a) {
      const json& v = values[a][idx[a]];
      c.axes.emplace_back(p.axis_names[a], v);
      if (p.axis_names[a] == "strategy") {
        for (auto it = p.strategies[v.get<std::string>()].begin(); it != p.strategies[v.get<std::string>()].end(); ++it)
          c.overrides[it.key()] = it.value();
      } else {
        c.overrides[p.axis_names[a]] = v;
      }
      c.id += (a ? "_" : "") + last_component(p.axis_names[a]) + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    c.id = file_safe(c.id);
    p.cells.push_back(std::move(c));
    size_t a = values.size();
    while (a > 0 && ++idx[a - 1] == values[a - 1].size()) idx[--a] = 0;
    if (a == 0) break;
  }
  return p;
}

SweepPlan load_plan(const std::string& path, bool quick) {
  json j;
  try {
    j = json::parse(read_file_text(path));
  } catch (const json::exception& e) {
    throw FileError(path, std::string("invalid JSON: ") + e.what());
  }
  return plan_from_json(j, path, quick);
}

}  // namespace qdiff::sweep
