#pragma once
#include <string>

namespace qdiff {
// Semantic version of this build, e.g. "0.1.0".
std::string version();
// Version plus build facts (compiler, native ISA, OpenMP threads) for results metadata.
std::string build_info();
}  // namespace qdiff
