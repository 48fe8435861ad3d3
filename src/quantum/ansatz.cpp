#include "qdiff/quantum/ansatz.hpp"

#include "qdiff/core/error.hpp"

namespace qdiff::quantum {
namespace {

void add_entangler(Circuit& c, const std::string& kind, int layer, bool ranged_ring) {
  const int n = c.n_qubits();
  if (n < 2) return;
  if (kind == "chain" || kind == "ring") {
    if (kind == "ring" && ranged_ring) {
      const int r = layer % (n - 1) + 1;
      for (int q = 0; q < n; ++q) c.add(GateKind::CNOT, {q, (q + r) % n});
      return;
    }
    for (int q = 0; q + 1 < n; ++q) c.add(GateKind::CNOT, {q, q + 1});
    if (kind == "ring" && n > 2) c.add(GateKind::CNOT, {n - 1, 0});
  } else if (kind == "all") {
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) c.add(GateKind::CNOT, {i, j});
  } else {
    throw InvalidArgument("unknown entangler '" + kind + "' (use chain, ring or all)");
  }
}

}  // namespace

int ansatz_weights_per_qubit(const std::string& ansatz) {
  if (ansatz == "default") return 2;
  if (ansatz == "paper") return 1;
  if (ansatz == "strong") return 3;
  throw InvalidArgument("unknown ansatz '" + ansatz + "' (use default, paper or strong)");
}

bool ansatz_weights_can_train(const std::string& ansatz) {
  return ansatz_weights_per_qubit(ansatz) > 0 && ansatz != "paper";
}

Circuit make_ansatz(const AnsatzSpec& spec) {
  const int n = spec.n_qubits, per = ansatz_weights_per_qubit(spec.ansatz);
  if (n < 1) throw InvalidArgument("ansatz: n_qubits must be >= 1");
  if (spec.n_layers < 0) throw InvalidArgument("ansatz: n_layers must be >= 0");
  if (spec.entangler != "chain" && spec.entangler != "ring" && spec.entangler != "all")
    throw InvalidArgument("unknown entangler '" + spec.entangler + "' (use chain, ring or all)");
  Circuit c(n);
  for (int q = 0; q < n; ++q) c.add(GateKind::RY, {q}, {Angle::input(q)});
  for (int l = 0; l < spec.n_layers; ++l) {
    for (int q = 0; q < n; ++q) {
      const int w = (l * n + q) * per;
      if (spec.ansatz == "default") {
        c.add(GateKind::RZ, {q}, {Angle::weight(w)});
        c.add(GateKind::RY, {q}, {Angle::weight(w + 1)});
      } else if (spec.ansatz == "paper") {
        c.add(GateKind::RZ, {q}, {Angle::weight(w)});
      } else {
        c.add(GateKind::Rot, {q}, {Angle::weight(w), Angle::weight(w + 1), Angle::weight(w + 2)});
      }
    }
    add_entangler(c, spec.entangler, l, spec.ansatz == "strong");
  }
  c.reserve_inputs(n);
  c.reserve_weights(n * spec.n_layers * per);
  return c;
}

}  // namespace qdiff::quantum
