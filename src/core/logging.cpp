#include "qdiff/core/logging.hpp"

#include <spdlog/spdlog.h>

#include "qdiff/core/error.hpp"

namespace qdiff {
void set_log_level(const std::string& level) {
  const auto lv = spdlog::level::from_str(level);
  if (lv == spdlog::level::off && level != "off")
    throw InvalidArgument("unknown log level '" + level + "' (trace, debug, info, warn, error, off)");
  spdlog::set_level(lv);
  spdlog::set_pattern("[%H:%M:%S %^%l%$] %v");
}
}  // namespace qdiff
