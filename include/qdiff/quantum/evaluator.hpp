// Batched evaluation of a parameterised circuit: B input vectors share one weight vector.
// Samples run in parallel with OpenMP (one state per thread); every per-sample result depends
// only on that sample, and the weight gradient is reduced serially in sample order, so results
// are bit-identical for any thread count.
//
// Layouts (row-major): inputs [B, n_inputs], weights [n_weights], z and dz [B, n_qubits],
// dinputs [B, n_inputs]. Inputs, weights, angles and outputs are double (float overloads
// convert at the edges); the state itself is simulated in the evaluator's Precision.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/circuit.hpp"
#include "qdiff/quantum/gradients.hpp"
#include "qdiff/quantum/program.hpp"

namespace qdiff::quantum {

// Precision of the simulated amplitudes. Float halves the memory traffic and doubles the SIMD
// width; its errors (<Z> within ~2e-8, gradients within ~3e-6 relative up to 20 qubits; a
// training pilot could not tell it from double, bench/RESULTS.md) are below what training
// notices, but double stays the default and the reference.
enum class Precision { Double, Float };
// "double" | "float"; throws InvalidArgument otherwise.
Precision precision_from_name(const std::string& name);
const char* precision_name(Precision p);

class BatchEvaluator {
 public:
  explicit BatchEvaluator(Circuit circuit);

  const Circuit& circuit() const { return *circuit_; }
  const Program& program() const { return *program_; }
  int n_qubits() const { return circuit_->n_qubits(); }
  int n_inputs() const { return circuit_->n_inputs(); }
  int n_weights() const { return circuit_->n_weights(); }
  // OpenMP threads for the batch loop; 0 (default) = the OpenMP default (OMP_NUM_THREADS).
  void set_num_threads(int threads) { threads_ = threads; }
  void set_precision(Precision p) { precision_ = p; }
  Precision precision() const { return precision_; }

  // z[b, q] = <Z_q> of circuit(inputs[b], weights) |0...0>, exact.
  void forward(const double* inputs, int64_t batch, const double* weights, double* z) const;
  void forward(const float* inputs, int64_t batch, const float* weights, float* z) const;

  // Finite-shot estimate: `shots` Born-rule samples per input, sample b drawing from
  // rng.fork(b) (deterministic per sample, independent of threads). shots must be > 0.
  void forward_shots(const double* inputs, int64_t batch, const double* weights, int64_t shots, const Rng& rng,
                     double* z) const;

  // Gradient of L = sum_b sum_q dz[b, q] <Z_q>_b (exact expectations, whatever the forward used).
  // ACCUMULATES: dinputs[b, i] += dL/dinputs[b, i], dweights[k] += sum_b dL_b/dweights[k].
  // Either output may be null. method: Adjoint (fast) or ParameterShift (reference).
  void backward(const double* inputs, int64_t batch, const double* weights, const double* dz, GradMethod method,
                double* dinputs, double* dweights) const;
  void backward(const float* inputs, int64_t batch, const float* weights, const float* dz, GradMethod method,
                float* dinputs, float* dweights) const;

 private:
  int threads() const;
  // readout(b, psi) for the final state of every sample, psi: const A* with A the precision's type
  template <class Readout>
  void for_each_state(const double* inputs, int64_t batch, const double* weights, Readout&& readout) const;
  template <class A, class Readout>
  void for_each_state_in(const double* inputs, int64_t batch, const double* weights, Readout&& readout) const;
  template <class A>
  void backward_in(const double* inputs, int64_t batch, const double* weights, const double* dz, GradMethod method,
                   double* dinputs, double* dw_per_sample) const;
  std::unique_ptr<Circuit> circuit_;  // heap-held so Program's pointer survives moves
  std::unique_ptr<Program> program_;
  int threads_ = 0;
  Precision precision_ = Precision::Double;
};

}  // namespace qdiff::quantum
