#include "qdiff/quantum/statevector_backend.hpp"

#include <cstring>
#include <type_traits>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/sampling.hpp"
#include "row_loop.hpp"

namespace qdiff::quantum {

template <class A>
StatevectorBackend<A>::StatevectorBackend(Circuit circuit) : Backend(std::move(circuit)), program_(this->circuit()) {}

template <class A>
Precision StatevectorBackend<A>::precision() const {
  return std::is_same_v<A, cplxf> ? Precision::Float : Precision::Double;
}

template <class A>
template <class Body>
void StatevectorBackend<A>::forward_rows(const double* angles, int64_t rows, Body&& body) const {
  const int ns = circuit().n_slots();
  const bool keep = static_cast<size_t>(rows) * (size_t{1} << n_qubits()) * sizeof(A) <= kKeptStatesBudget;
  kept_angles_.clear();
  kept_psi_.resize(keep ? rows : 0);
  for_each_row(rows, threads(), workspaces_, [&](int64_t r, WorkspaceT<A>& ws) {
    program_.forward(angles + r * ns, ws);
    body(r, ws);
    if (keep) std::swap(ws.psi, kept_psi_[r]);  // the workspace gets the old buffer (or none)
  });
  if (keep) kept_angles_.assign(angles, angles + rows * ns);
}

template <class A>
void StatevectorBackend<A>::expectations(const double* angles, int64_t rows, const Rng&, double* z) const {
  const int n = n_qubits();
  forward_rows(angles, rows, [&](int64_t r, WorkspaceT<A>& ws) { expectation_z_all(ws.psi.data(), n, z + r * n); });
}

template <class A>
void StatevectorBackend<A>::sampled_expectations(const double* angles, int64_t rows, int64_t shots, const Rng& rng,
                                                 double* z) const {
  const int n = n_qubits();
  forward_rows(angles, rows, [&](int64_t r, WorkspaceT<A>& ws) {
    Rng row_rng = rng.fork(static_cast<uint64_t>(r));
    estimate_z(ws.psi.data(), n, shots, row_rng, z + r * n);
  });
}

template <class A>
void StatevectorBackend<A>::adjoint(const double* angles, int64_t rows, const double* dz, double* dangles) const {
  const int n = n_qubits(), ns = circuit().n_slots();
  const bool kept = !kept_angles_.empty() && kept_angles_.size() == static_cast<size_t>(rows * ns) &&
                    std::memcmp(kept_angles_.data(), angles, kept_angles_.size() * sizeof(double)) == 0;
  for_each_row(rows, threads(), workspaces_, [&](int64_t r, WorkspaceT<A>& ws) {
    if (kept) {
      std::swap(ws.psi, kept_psi_[r]);  // the final state of this row's forward
      program_.adjoint_from_state(angles + r * ns, dz + r * n, dangles + r * ns, ws);
    } else {
      program_.adjoint(angles + r * ns, dz + r * n, dangles + r * ns, ws);
    }
  });
  if (kept) kept_angles_.clear();  // the sweep has clobbered the states (their buffers stay for the next forward)
}

template <class A>
void StatevectorBackend<A>::angle_gradients(GradMethod method, const double* angles, int64_t rows, const double* dz,
                                            const Rng& rng, double* dangles) const {
  if (method == GradMethod::Adjoint) return adjoint(angles, rows, dz, dangles);
  Backend::angle_gradients(method, angles, rows, dz, rng, dangles);
}

template class StatevectorBackend<cplx>;
template class StatevectorBackend<cplxf>;

std::unique_ptr<Backend> make_statevector_backend(Circuit circuit, const BackendOptions& options) {
  if (!options.noise.is_noiseless())
    throw InvalidArgument("the statevector backend simulates no noise (" + options.noise.describe() +
                          "): use density_matrix or trajectories");
  std::unique_ptr<Backend> b;
  if (options.precision == Precision::Float) b = std::make_unique<StatevectorBackend<cplxf>>(std::move(circuit));
  else b = std::make_unique<StatevectorBackend<cplx>>(std::move(circuit));
  b->set_num_threads(options.threads);
  return b;
}

}  // namespace qdiff::quantum
