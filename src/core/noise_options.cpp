// The quantum noise keys' cross-key rules (options.hpp). Each key's own range is the schema's.
#include <sstream>
#include <utility>
#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/core/options.hpp"

namespace qdiff {
namespace {

// The gate channels' strengths and their keys (what the device preset computes instead).
std::vector<std::pair<double, const char*>> gate_channels(const QuantumOptions& o) {
  return {{o.depolarizing, "quantum.depolarizing"},
          {o.depolarizing_2q, "quantum.depolarizing_2q"},
          {o.amplitude_damping, "quantum.amplitude_damping"},
          {o.dephasing, "quantum.dephasing"}};
}

std::string fmt(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

}  // namespace

void check_noise_options(const QuantumOptions& o) {
  const bool device = o.t1 > 0 || o.t2 > 0;
  if (device) {
    if (!(o.t1 > 0)) throw ConfigError("quantum.t1", "must be > 0 with quantum.t2 = " + fmt(o.t2) + " (the device preset needs both)");
    if (!(o.t2 > 0)) throw ConfigError("quantum.t2", "must be > 0 with quantum.t1 = " + fmt(o.t1) + " (the device preset needs both)");
    if (o.t2 > 2 * o.t1)
      throw ConfigError("quantum.t2", fmt(o.t2) + " exceeds 2 * quantum.t1 = " + fmt(2 * o.t1) + " (T2 <= 2 T1)");
    for (const auto& [value, key] : gate_channels(o))
      if (value != 0)
        throw ConfigError(key, "cannot be combined with the device preset (quantum.t1 = " + fmt(o.t1) +
                                   " computes every channel); set one or the other");
  } else {
    if (o.gate_error_1q != 0) throw ConfigError("quantum.gate_error_1q", "belongs to the device preset: set quantum.t1 and quantum.t2 too");
    if (o.gate_error_2q != 0) throw ConfigError("quantum.gate_error_2q", "belongs to the device preset: set quantum.t1 and quantum.t2 too");
  }
  const std::string noisy = o.noise_key();
  if (!noisy.empty() && o.simulation == Simulation::Statevector)
    throw ConfigError(noisy, "needs a noisy simulation, but quantum.simulation = statevector simulates no noise "
                             "(use auto, density_matrix or trajectories)");
  const bool noisy_backend = o.simulation == Simulation::DensityMatrix || o.simulation == Simulation::Trajectories ||
                             (o.simulation == Simulation::Auto && !noisy.empty());
  if (o.precision == Precision::Float && noisy_backend)
    throw ConfigError("quantum.precision", "float is for the statevector simulation only; the " +
                                               std::string(noisy.empty() ? "quantum.simulation = " + mode_name(o.simulation)
                                                                         : "noisy simulation (" + noisy + ")") +
                                               " runs in double");
}

std::string QuantumOptions::noise_key() const {
  if (t1 > 0 || t2 > 0) return "quantum.t1";
  for (const auto& [value, key] : gate_channels(*this))
    if (value != 0) return key;
  return readout_error != 0 ? "quantum.readout_error" : "";
}

}  // namespace qdiff
