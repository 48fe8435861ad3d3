#include "qdiff/core/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"

namespace qdiff {
namespace {

// Levenshtein distance; stops early with a value > limit once the distance must exceed limit.
size_t edit_distance(const std::string& a, const std::string& b, size_t limit) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
    if (*std::min_element(prev.begin(), prev.end()) > limit) return limit + 1;
  }
  return prev[b.size()];
}

std::string range_text(const KeySpec& s) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "[%g, %g]", s.min, s.max);
  return buf;
}

// A value as JSON text for an error message; bytes that are not UTF-8 show as U+FFFD instead of
// making the message itself fail.
std::string shown(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

bool is_utf8(const std::string& s) {
  try {
    (void)json(s).dump();  // nlohmann's own definition of a string it can write
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

// `v` is `given` as a number.
void check_range(const KeySpec& s, double v, const json& given) {
  if (!(v >= s.min && v <= s.max))
    throw ConfigError(s.key, "value " + shown(given) + " is out of range " + range_text(s));
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

std::string allowed_values(const KeySpec& s) {
  std::string allowed;
  if (!s.choices.empty()) {
    for (const auto& c : s.choices) allowed += (allowed.empty() ? "" : ", ") + c;
  } else if ((s.type == KeyType::Int || s.type == KeyType::Float || s.type == KeyType::IntList) &&
             (s.min > -1e300 || s.max < 1e300)) {
    allowed = range_text(s);
  }
  return allowed;
}

const KeySpec* find_key(const std::string& dotted) {
  for (const auto& s : config_schema())
    if (s.key == dotted) return &s;
  return nullptr;
}

std::string closest_key(const std::string& key_in) {
  // Keys are short: a long unknown key is compared by its start (the edit distance is quadratic).
  const std::string key = key_in.substr(0, 40);
  std::string best;
  size_t best_d = SIZE_MAX / 2;
  for (const auto& s : config_schema()) {
    // Compare against the full key and against its last component (users often drop the section).
    const size_t full = edit_distance(key, s.key, best_d);
    const size_t d = std::min(full, edit_distance(key, split_key(s.key).second, std::min(full, best_d)) + 1);
    if (d < best_d) best_d = d, best = s.key;
  }
  return best;
}

json validate_value(const KeySpec& s, const json& v) {
  switch (s.type) {
    case KeyType::Int: {
      if (v.is_number_integer() || v.is_number_unsigned()) {
        check_range(s, v.get<double>(), v);
        return v.get<int64_t>();
      }
      if (v.is_number_float()) {  // 1e3 or 1000.0; the range is checked before the conversion
        const double d = v.get<double>();
        if (d == std::trunc(d)) {
          check_range(s, d, v);
          if (std::abs(d) < 9e18) return static_cast<int64_t>(d);
        }
      }
      break;
    }
    case KeyType::Float:
      if (v.is_number()) {
        check_range(s, v.get<double>(), v);
        return v.get<double>();
      }
      break;
    case KeyType::Bool:
      if (v.is_boolean()) return v;
      break;
    case KeyType::String:
      if (v.is_string()) {
        if (!is_utf8(v.get<std::string>())) throw ConfigError(s.key, "value " + shown(v) + " is not valid UTF-8");
        if (!s.choices.empty() &&
            std::find(s.choices.begin(), s.choices.end(), v.get<std::string>()) == s.choices.end()) {
          throw ConfigError(s.key, "value " + shown(v) + " is not one of: " + allowed_values(s));
        }
        return v;
      }
      break;
    case KeyType::IntList:
      if (v.is_array()) {
        json out = json::array();
        for (const auto& e : v) {
          if (!e.is_number_integer()) throw ConfigError(s.key, "expected a list of integers, got " + shown(v));
          check_range(s, e.get<double>(), e);
          out.push_back(e.get<int64_t>());
        }
        return out;
      }
      break;
  }
  throw ConfigError(s.key, "expected " + type_name(s.type) + ", got " + shown(v));
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

Config Config::from_file(const std::string& path) { return from_text(read_file_text(path), path); }

Config Config::from_text(std::string_view text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
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
  } catch (const json::exception&) {  // parse_error, or out_of_range for a number like 1e400
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
    o << "| `" << s.key << "` | " << type_name(s.type) << " | `" << s.default_value.dump() << "` | "
      << allowed_values(s) << " | " << s.doc << " |\n";
  }
  return o.str();
}

}  // namespace qdiff
