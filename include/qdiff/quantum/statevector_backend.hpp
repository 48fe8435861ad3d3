// The CPU statevector backend: every row (sample) of a batch is one state of 2^n amplitudes,
// simulated by the compiled Program (program.hpp) in parallel with OpenMP, one workspace per
// thread. A = cplx simulates in double, cplxf in float (kernels.hpp); the two are the same code.
// Its own gradient is adjoint differentiation (Jones & Gacon 2020; Program::adjoint): one
// forward and one backward sweep per row, whatever the number of angles. Parameter shift comes
// from the Backend interface (gradients.hpp).
#pragma once
#include <memory>
#include <string>

#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/program.hpp"

namespace qdiff::quantum {

template <class A>
class StatevectorBackend final : public Backend {
 public:
  explicit StatevectorBackend(Circuit circuit);

  std::string name() const override { return "statevector"; }
  Precision precision() const override;
  const Program& program() const { return program_; }

  void expectations(const double* angles, int64_t rows, const Rng& rng, double* z) const override;
  void sampled_expectations(const double* angles, int64_t rows, int64_t shots, const Rng& rng,
                            double* z) const override;
  // Adjoint here; ParameterShift through Backend.
  void angle_gradients(GradMethod method, const double* angles, int64_t rows, const double* dz, const Rng& rng,
                       double* dangles) const override;
  // Adjoint differentiation of every row: dangles[r, s] += dL_r/dangle_s.
  void adjoint(const double* angles, int64_t rows, const double* dz, double* dangles) const;

 private:
  // body(r, ws) for every row in parallel, ws: this thread's WorkspaceT<A>.
  template <class Body>
  void for_each_row(int64_t rows, Body&& body) const;
  Program program_;
};

// The "statevector" entry of the backend table: double or float amplitudes as options.precision.
std::unique_ptr<Backend> make_statevector_backend(Circuit circuit, const BackendOptions& options);

}  // namespace qdiff::quantum
