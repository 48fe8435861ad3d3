// Ansatz builders: RY(input_q) encoding of n inputs on |0...0>, then n_layers variational
// layers. Weights are indexed layer-major: w[(layer * n + qubit) * per_qubit + k].
//   default: per qubit RZ(w0) then RY(w1) (operator RY(w1) RZ(w0)), then the entangler.
//            Every weight changes <Z>: RZ comes before RY, so no diagonal gate ends a layer.
//   paper:   per qubit RZ(w), then the entangler (the reference code). RZ is diagonal and CNOT a
//            permutation, so <Z_q> does not depend on any weight: its weights cannot train.
//   strong:  per qubit Rot(w0, w1, w2), then the entangler ("ring" here means the strongly
//            entangling ranged ring CNOT(q, (q + r) mod n), r = layer mod (n-1) + 1).
// Entanglers: chain CNOT(q, q+1); ring: chain + CNOT(n-1, 0) (n > 2); all: CNOT(i, j), i < j.
// The ansatz and entangler names are the config's modes (core/modes.hpp).
#pragma once
#include "qdiff/core/modes.hpp"
#include "qdiff/quantum/circuit.hpp"

namespace qdiff::quantum {

struct AnsatzSpec {
  int n_qubits = 16;
  int n_layers = 3;
  Ansatz ansatz = Ansatz::Default;
  Entangler entangler = Entangler::Ring;
};

// Throws InvalidArgument when n_qubits < 1 or n_layers < 0.
Circuit make_ansatz(const AnsatzSpec& spec);
// Trainable weights per qubit and layer (default 2, paper 1, strong 3).
int ansatz_weights_per_qubit(Ansatz ansatz);
// Weights of the whole circuit: n_qubits * n_layers * ansatz_weights_per_qubit.
int ansatz_weight_count(const AnsatzSpec& spec);
// False for the paper ansatz: callers should warn that its weights have exactly zero gradient.
bool ansatz_weights_can_train(Ansatz ansatz);

}  // namespace qdiff::quantum
