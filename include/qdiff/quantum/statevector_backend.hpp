// The CPU statevector backend: every row (sample) of a batch is one state of 2^n amplitudes,
// simulated by the compiled Program (program.hpp) in parallel with OpenMP, one workspace per
// thread. A = cplx simulates in double, cplxf in float (kernels.hpp); the two are the same code.
// Its own gradient is adjoint differentiation (Jones & Gacon 2020; Program::adjoint): one
// forward and one backward sweep per row, whatever the number of angles. Parameter shift comes
// from the Backend interface (gradients.hpp).
//
// Training differentiates the forward it has just run, so the backend keeps the final states of
// its last expectations() call (within kKeptStatesBudget bytes; their buffers are swapped out of
// the workspace, not copied), and an adjoint on exactly the same angles (compared bit for bit)
// starts its backward sweep from them instead of running the forward again. The results are the
// same bits either way. The workspaces (three states per thread) are kept between calls too.
// This state makes a backend serve one caller at a time (as the bottleneck branch uses it).
#pragma once
#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

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

  // Largest total size of the final states kept for the next adjoint (64 rows of 16 qubits in
  // double: 64 MiB).
  static constexpr size_t kKeptStatesBudget = size_t{256} << 20;
  // Rows whose final states are kept now (0 after an adjoint has used them).
  int64_t kept_rows() const { return static_cast<int64_t>(kept_angles_.size()) / std::max(1, circuit().n_slots()); }

 private:
  // Runs the forward of every row and body(r, ws) on its final state, then keeps the states
  // (when they fit the budget) for an adjoint on the same angles.
  template <class Body>
  void forward_rows(const double* angles, int64_t rows, Body&& body) const;
  Program program_;
  mutable std::vector<WorkspaceT<A>> workspaces_;  // [threads]
  mutable std::vector<double> kept_angles_;        // [rows, n_slots] of the kept states; empty: none
  mutable std::vector<std::vector<A>> kept_psi_;   // [rows][2^n] (buffers reused across calls)
};

// The "statevector" entry of the backend table: double or float amplitudes as options.precision;
// a noisy options.noise is an InvalidArgument (this backend has no channels).
std::unique_ptr<Backend> make_statevector_backend(Circuit circuit, const BackendOptions& options);

}  // namespace qdiff::quantum
