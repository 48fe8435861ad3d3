// OpenQASM export of a bound circuit (version 2.0 with qelib1.inc, or 3.0 with stdgates.inc),
// so a trained bottleneck can run on other simulators or hardware, and an importer for the
// subset qdiff writes (used to check round trips against the simulator).
#pragma once
#include <string>
#include <vector>

#include "qdiff/quantum/circuit.hpp"

namespace qdiff::quantum {

// Every gate with its angles bound from inputs [n_inputs] and weights [n_weights]. Rot(phi,
// theta, omega) is written as rz(phi); ry(theta); rz(omega). Arbitrary unitaries have no
// standard-gate form here and throw NotAvailable. `version` is 2 or 3. Measurements of every
// qubit close the program when `measure` is set.
std::string to_qasm(const Circuit& circuit, const double* inputs, const double* weights, int version = 2,
                    bool measure = true);

// Parses what to_qasm writes (qreg/qubit declaration, h x y z s t rx ry rz cx cz swap crx cry crz,
// numeric angles with optional pi, comments, include/creg/bit/measure/barrier lines ignored) into
// a circuit of constant angles. Throws InvalidArgument naming the line on anything else.
Circuit from_qasm(const std::string& text);

// Circuit depth: layers of gates when each gate waits for the qubits it touches.
int circuit_depth(const std::vector<BoundGate>& gates, int n_qubits);

}  // namespace qdiff::quantum
