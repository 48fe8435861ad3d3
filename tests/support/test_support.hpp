// Small helpers shared by every test program.
#pragma once
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

// Runs a shell command, returns its exit status and captures stdout+stderr into *output.
int run_command(const std::string& command, std::string* output);

}  // namespace qdiff::test
