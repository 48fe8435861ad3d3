#include "qdiff/quantum/density_matrix_backend.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "noisy_steps.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/quantum/sampling.hpp"
#include "row_loop.hpp"

namespace qdiff::quantum {

DensityMatrixBackend::DensityMatrixBackend(Circuit circuit, NoiseModel noise, size_t adjoint_copy_bytes)
    : Backend(circuit), sim_(std::move(circuit), std::move(noise)), copy_bytes_(adjoint_copy_bytes) {}

void DensityMatrixBackend::expectations(const double* angles, int64_t rows, const Rng&, double* z) const {
  const int n = n_qubits(), ns = circuit().n_slots();
  for_each_row<DensityWorkspace>(rows, threads(), [&](int64_t r, DensityWorkspace& ws) {
    sim_.forward(angles + r * ns, ws);
    sim_.expectation_z(ws, z + r * n);
  });
}

void DensityMatrixBackend::sampled_expectations(const double* angles, int64_t rows, int64_t shots, const Rng& rng,
                                                double* z) const {
  const int n = n_qubits(), ns = circuit().n_slots();
  const uint64_t dim = uint64_t{1} << n;
  for_each_row<DensityWorkspace>(rows, threads(), [&](int64_t r, DensityWorkspace& ws) {
    sim_.forward(angles + r * ns, ws);
    std::vector<cplx> amps(dim);  // amplitudes with |amp|^2 = diag(rho), for the Born sampler
    for (uint64_t i = 0; i < dim; ++i) amps[i] = std::sqrt(std::max(ws.rho[i * (dim + 1)].real(), 0.0));
    Rng row_rng = rng.fork(static_cast<uint64_t>(r));
    std::vector<uint64_t> bits = sample_bitstrings(amps.data(), n, shots, row_rng);
    noisy::apply_readout_error(bits, n, noise().readout_error, row_rng);
    z_from_samples(bits.data(), shots, n, z + r * n);
  });
}

void DensityMatrixBackend::angle_gradients(GradMethod method, const double* angles, int64_t rows, const double* dz,
                                           const Rng& rng, double* dangles) const {
  if (method != GradMethod::Adjoint) return Backend::angle_gradients(method, angles, rows, dz, rng, dangles);
  const int n = n_qubits(), ns = circuit().n_slots();
  for_each_row<DensityWorkspace>(rows, threads(), [&](int64_t r, DensityWorkspace& ws) {
    sim_.adjoint(angles + r * ns, dz + r * n, dangles + r * ns, ws, copy_bytes_);
  });
}

std::unique_ptr<Backend> make_density_matrix_backend(Circuit circuit, const BackendOptions& options) {
  if (options.precision != Precision::Double)
    throw InvalidArgument("the density_matrix backend simulates in double precision only (got " +
                          mode_name(options.precision) + ")");
  auto b = std::make_unique<DensityMatrixBackend>(std::move(circuit), options.noise, options.adjoint_copy_bytes);
  b->set_num_threads(options.threads);
  return b;
}

}  // namespace qdiff::quantum
