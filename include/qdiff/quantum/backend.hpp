// The quantum backend interface: what the bottleneck branch (hybrid/) needs from a simulator,
// and the registry of backends by name.
//
// A backend evaluates one parameterised circuit (circuit.hpp) for a batch of B input vectors
// sharing one weight vector, and differentiates it:
//   forward        z[b, q] = <Z_q> of circuit(inputs[b], weights), exact
//   forward_shots  the same estimated from `shots` Born-rule samples per input
//   backward       gradient of L = sum_b sum_q dz[b, q] <Z_q>_b w.r.t. inputs and weights
// Layouts (row-major): inputs [B, n_inputs], weights [n_weights], z and dz [B, n_qubits],
// dinputs [B, n_inputs]. Inputs, weights and outputs are double (float overloads convert at the
// edges); the backend's precision() is that of its own state, fixed when it is made.
//
// A backend implements three things on bound angle slots (Circuit::bind; rows are independent
// circuit runs): expectations, sampled_expectations and, optionally, its own gradient method.
// The batch entry points bind, call them, and chain the slot gradients back to inputs and
// weights. Parameter shift (gradients.hpp) needs only expectations(), so every backend has it;
// adjoint differentiation is the statevector backend's own (statevector_backend.hpp).
//
// Randomness comes from the caller: every entry point takes an Rng, and row r of a call draws
// from rng.fork(r). Shots use it; so does a backend whose expectations are themselves estimates
// (Monte Carlo trajectories of a noisy circuit); exact backends (statevector, density matrix)
// ignore it outside forward_shots. The bottleneck branch passes one stream per forward call,
// which its checkpointed call counter reproduces on resume.
//
// Determinism: every row's result depends only on that row (and its stream), and the weight
// gradient is summed over the rows in the batch's fixed gradient tree (core/reduce.hpp: leaves of
// kBatchLeaf rows in row order, combined pairwise in the precision of dweights), as the nn layers
// sum theirs: results are bit-identical for any thread count, and a data-parallel shard's
// gradient is a node of the whole batch's tree (MPI processes add up to one process's sum).
//
// Noise (noise.hpp) is a backend's business: "statevector" simulates the ideal circuit only,
// "density_matrix" (density_matrix_backend.hpp) is exact under noise, "trajectories"
// (trajectory_backend.hpp) a Monte Carlo estimate for larger circuits. The readout error enters
// the same way in both noisy backends: exact expectations are scaled by 1 - 2 r, and finite shots
// flip every sampled bit with probability r.
//
// Adding a backend (a GPU, ...): a new file with the class and its factory, and one line in the
// table of backends.cpp; make_backend(name, ...) then finds it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qdiff/core/modes.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/circuit.hpp"
#include "qdiff/quantum/noise.hpp"

namespace qdiff::quantum {

// The simulator's modes are the config's (core/modes.hpp).
// Precision of the simulated amplitudes. Float halves the memory traffic and doubles the SIMD
// width; its errors (<Z> within ~2e-8, gradients within ~3e-6 relative up to 20 qubits; a
// training pilot could not tell it from double, bench/RESULTS.md) are below what training
// notices, but double stays the default and the reference.
using qdiff::Precision;
// Adjoint (fast, the statevector backend's) or ParameterShift (any backend; what hardware does).
using qdiff::GradMethod;
// Which simulation a config asks for (quantum.simulation); see simulation_backend below.
using qdiff::Simulation;

class Backend {
 public:
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // For logs, e.g. "statevector".
  virtual std::string name() const = 0;
  virtual Precision precision() const = 0;

  const Circuit& circuit() const { return *circuit_; }
  int n_qubits() const { return circuit_->n_qubits(); }
  int n_inputs() const { return circuit_->n_inputs(); }
  int n_weights() const { return circuit_->n_weights(); }
  // OpenMP threads for the rows of a batch; 0 (default) = the OpenMP default (OMP_NUM_THREADS).
  void set_num_threads(int threads) { threads_ = threads; }
  int threads() const;

