// Command-line values are checked as strictly as config keys, by the same validate_value, and a
// malformed one fails before the command runs with the same kind of one line, naming the
// option, the value and what was expected:
//   option '--n': expected an integer, got "abc"
//   option '--n': value 0 is out of range [1, 1e+07]
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "qdiff/core/config.hpp"

namespace qdiff::cli {

// A CLI11 validator for ->transform() (->check() would drop the normalization): the text, read
// as JSON (a bare word is a string), must pass validate_value for `spec`; the option then
// receives the normalized value (e.g. "1e3" -> "1000").
CLI::Validator checked(const KeySpec& spec);
// The same as the config key `dotted` (e.g. --steps accepts what train.steps accepts).
CLI::Validator like_key(const std::string& dotted);
CLI::Validator integer_in(double lo, double hi);
CLI::Validator number_in(double lo, double hi);
CLI::Validator any_number();
CLI::Validator one_of(std::vector<std::string> choices);
// Seeds: integers in [0, 2^32 - 1], as train.seed.
CLI::Validator seed_value();

// The one line printed for a command-line error that CLI11 detects (values, missing or unknown
// options): its own messages, with the option named as above.
std::string parse_error_line(const CLI::ParseError& e);

}  // namespace qdiff::cli
