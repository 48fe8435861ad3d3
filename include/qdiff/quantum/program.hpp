// A circuit compiled for fast simulation, exploiting structure exactly:
// - single-qubit gates acting on a qubit before any multi-qubit gate touches it form a product
//   state, written directly (the RY encoding and the first rotation layer of an ansatz);
// - consecutive single-qubit gates on one qubit fuse into one 2x2 (one pass over the state);
// - runs of CNOT/SWAP gates become one permutation of amplitudes (one gather pass);
// - a run of fused single-qubit gates on distinct qubits is one cache-blocked layer.
// Single-qubit gates wait (per qubit) until a multi-qubit gate needs their qubit; they commute
// with everything in between, so delaying them is exact.
// The program holds no angles: forward/adjoint take the bound angle slots of its circuit.
#pragma once
#include <vector>

#include "qdiff/quantum/circuit.hpp"
#include "qdiff/quantum/kernels.hpp"

namespace qdiff::quantum {

// Scratch buffers for one state evaluation; reuse across calls (one per thread). A = cplx
// simulates in double, cplxf in float (see kernels.hpp); angles and gradients are double.
template <class A>
struct WorkspaceT {
  std::vector<A> psi, lam, tmp;  // [2^n] each (lam only for gradients)
};
using Workspace = WorkspaceT<cplx>;
using WorkspaceF = WorkspaceT<cplxf>;

class Program {
 public:
  // Keeps a pointer to `circuit`, which must outlive the program (the statevector backend owns both).
  explicit Program(const Circuit& circuit);

  const Circuit& circuit() const { return *circuit_; }
  int n_qubits() const { return n_; }
  int n_steps() const { return static_cast<int>(steps_.size()); }
  // Human-readable step list (for tests and debugging).
  std::string describe() const;

  // ws.psi <- circuit(angles) |0...0>.   angles: [n_slots]
  template <class A>
  void forward(const double* angles, WorkspaceT<A>& ws) const;
  // Adjoint differentiation of L = sum_q c[q] <Z_q>: runs forward, then one backward sweep;
  // dangles[s] += dL/dangle_s.   c: [n_qubits], dangles: [n_slots]. ws.psi is clobbered.
  template <class A>
  void adjoint(const double* angles, const double* c, double* dangles, WorkspaceT<A>& ws) const;
  // The same when ws.psi already holds circuit(angles)|0...0> (what forward() left): the backward
  // sweep alone.
  template <class A>
  void adjoint_from_state(const double* angles, const double* c, double* dangles, WorkspaceT<A>& ws) const;

 private:
  enum class StepKind { Fused1Q, Layer, Controlled1Q, TwoQ, Cnot, Swap, Cz, Perm };
  struct Step {
    StepKind kind;
    int q0 = -1, q1 = -1;
    std::vector<int> ops;     // Fused1Q: op indices in application order; others: the single op
    int perm = -1;            // Perm: index into perms_
    std::vector<Step> parts;  // Layer: Fused1Q steps on distinct qubits
  };
  // Product of the matrices of `ops` (all single-qubit, on one qubit) in application order.
  Mat2 fused_matrix(const std::vector<int>& ops, const double* angles) const;
  // Derivative of the fused product w.r.t. angle k of ops[j].
  Mat2 fused_derivative(const std::vector<int>& ops, int j, int k, const double* angles) const;
  void product_vectors(const double* angles, cplx (*v)[2]) const;
  template <class A>
  void ensure(WorkspaceT<A>& ws, bool gradient) const;

  const Circuit* circuit_;
  int n_;
  std::vector<std::vector<int>> product_ops_;  // [n_qubits] ops folded into the product state
  std::vector<Step> steps_;
  std::vector<LinearPermutation> perms_, perms_inv_;
};

}  // namespace qdiff::quantum
