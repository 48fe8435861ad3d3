// Small helpers shared by every test program.
#pragma once
#include <cstdlib>
#include <optional>
#include <string>

namespace qdiff::test {

// Absolute path of a file in the repository (e.g. "data/mnist.npz").
std::string repo_path(const std::string& relative);

// A fresh temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Sets an environment variable for one scope, restoring it on exit.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> before;
  ScopedEnv(std::string n, const char* value) : name(std::move(n)) {
    if (const char* e = std::getenv(name.c_str())) before = e;
    setenv(name.c_str(), value, 1);
  }
  ~ScopedEnv() {
    if (before)
      setenv(name.c_str(), before->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
};

// Runs a shell command, returns its exit status and captures stdout+stderr into *output.
int run_command(const std::string& command, std::string* output);

}  // namespace qdiff::test
