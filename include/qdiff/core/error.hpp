// Typed errors raised at the edges of qdiff (files, configs, checkpoints, user input).
// main() catches qdiff::Error, prints one line and exits non-zero; nothing aborts.
#pragma once
#include <stdexcept>
#include <string>

namespace qdiff {

// Base of every error qdiff reports to the user.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file could not be opened/read/written, or its content is not what was expected.
// The message always starts with the path.
class FileError : public Error {
 public:
  FileError(const std::string& path, const std::string& problem)
      : Error(path + ": " + problem), path_(path), problem_(problem) {}
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_, problem_;
};

// A configuration key is unknown, of the wrong type or out of range. Names the key.
class ConfigError : public Error {
 public:
  ConfigError(const std::string& key, const std::string& problem)
      : Error("config key '" + key + "': " + problem), key_(key), problem_(problem) {}
  const std::string& key() const { return key_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string key_, problem_;
};

// Arguments that do not fit together (shapes, counts, options).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A feature that exists in the CLI but whose implementation has not landed yet.
class NotAvailable : public Error {
 public:
  using Error::Error;
};

}  // namespace qdiff
