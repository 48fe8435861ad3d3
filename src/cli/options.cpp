#include "options.hpp"

#include "qdiff/core/error.hpp"

namespace qdiff::cli {

CLI::Validator checked(const KeySpec& spec) {
  const std::string allowed = allowed_values(spec);
  const std::string desc = allowed.empty() ? "" : (spec.choices.empty() ? "in " : "one of ") + allowed;
  return CLI::Validator(
      [spec](std::string& text) -> std::string {
        json value;
        try {
          value = json::parse(text);
        } catch (const json::exception&) {  // parse_error, or out_of_range for 1e400
          value = text;  // a bare word: a string
        }
        try {
          const json ok = validate_value(spec, value);
          text = ok.is_string() ? ok.get<std::string>() : ok.dump();
          return "";
        } catch (const ConfigError& e) {
          return e.problem();
        }
      },
      desc);
}

CLI::Validator like_key(const std::string& dotted) {
  const KeySpec* spec = find_key(dotted);
  if (!spec) throw InvalidArgument("like_key: no config key '" + dotted + "'");
  return checked(*spec);
}

CLI::Validator integer_in(double lo, double hi) { return checked({"", KeyType::Int, 0, lo, hi, {}, ""}); }
CLI::Validator number_in(double lo, double hi) { return checked({"", KeyType::Float, 0.0, lo, hi, {}, ""}); }
CLI::Validator any_number() { return checked({"", KeyType::Float, 0.0, -1e300, 1e300, {}, ""}); }
CLI::Validator one_of(std::vector<std::string> choices) {
  return checked({"", KeyType::String, "", -1e300, 1e300, std::move(choices), ""});
}
CLI::Validator seed_value() { return like_key("train.seed"); }

std::string parse_error_line(const CLI::ParseError& e) {
  // CLI11 words value errors as "<option>: <problem>"; name the option as config errors do.
  const std::string what = e.what();
  const auto colon = what.find(": ");
  if (colon != std::string::npos && colon > 0 && what[0] == '-' && what.find(' ') > colon)
    return "option '" + what.substr(0, colon) + "': " + what.substr(colon + 2);
  return what + " (--help lists the options)";
}

}  // namespace qdiff::cli
