#include "qdiff/core/config.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

namespace qdiff {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string type_name(KeyType t) {
  switch (t) {
    case KeyType::Int: return "an integer";
    case KeyType::Float: return "a number";
    case KeyType::Bool: return "true or false";
    case KeyType::String: return "a string";
    case KeyType::IntList: return "a list of integers";
  }
  return "?";
}

std::string range_text(const KeySpec& s) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "[%g, %g]", s.min, s.max);
  return buf;
}

void check_range(const KeySpec& s, double v) {
  if (!(v >= s.min && v <= s.max))
    throw ConfigError(s.key, "value " + json(v).dump() + " is out of range " + range_text(s));
}

std::pair<std::string, std::string> split_key(const std::string& dotted) {
  const auto dot = dotted.find('.');
  if (dot == std::string::npos) return {dotted, ""};
  return {dotted.substr(0, dot), dotted.substr(dot + 1)};
}

std::string unknown_key_message(const std::string& key) {
  return "unknown key (did you mean '" + closest_key(key) + "'?)";
}

}  // namespace

const KeySpec* find_key(const std::string& dotted) {
  for (const auto& s : config_schema())
    if (s.key == dotted) return &s;
  return nullptr;
}

std::string closest_key(const std::string& key) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& s : config_schema()) {
    // Compare against the full key and against its last component (users often drop the section).
    const size_t d = std::min(edit_distance(key, s.key), edit_distance(key, split_key(s.key).second) + 1);
    if (d < best_d) best_d = d, best = s.key;
  }
  return best;
}

json validate_value(const KeySpec& s, const json& v) {
  switch (s.type) {
    case KeyType::Int: {
      if (v.is_number_integer() || v.is_number_unsigned()) {
        check_range(s, v.get<double>());
        return v.get<int64_t>();
      }
      if (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>()))) {
        check_range(s, v.get<double>());
        return static_cast<int64_t>(v.get<double>());
      }
      break;
    }
    case KeyType::Float:
      if (v.is_number()) {
        check_range(s, v.get<double>());
        return v.get<double>();
      }
      break;
    case KeyType::Bool:
      if (v.is_boolean()) return v;
      break;
    case KeyType::String:
      if (v.is_string()) {
        if (!s.choices.empty() &&
            std::find(s.choices.begin(), s.choices.end(), v.get<std::string>()) == s.choices.end()) {
          std::string allowed;
          for (const auto& c : s.choices) allowed += (allowed.empty() ? "" : ", ") + c;
          throw ConfigError(s.key, "value \"" + v.get<std::string>() + "\" is not one of: " + allowed);
        }
        return v;
      }
      break;
    case KeyType::IntList:
      if (v.is_array()) {
        json out = json::array();
        for (const auto& e : v) {
          if (!e.is_number_integer()) throw ConfigError(s.key, "expected a list of integers, got " + v.dump());
          check_range(s, e.get<double>());
          out.push_back(e.get<int64_t>());
        }
        return out;
      }
      break;
  }
  throw ConfigError(s.key, "expected " + type_name(s.type) + ", got " + v.dump());
}

Config::Config() {
  data_ = json::object();
  for (const auto& s : config_schema()) {
    const auto [sec, name] = split_key(s.key);
    data_[sec][name] = s.default_value;
  }
}

Config Config::from_json(const json& user, const std::string& source) {
  if (!user.is_object()) throw FileError(source, "config must be a JSON object");
  Config c;
  for (auto it = user.begin(); it != user.end(); ++it) {
    if (it.key() == "_comment" || it.key() == "version") continue;  // free-form metadata
    if (!it.value().is_object()) {
      throw ConfigError(it.key(), "expected a section object like {\"" + it.key() +
                                      "\": {...}}; " + unknown_key_message(it.key()));
    }
    for (auto kv = it.value().begin(); kv != it.value().end(); ++kv) {
      if (kv.key() == "_comment") continue;
      c.set_value(it.key() + "." + kv.key(), kv.value());
    }
  }
  return c;
}

Config Config::from_file(const std::string& path) {
  const std::string text = read_file_text(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw FileError(path, std::string("invalid JSON: ") + e.what());
  }
  try {
    return from_json(j, path);
  } catch (const ConfigError& e) {
    throw FileError(path, e.what());
  }
}

void Config::set_value(const std::string& dotted, const json& value) {
  const KeySpec* s = find_key(dotted);
  if (!s) throw ConfigError(dotted, unknown_key_message(dotted));
  const auto [sec, name] = split_key(dotted);
  data_[sec][name] = validate_value(*s, value);
}

void Config::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InvalidArgument("--set expects section.key=value, got '" + assignment + "'");
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  json v;
  try {
    v = json::parse(text);
  } catch (const json::parse_error&) {
    v = text;  // bare word: a string
  }
  set_value(key, v);
}

const json& Config::at(const std::string& dotted) const {
  const auto [sec, name] = split_key(dotted);
  if (!data_.contains(sec) || !data_[sec].contains(name)) throw ConfigError(dotted, "not in schema");
  return data_[sec][name];
}

int64_t Config::integer(const std::string& k) const { return at(k).get<int64_t>(); }
double Config::number(const std::string& k) const { return at(k).get<double>(); }
bool Config::flag(const std::string& k) const { return at(k).get<bool>(); }
std::string Config::str(const std::string& k) const { return at(k).get<std::string>(); }
std::vector<int64_t> Config::ints(const std::string& k) const { return at(k).get<std::vector<int64_t>>(); }

std::string Config::hash() const {
  // FNV-1a 64 over the canonical dump (nlohmann sorts object keys).
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : data_.dump()) h = (h ^ ch) * 1099511628211ULL;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 12);
}

std::string schema_markdown() {
  std::ostringstream o;
  o << "| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n";
  for (const auto& s : config_schema()) {
    std::string allowed;
    if (!s.choices.empty()) {
      for (const auto& c : s.choices) allowed += (allowed.empty() ? "" : ", ") + c;
    } else if (s.type == KeyType::Int || s.type == KeyType::Float || s.type == KeyType::IntList) {
      allowed = range_text(s);
    }
    o << "| `" << s.key << "` | " << type_name(s.type) << " | `" << s.default_value.dump() << "` | "
      << allowed << " | " << s.doc << " |\n";
  }
  return o.str();
}

}  // namespace qdiff
