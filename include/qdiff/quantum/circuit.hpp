// A parameterised circuit: a list of gate ops whose angles are bound to constants, input slots
// (data encoding) or trainable weights, each through an affine map angle = scale * x + offset.
// Binding turns (inputs, weights) into one flat array of gate angles ("angle slots", one per
// angle of every op, in op order); gradients flow back through the same map.
#pragma once
#include <string>
#include <vector>

#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum {

class StateVector;

struct Angle {
  enum class Source { Constant, Input, Weight };
  Source source = Source::Constant;
  int index = -1;       // input or weight index; unused for constants
  double scale = 1.0;   // angle = scale * x[index] + offset   (constant: angle = offset)
  double offset = 0.0;

  static Angle constant(double value) { return {Source::Constant, -1, 0.0, value}; }
  static Angle input(int i, double scale = 1.0, double offset = 0.0) { return {Source::Input, i, scale, offset}; }
  static Angle weight(int i, double scale = 1.0, double offset = 0.0) { return {Source::Weight, i, scale, offset}; }
};

struct Op {
  GateKind kind;
  int q0 = -1, q1 = -1;   // q1 = -1 for single-qubit gates; controlled gates: q0 = control
  int first_slot = 0;     // angles of this op are slots [first_slot, first_slot + n_angles)
  int n_angles = 0;
  int matrix = -1;        // Unitary1/Unitary2: index into Circuit::matrices
};

// A gate with its angles evaluated, for printing and export.
struct BoundGate {
  std::string name;          // gate_info(kind).name
  std::vector<int> qubits;
  std::vector<double> angles;
};

class Circuit {
 public:
  explicit Circuit(int n_qubits);

  // Appends a gate; throws InvalidArgument on wrong qubit/angle counts or out-of-range qubits.
  void add(GateKind kind, const std::vector<int>& qubits, const std::vector<Angle>& angles = {});
  void add_unitary(int q, const Mat2& m);          // checked unitary
  void add_unitary(int q0, int q1, const Mat4& m);  // local index b_q0 + 2 b_q1
  // Declares at least this many inputs/weights (counts also grow with the indices used).
  void reserve_inputs(int n);
  void reserve_weights(int n);

  int n_qubits() const { return n_; }
  int n_inputs() const { return n_inputs_; }
  int n_weights() const { return n_weights_; }
  int n_slots() const { return static_cast<int>(slots_.size()); }
  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Angle>& slots() const { return slots_; }
  const Mat2& matrix1(int i) const { return mats1_[i]; }
  const Mat4& matrix2(int i) const { return mats2_[i]; }

  // angles[s] = bound value of slot s.   inputs: [n_inputs], weights: [n_weights], angles: [n_slots]
  void bind(const double* inputs, const double* weights, double* angles) const;
  // Chain rule through bind: dinputs[i] += scale * dangles[s], dweights likewise (+=).
  // Either output may be null to skip it.
  void bind_backward(const double* dangles, double* dinputs, double* dweights) const;

  std::vector<BoundGate> bound_gates(const double* inputs, const double* weights) const;
  // One line per gate, e.g. "ry(0.5) q[3]" / "cx q[0],q[1]".
  std::string to_string(const double* inputs, const double* weights) const;

  // Reference path: applies every op gate by gate to `state` with the given angles [n_slots].
  void apply(StateVector& state, const double* angles) const;
  // Matrix of a single-qubit op / target matrix of a controlled op at these angles.
  Mat2 op_matrix_1q(const Op& op, const double* angles) const;

 private:
  int n_;
  int n_inputs_ = 0, n_weights_ = 0;
  std::vector<Op> ops_;
  std::vector<Angle> slots_;
  std::vector<Mat2> mats1_;
  std::vector<Mat4> mats2_;
};

}  // namespace qdiff::quantum
