#pragma once
#include <string>

namespace qdiff {
// Sets the spdlog level by name (trace, debug, info, warn, error, off); throws InvalidArgument otherwise.
void set_log_level(const std::string& level);
}  // namespace qdiff
