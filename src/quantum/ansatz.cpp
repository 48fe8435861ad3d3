#include "qdiff/quantum/ansatz.hpp"

#include "qdiff/core/error.hpp"

namespace qdiff::quantum {
namespace {

void add_entangler(Circuit& c, Entangler kind, int layer, bool ranged_ring) {
  const int n = c.n_qubits();
  if (n < 2) return;
  switch (kind) {
    case Entangler::Ring:
      if (ranged_ring) {
        const int r = layer % (n - 1) + 1;
        for (int q = 0; q < n; ++q) c.add(GateKind::CNOT, {q, (q + r) % n});
        return;
      }
      [[fallthrough]];
    case Entangler::Chain:
      for (int q = 0; q + 1 < n; ++q) c.add(GateKind::CNOT, {q, q + 1});
      if (kind == Entangler::Ring && n > 2) c.add(GateKind::CNOT, {n - 1, 0});
      return;
    case Entangler::All:
      for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j) c.add(GateKind::CNOT, {i, j});
      return;
  }
  throw InvalidArgument("add_entangler: invalid entangler");
}

}  // namespace

int ansatz_weights_per_qubit(Ansatz ansatz) {
  switch (ansatz) {
    case Ansatz::Default: return 2;
    case Ansatz::Paper: return 1;
    case Ansatz::Strong: return 3;
  }
  throw InvalidArgument("ansatz_weights_per_qubit: invalid ansatz");
}

int ansatz_weight_count(const AnsatzSpec& spec) {
  return spec.n_qubits * spec.n_layers * ansatz_weights_per_qubit(spec.ansatz);
}

bool ansatz_weights_can_train(Ansatz ansatz) { return ansatz != Ansatz::Paper; }

Circuit make_ansatz(const AnsatzSpec& spec) {
  const int n = spec.n_qubits, per = ansatz_weights_per_qubit(spec.ansatz);
  if (n < 1) throw InvalidArgument("ansatz: n_qubits must be >= 1");
  if (spec.n_layers < 0) throw InvalidArgument("ansatz: n_layers must be >= 0");
  Circuit c(n);
  for (int q = 0; q < n; ++q) c.add(GateKind::RY, {q}, {Angle::input(q)});
  for (int l = 0; l < spec.n_layers; ++l) {
    for (int q = 0; q < n; ++q) {
      const int w = (l * n + q) * per;
      switch (spec.ansatz) {
        case Ansatz::Default:
          c.add(GateKind::RZ, {q}, {Angle::weight(w)});
          c.add(GateKind::RY, {q}, {Angle::weight(w + 1)});
          break;
        case Ansatz::Paper: c.add(GateKind::RZ, {q}, {Angle::weight(w)}); break;
        case Ansatz::Strong:
          c.add(GateKind::Rot, {q}, {Angle::weight(w), Angle::weight(w + 1), Angle::weight(w + 2)});
          break;
      }
    }
    add_entangler(c, spec.entangler, l, spec.ansatz == Ansatz::Strong);
  }
  c.reserve_inputs(n);
  c.reserve_weights(ansatz_weight_count(spec));
  return c;
}

}  // namespace qdiff::quantum
