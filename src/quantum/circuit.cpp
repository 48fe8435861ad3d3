#include "qdiff/quantum/circuit.hpp"

#include <cstdio>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/kernels.hpp"
#include "qdiff/quantum/state.hpp"

namespace qdiff::quantum {

Circuit::Circuit(int n_qubits) : n_(n_qubits) {
  if (n_qubits < 1 || n_qubits > kMaxQubits)
    throw InvalidArgument("Circuit: n_qubits must be in [1, " + std::to_string(kMaxQubits) + "]");
}

void Circuit::add(GateKind kind, const std::vector<int>& qubits, const std::vector<Angle>& angles) {
  const GateInfo& info = gate_info(kind);
  if (kind == GateKind::Unitary1 || kind == GateKind::Unitary2)
    throw InvalidArgument("Circuit::add: use add_unitary for arbitrary unitaries");
  if (static_cast<int>(qubits.size()) != info.n_qubits)
    throw InvalidArgument(std::string("Circuit::add '") + info.name + "': expected " +
                          std::to_string(info.n_qubits) + " qubits");
  if (static_cast<int>(angles.size()) != info.n_angles)
    throw InvalidArgument(std::string("Circuit::add '") + info.name + "': expected " +
                          std::to_string(info.n_angles) + " angles");
  for (int q : qubits)
    if (q < 0 || q >= n_) throw InvalidArgument(std::string("Circuit::add '") + info.name + "': qubit out of range");
  if (info.n_qubits == 2 && qubits[0] == qubits[1])
    throw InvalidArgument(std::string("Circuit::add '") + info.name + "': the two qubits must differ");
  Op op{kind, qubits[0], info.n_qubits == 2 ? qubits[1] : -1, n_slots(), info.n_angles, -1};
  for (const Angle& a : angles) {
    if (a.source != Angle::Source::Constant && a.index < 0)
      throw InvalidArgument("Circuit::add: negative input/weight index");
    if (a.source == Angle::Source::Input) n_inputs_ = std::max(n_inputs_, a.index + 1);
    if (a.source == Angle::Source::Weight) n_weights_ = std::max(n_weights_, a.index + 1);
    slots_.push_back(a);
  }
  ops_.push_back(op);
}

void Circuit::add_unitary(int q, const Mat2& m) {
  if (q < 0 || q >= n_) throw InvalidArgument("Circuit::add_unitary: qubit out of range");
  check_unitary(m.data(), 2);
  ops_.push_back({GateKind::Unitary1, q, -1, n_slots(), 0, static_cast<int>(mats1_.size())});
  mats1_.push_back(m);
}

void Circuit::add_unitary(int q0, int q1, const Mat4& m) {
  if (q0 < 0 || q0 >= n_ || q1 < 0 || q1 >= n_ || q0 == q1)
    throw InvalidArgument("Circuit::add_unitary: bad qubits");
  check_unitary(m.data(), 4);
  ops_.push_back({GateKind::Unitary2, q0, q1, n_slots(), 0, static_cast<int>(mats2_.size())});
  mats2_.push_back(m);
}

void Circuit::reserve_inputs(int n) { n_inputs_ = std::max(n_inputs_, n); }
void Circuit::reserve_weights(int n) { n_weights_ = std::max(n_weights_, n); }

void Circuit::bind(const double* inputs, const double* weights, double* angles) const {
  for (size_t s = 0; s < slots_.size(); ++s) {
    const Angle& a = slots_[s];
    switch (a.source) {
      case Angle::Source::Constant: angles[s] = a.offset; break;
      case Angle::Source::Input: angles[s] = a.scale * inputs[a.index] + a.offset; break;
      case Angle::Source::Weight: angles[s] = a.scale * weights[a.index] + a.offset; break;
    }
  }
}

void Circuit::bind_backward(const double* dangles, double* dinputs, double* dweights) const {
  for (size_t s = 0; s < slots_.size(); ++s) {
    const Angle& a = slots_[s];
    if (a.source == Angle::Source::Input && dinputs) dinputs[a.index] += a.scale * dangles[s];
    if (a.source == Angle::Source::Weight && dweights) dweights[a.index] += a.scale * dangles[s];
  }
}

std::vector<BoundGate> Circuit::bound_gates(const double* inputs, const double* weights) const {
  std::vector<double> angles(slots_.size());
  bind(inputs, weights, angles.data());
  std::vector<BoundGate> out;
  out.reserve(ops_.size());
  for (const Op& op : ops_) {
    BoundGate g{gate_info(op.kind).name, {op.q0}, {}};
    if (op.q1 >= 0) g.qubits.push_back(op.q1);
    g.angles.assign(angles.begin() + op.first_slot, angles.begin() + op.first_slot + op.n_angles);
    out.push_back(std::move(g));
  }
  return out;
}

std::string Circuit::to_string(const double* inputs, const double* weights) const {
  std::string s;
  char buf[64];
  for (const BoundGate& g : bound_gates(inputs, weights)) {
    s += g.name;
    for (size_t k = 0; k < g.angles.size(); ++k) {
      std::snprintf(buf, sizeof buf, "%s%.17g", k ? "," : "(", g.angles[k]);
      s += buf;
    }
    if (!g.angles.empty()) s += ")";
    for (size_t k = 0; k < g.qubits.size(); ++k) s += (k ? ",q[" : " q[") + std::to_string(g.qubits[k]) + "]";
    s += "\n";
  }
  return s;
}

Mat2 Circuit::op_matrix_1q(const Op& op, const double* angles) const {
  const double* a = angles + op.first_slot;
  if (op.kind == GateKind::Unitary1) return mats1_[op.matrix];
  if (gate_info(op.kind).controlled) return target_matrix(op.kind, a);
  return matrix_1q(op.kind, a);
}

void Circuit::apply(StateVector& state, const double* angles) const {
  if (state.n_qubits() != n_) throw InvalidArgument("Circuit::apply: state has the wrong number of qubits");
  cplx* amps = state.data();
  for (const Op& op : ops_) {
    switch (op.kind) {
      case GateKind::Unitary2: apply_2q(amps, n_, op.q0, op.q1, mats2_[op.matrix]); break;
      case GateKind::CNOT: apply_cnot(amps, n_, op.q0, op.q1); break;
      case GateKind::CZ: apply_cz(amps, n_, op.q0, op.q1); break;
      case GateKind::SWAP: apply_swap(amps, n_, op.q0, op.q1); break;
      case GateKind::CRX:
      case GateKind::CRY:
      case GateKind::CRZ: apply_controlled_1q(amps, n_, op.q0, op.q1, op_matrix_1q(op, angles)); break;
      default: apply_1q(amps, n_, op.q0, op_matrix_1q(op, angles)); break;
    }
  }
}

}  // namespace qdiff::quantum
