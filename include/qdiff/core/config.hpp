// JSON run configuration with a single documented schema (config_schema.cpp).
// A config file only needs the keys it changes: everything else takes the schema default.
// Validation is strict: unknown keys (with a "did you mean" suggestion), wrong types and
// out-of-range values raise ConfigError naming the key and what is allowed. Only the config
// layer and the top layers (sweep, cli) read a Config by key: the library takes the typed
// options resolve_options (options.hpp) makes of it.
#pragma once
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace qdiff {

using json = nlohmann::json;

enum class KeyType { Int, Float, Bool, String, IntList };

struct KeySpec {
  std::string key;                   // dotted: "section.name"
  KeyType type;
  json default_value;
  double min = std::numeric_limits<double>::lowest();  // inclusive range for Int/Float and
  double max = std::numeric_limits<double>::max();     // IntList elements (unbounded if unset)
  std::vector<std::string> choices;  // allowed values for String (empty: any)
  std::string doc;
};

// Every key qdiff understands, in documentation order.
const std::vector<KeySpec>& config_schema();
const KeySpec* find_key(const std::string& dotted);
// The valid key closest in edit distance to `key` (for "did you mean").
std::string closest_key(const std::string& key);
// A Markdown table of the schema (used by `qdiff config --doc` and README).
std::string schema_markdown();
// What a key accepts beyond its type: "ddpm, ddim", "[1, 1e+07]", or "" (anything of the type).
std::string allowed_values(const KeySpec& spec);
// "an integer", "a number", "true or false", "a string", "a list of integers".
std::string type_name(KeyType type);

class Config {
 public:
  // All defaults.
  Config();
  // Defaults overlaid with `user` (validated). `source` names the origin in errors.
  static Config from_json(const json& user, const std::string& source = "config");
  // Reads and validates a JSON file; errors name the file.
  static Config from_file(const std::string& path);
  // The same from the text of a file; `source` names it in errors.
  static Config from_text(std::string_view text, const std::string& source);

  // Applies "section.key=value"; value is parsed as JSON, falling back to a plain string.
  void set(const std::string& assignment);
  void set_value(const std::string& dotted, const json& value);

  int64_t integer(const std::string& dotted) const;
  double number(const std::string& dotted) const;
  bool flag(const std::string& dotted) const;
  std::string str(const std::string& dotted) const;
  std::vector<int64_t> ints(const std::string& dotted) const;

  // The fully resolved config (every key present).
  const json& resolved() const { return data_; }
  std::string dump() const { return data_.dump(2); }
  // Stable short hash of the resolved config (hex), for result tables.
  std::string hash() const;

 private:
  json data_;
  const json& at(const std::string& dotted) const;
};

// Validates `value` for `spec`; returns the normalized value (ints stay ints, ints accepted as floats).
json validate_value(const KeySpec& spec, const json& value);

}  // namespace qdiff
