// What a run records about the program that made it: the version and the git commit.
#pragma once
#include <string>

namespace qdiff {
// The git commit of the sources (`git describe --always --dirty`, e.g. "97b5022-dirty"), or
// "unknown" when built outside a git checkout. Refreshed at every build, not only at configure.
std::string commit();
// Semantic version with the commit as build metadata, e.g. "0.1.0+97b5022" ("0.1.0" alone when
// the commit is unknown). Written beside checkpoints, samples and results.
std::string version();
// Version plus build facts (compiler, native ISA, OpenMP threads) for results metadata.
std::string build_info();
}  // namespace qdiff
