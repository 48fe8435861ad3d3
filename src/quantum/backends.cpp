// The table of quantum backends: a new backend is its own file plus one line here. (A table, not
// static self-registering objects: the linker drops an object file of a static library that
// nothing references, and with it such a registration.)
#include "qdiff/core/error.hpp"
#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/statevector_backend.hpp"

namespace qdiff::quantum {
namespace {

constexpr BackendEntry kBackends[] = {
    {"statevector", "exact statevector simulation on the CPU (double or float amplitudes)", &make_statevector_backend},
};

}  // namespace

std::span<const BackendEntry> backends() { return kBackends; }

std::unique_ptr<Backend> make_backend(std::string_view name, Circuit circuit, const BackendOptions& options) {
  std::string known;
  for (const BackendEntry& b : kBackends) {
    if (b.name == name) return b.make(std::move(circuit), options);
    known += (known.empty() ? "" : ", ") + std::string(b.name);
  }
  throw InvalidArgument("unknown quantum backend '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace qdiff::quantum
