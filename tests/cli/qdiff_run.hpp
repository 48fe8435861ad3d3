// Runs the qdiff binary under test from the repository root (so configs/ and data/ resolve), with
// no stdin, for the end-to-end tests of tests/cli.
#pragma once
#include <string>

#include "support/test_support.hpp"

namespace qdiff::test {

// The exit code of `qdiff <args>`; *out gets stdout and stderr.
inline int qdiff_run(const std::string& args, std::string* out) {
  return run_command("cd " + repo_path("") + " && " + std::string(QDIFF_BINARY) + " " + args + " </dev/null", out);
}

}  // namespace qdiff::test
