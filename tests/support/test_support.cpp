#include "support/test_support.hpp"

#include <stdlib.h>
#include <sys/wait.h>

// The PNG decoder that tests use to read back what qdiff writes.
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace qdiff::test {

std::string repo_path(const std::string& relative) { return std::string(QDIFF_SOURCE_DIR) + "/" + relative; }

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "qdiff-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int run_command(const std::string& command, std::string* output) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf;
  std::string out;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace qdiff::test
