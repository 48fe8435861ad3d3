// Internal to src/quantum: what the density-matrix and trajectory simulators share — products of
// chains and their derivatives, two-qubit gates in the four forms a vectorised density matrix
// needs, the plan of which states the adjoint sweep restores instead of inverting, and the
// evaluators' batch loops.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/circuit.hpp"
#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum::noisy {

// ---- chains ---------------------------------------------------------------------------------------
inline Mat2 identity(const Mat2&) { return {1.0, 0.0, 0.0, 1.0}; }
inline Mat4 identity(const Mat4&) {
  Mat4 m{};
  for (int i = 0; i < 4; ++i) m[i * 5] = 1.0;
  return m;
}

// The product of a chain of items (items[0] acts first) and the chain with one item replaced:
// total = items[last] ... items[0], replaced(j, d) = items[last] .. items[j+1] d items[j-1] .. items[0].
template <class M>
class ChainProducts {
 public:
  explicit ChainProducts(const std::vector<M>& items) : before_(items.size()), after_(items.size()) {
    const size_t k = items.size();
    M acc = identity(M{});
    for (size_t j = 0; j < k; ++j) {
      before_[j] = acc;
      acc = mul(items[j], acc);
    }
    total_ = acc;
    acc = identity(M{});
    for (size_t j = k; j-- > 0;) {
      after_[j] = acc;
      acc = mul(acc, items[j]);
    }
  }
  const M& total() const { return total_; }
  M replaced(int j, const M& d) const { return mul(after_[j], mul(d, before_[j])); }

 private:
  std::vector<M> before_, after_;
  M total_;
};

// ---- matrices ---------------------------------------------------------------------------------------
Mat2 inverse(const Mat2& m);
Mat4 inverse(const Mat4& m);
// 1 / (smallest singular value): how much applying the inverse can amplify an error (inf if singular).
double inverse_gain(const Mat2& m);
double inverse_gain(const Mat4& m);

// The forms of a gate a vectorised density matrix needs: U (rows), conj(U) (columns), and their
// inverses U^dagger and U^T.
enum class Form { Plain, Conj, Adjoint, Transpose };
Mat2 in_form(const Mat2& m, Form f);
Mat4 in_form(const Mat4& m, Form f);
// Applies the two-qubit gate `op` of `circuit` in form f to qubits (op.q0 + offset, op.q1 + offset)
// of a vector of `bits` qubits.
void apply_gate2(cplx* v, int bits, int offset, const Circuit& circuit, const Op& op, const double* angles, Form f);
// One adjoint step back through the unitary two-qubit gate `op` on qubits (op.q0, op.q1) of
// `bits`-qubit vectors: psi <- G^dagger psi, lam <- G^dagger lam, and for a controlled rotation
// dangles += 2 Re <lam_after| dG/da |psi_before> (the statevector formula).
void backward_gate2(cplx* psi, cplx* lam, int bits, const Circuit& circuit, const Op& op, const double* angles,
                    double* dangles);
// CNOT, CZ and SWAP as basis permutations: state l -> perm[l] with factor sign[l], l = b_q0 + 2 b_q1
// (the form permute_depolarize_2q takes; each is its own inverse). False for any other gate.
bool permutation_of(GateKind kind, int* perm, double* sign);
// Whether a two-qubit op has angles (a controlled rotation), whose gradient needs the cross matrix.
bool is_controlled_rotation(const Op& op);

// ---- restoring states in the adjoint sweep ------------------------------------------------------------
// Steps are inverted backwards from the final state; restore[k] marks the steps whose input state
// the sweep restores instead: every prefix step (a product state, written directly), and a later
// step where the product of the inverse gains since the last exact state would exceed max_gain.
// A restored step's input is a stored copy (slot >= 0, kept by the forward pass) or, when more
// are needed than max_slots, recomputed forward from the stored restore step source[k] (-1: from
// the product state after the prefix).
struct CheckpointPlan {
  std::vector<char> restore;  // [n_steps]
  std::vector<int> slot;      // [n_steps]
  std::vector<int> source;    // [n_steps]
  int n_slots = 0;
};
// gain[k]: inverse_gain of step k (exactly 1 for unitary steps, which are never restored).
CheckpointPlan plan_checkpoints(const std::vector<double>& gain, int n_prefix, double max_gain, int max_slots);

// Writes into r the input state of restored step k. write_prefix(k, r): the product state after
// prefix steps [0, k); forward(s, r): applies step s.
template <class WritePrefix, class Forward>
void restore_input(const CheckpointPlan& plan, int k, int n_prefix, const std::vector<std::vector<cplx>>& copies,
                   std::vector<cplx>& r, WritePrefix&& write_prefix, Forward&& forward) {
  if (k <= n_prefix) return write_prefix(k, r);
  if (plan.slot[k] >= 0) {
    std::copy(copies[plan.slot[k]].begin(), copies[plan.slot[k]].end(), r.begin());
    return;
  }
  int from = plan.source[k];
  if (from < 0) {
    write_prefix(n_prefix, r);
    from = n_prefix;
  } else {
    std::copy(copies[plan.slot[from]].begin(), copies[plan.slot[from]].end(), r.begin());
  }
  for (int s = from; s < k; ++s) forward(s, r);
}

// ---- measurement ------------------------------------------------------------------------------------
// Flips bit q (q < n) of every sample independently with probability p, the readout error; draws
// nothing when p = 0.
void apply_readout_error(std::vector<uint64_t>& samples, int n, double p, Rng& rng);

// ---- batch loops ------------------------------------------------------------------------------------
inline int thread_count(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

// sample(b, ws) for every b in [0, batch) in parallel, one Workspace per thread.
template <class Workspace, class Sample>
void for_each_sample(int64_t batch, int threads, Sample&& sample) {
#pragma omp parallel num_threads(thread_count(threads))
  {
    Workspace ws;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < batch; ++b) sample(b, ws);
  }
}

// The evaluators' backward: angle_grad(b, angles, dangles, ws) ADDS dL_b/dangles for sample b
// (angles bound from its inputs); the chain rule through Circuit::bind gives dinputs[b, :] +=
// and dweights += sum_b, reduced in sample order so results do not depend on the thread count.
template <class Workspace, class AngleGrad>
void backward_through_bind(const Circuit& circuit, const double* inputs, int64_t batch, const double* weights,
                           int threads, double* dinputs, double* dweights, AngleGrad&& angle_grad) {
  const int n_in = circuit.n_inputs(), n_w = circuit.n_weights(), n_s = circuit.n_slots();
  std::vector<double> dw_per_sample(dweights ? batch * n_w : 0, 0.0);  // [B, n_weights]
  for_each_sample<Workspace>(batch, threads, [&](int64_t b, Workspace& ws) {
    std::vector<double> angles(n_s), dangles(n_s, 0.0);
    circuit.bind(inputs + b * n_in, weights, angles.data());
    angle_grad(b, angles.data(), dangles.data(), ws);
    circuit.bind_backward(dangles.data(), dinputs ? dinputs + b * n_in : nullptr,
                          dweights ? dw_per_sample.data() + b * n_w : nullptr);
  });
  if (dweights)
    for (int64_t b = 0; b < batch; ++b)
      for (int k = 0; k < n_w; ++k) dweights[k] += dw_per_sample[b * n_w + k];
}

}  // namespace qdiff::quantum::noisy