  // ---- batches of inputs (see the top of this file) ------------------------------------------
  // (rng: the stream of a stochastic backend; the default suits exact ones)
  void forward(const double* inputs, int64_t batch, const double* weights, double* z, const Rng& rng = Rng()) const;
  void forward(const float* inputs, int64_t batch, const float* weights, float* z, const Rng& rng = Rng()) const;
  // `shots` Born-rule samples per input; sample b draws from rng.fork(b). shots must be > 0.
  void forward_shots(const double* inputs, int64_t batch, const double* weights, int64_t shots, const Rng& rng,
                     double* z) const;
  // Gradient of L = sum_b sum_q dz[b, q] <Z_q>_b (the expectations, not the shot estimates).
  // ACCUMULATES: dinputs[b, i] += dL/dinputs[b, i], dweights[k] += sum_b dL_b/dweights[k].
  // Either output may be null.
  void backward(const double* inputs, int64_t batch, const double* weights, const double* dz, GradMethod method,
                double* dinputs, double* dweights, const Rng& rng = Rng()) const;
  void backward(const float* inputs, int64_t batch, const float* weights, const float* dz, GradMethod method,
                float* dinputs, float* dweights, const Rng& rng = Rng()) const;

  // ---- bound angle slots: angles [rows, n_slots] (what a backend implements) -----------------
  // z[r, q] = <Z_q> after the circuit with the angles of row r (exact, or the backend's estimate
  // drawn from rng.fork(r)).
  virtual void expectations(const double* angles, int64_t rows, const Rng& rng, double* z) const = 0;
  // The same from `shots` samples per row; row r draws from rng.fork(r).
  virtual void sampled_expectations(const double* angles, int64_t rows, int64_t shots, const Rng& rng,
                                    double* z) const = 0;
  // dangles[r, s] += dL_r/dangle_s for L_r = sum_q dz[r, q] <Z_q>_r. This default computes
  // ParameterShift from expectations() and rejects Adjoint; a backend with its own method(s)
  // overrides it and passes the others on.
  virtual void angle_gradients(GradMethod method, const double* angles, int64_t rows, const double* dz,
                               const Rng& rng, double* dangles) const;

  // The angle slots of every row of a batch: [batch, n_slots].
  std::vector<double> bind_rows(const double* inputs, int64_t batch, const double* weights) const;

 protected:
  explicit Backend(Circuit circuit);

 private:
  // backward with the weight gradient of every row written to dw_rows [batch, n_weights] (when
  // not null) instead of summed.
  void backward_rows(const double* inputs, int64_t batch, const double* weights, const double* dz, GradMethod method,
                     double* dinputs, double* dw_rows, const Rng& rng) const;
  std::unique_ptr<const Circuit> circuit_;  // heap-held: a backend's compiled form may point into it
  int threads_ = 0;
};

struct BackendOptions {
  Precision precision = Precision::Double;  // a backend that has only one precision rejects the other
  int threads = 0;                          // Backend::set_num_threads
  NoiseModel noise;                         // the noisy backends' channels; statevector rejects any noise
  int trajectories = 64;                    // trajectories per row (the trajectories backend)
  size_t adjoint_copy_bytes = size_t{1} << 28;  // per thread: states a noisy adjoint sweep may keep
};

using BackendFactory = std::unique_ptr<Backend> (*)(Circuit circuit, const BackendOptions& options);
struct BackendEntry {
  std::string_view name;         // what make_backend (and a future quantum.simulation key) takes
  std::string_view description;  // one line for help texts
  BackendFactory make;
};

// Every backend, in the order of backends.cpp's table.
std::span<const BackendEntry> backends();
// The backend called `name` for `circuit`; InvalidArgument naming the known ones otherwise.
std::unique_ptr<Backend> make_backend(std::string_view name, Circuit circuit, const BackendOptions& options = {});

// Largest circuit `auto` simulates on a density matrix (16 * 4^n bytes per copy: 16 MiB at 10
// qubits); larger noisy circuits run as trajectories.
constexpr int kAutoDensityMatrixQubits = 10;
// The backend name a simulation choice means for an n-qubit circuit with this noise: the named
// one, or for Auto "statevector" without noise and with noise "density_matrix" up to
// kAutoDensityMatrixQubits qubits, else "trajectories".
std::string_view simulation_backend(Simulation simulation, const NoiseModel& noise, int n_qubits);

}  // namespace qdiff::quantum
