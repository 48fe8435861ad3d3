// The "density_matrix" backend: every row of a batch is the exact density matrix of the noisy
// circuit (density_matrix.hpp), simulated in double, rows in parallel. Exact expectations with the
// readout factor, z[r, q] = (1 - 2 r_ro) Re tr(Z_q rho_r); finite shots draw bitstrings from
// diag(rho_r) and flip each bit with the readout error (rng.fork(r) per row). Its own gradient is
// the density-matrix adjoint sweep; parameter shift (exact under these channels) comes from the
// Backend interface. With a noiseless model it reproduces the statevector backend to rounding.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/density_matrix.hpp"

namespace qdiff::quantum {

class DensityMatrixBackend final : public Backend {
 public:
  // adjoint_copy_bytes: per thread, memory for the states the adjoint sweep keeps (density_matrix.hpp).
  DensityMatrixBackend(Circuit circuit, NoiseModel noise, size_t adjoint_copy_bytes = size_t{1} << 28);

  std::string name() const override { return "density_matrix"; }
  Precision precision() const override { return Precision::Double; }
  const DensityMatrixSimulator& simulator() const { return sim_; }
  const NoiseModel& noise() const { return sim_.noisy().noise(); }

  void expectations(const double* angles, int64_t rows, const Rng& rng, double* z) const override;
  void sampled_expectations(const double* angles, int64_t rows, int64_t shots, const Rng& rng,
                            double* z) const override;
  // Adjoint here; ParameterShift through Backend.
  void angle_gradients(GradMethod method, const double* angles, int64_t rows, const double* dz, const Rng& rng,
                       double* dangles) const override;

 private:
  DensityMatrixSimulator sim_;
  size_t copy_bytes_;
};

// The "density_matrix" entry of the backend table (options.noise, options.adjoint_copy_bytes;
// options.precision must be double).
std::unique_ptr<Backend> make_density_matrix_backend(Circuit circuit, const BackendOptions& options);

}  // namespace qdiff::quantum
