#include "qdiff/core/modes.hpp"

#include "qdiff/core/error.hpp"

namespace qdiff {

void throw_unknown_mode(std::string_view what, std::string_view name, std::span<const std::string_view> names) {
  std::string valid;
  for (size_t i = 0; i < names.size(); ++i)
    valid += std::string(i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
  throw InvalidArgument("unknown " + std::string(what) + " '" + std::string(name) + "' (use " + valid + ")");
}

}  // namespace qdiff
