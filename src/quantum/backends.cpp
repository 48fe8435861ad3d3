// The table of quantum backends: a new backend is its own file plus one line here. (A table, not
// static self-registering objects: the linker drops an object file of a static library that
// nothing references, and with it such a registration.)
#include "qdiff/core/error.hpp"
#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/density_matrix_backend.hpp"
#include "qdiff/quantum/statevector_backend.hpp"
#include "qdiff/quantum/trajectory_backend.hpp"

namespace qdiff::quantum {
namespace {

constexpr BackendEntry kBackends[] = {
    {"statevector", "exact statevector simulation on the CPU (double or float amplitudes), no noise", &make_statevector_backend},
    {"density_matrix", "exact simulation of the noisy circuit on its density matrix (double; up to about 12 qubits)",
     &make_density_matrix_backend},
    {"trajectories", "Monte Carlo trajectories of the noisy circuit on statevectors (double; larger circuits)",
     &make_trajectory_backend},
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

std::string_view simulation_backend(Simulation simulation, const NoiseModel& noise, int n_qubits) {
  switch (simulation) {
    case Simulation::Statevector: return "statevector";
    case Simulation::DensityMatrix: return "density_matrix";
    case Simulation::Trajectories: return "trajectories";
    case Simulation::Auto: break;
  }
  if (noise.is_noiseless()) return "statevector";
  return n_qubits <= kAutoDensityMatrixQubits ? "density_matrix" : "trajectories";
}

}  // namespace qdiff::quantum
