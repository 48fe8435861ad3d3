// Hardware noise of the bottleneck circuit: which channels act after which gates, how strong they
// are, and a device-like preset computed from T1, T2 and gate times. The simulators that use it
// are density_matrix.hpp (exact) and trajectories.hpp (Monte Carlo); a noiseless model
// (is_noiseless()) is the statevector simulator's business (evaluator.hpp).
//
// Channels (qubit q = bit q, as everywhere in quantum/):
//   depolarizing on d = 2^k qubits (k = 1, 2), strength p:
//       E(rho) = (1 - p) rho + p / (d^2 - 1) * sum_{P != I} P rho P   (P: the d^2 - 1 non-identity
//       Pauli strings). Every Pauli expectation on those qubits scales by 1 - p d^2 / (d^2 - 1):
//       <Z> -> (1 - 4p/3) <Z> for one qubit. p = (d^2 - 1) / d^2 is the fully depolarizing channel.
//   amplitude damping (T1), gamma: K0 = [[1, 0], [0, sqrt(1 - gamma)]], K1 = [[0, sqrt(gamma)], [0, 0]];
//       the |1> population scales by 1 - gamma, the coherence rho_01 by sqrt(1 - gamma).
//   phase damping (pure dephasing, T2), lambda: K0 = [[1, 0], [0, sqrt(1 - lambda)]],
//       K1 = [[0, 0], [0, sqrt(lambda)]]; populations stay, rho_01 scales by sqrt(1 - lambda). The
//       same channel as a phase flip Z with probability (1 - sqrt(1 - lambda)) / 2.
//   readout error r: every measured bit flips independently with probability r (symmetric), so
//       <Z_q> -> (1 - 2r) <Z_q> exactly (the flip multiplies Z_q's +-1 outcome by -1 with probability
//       r, independently of the state); finite shots flip sampled bits.
//
// Placement: after every gate of the circuit, in this order, on the gate's own qubits only (idle
// qubits do not decay): depolarizing (single-qubit strength after 1-qubit gates, two-qubit channel
// after 2-qubit gates), then amplitude damping, then phase damping on each of its qubits, with the
// strengths of the gate's arity. The readout error acts once, on the final measurement.
//
// Device preset (NoiseModel::device), for a gate of duration t:
//   gamma  = 1 - exp(-t / T1)                          (T1 relaxation during the gate)
//   1/T_phi = 1/T2 - 1/(2 T1)                           (pure dephasing rate; needs T2 <= 2 T1)
//   lambda = 1 - exp(-2 t / T_phi)                      (so sqrt(1 - lambda) = exp(-t / T_phi), and
//                                                        with amplitude damping rho_01 decays as exp(-t / T2))
//   p      = e (d + 1) / d                              (d = 2 or 4: the depolarizing channel whose
//                                                        average gate infidelity is the gate error e;
//                                                        e is the error beyond T1/T2, e.g. from
//                                                        randomized benchmarking minus the relaxation part)
// T1, T2 and the gate times share one unit of time (any).
#pragma once
#include <string>
#include <vector>

#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum {

// Strengths of the channels that follow one gate (each in [0, 1]).
struct GateNoise {
  double depolarizing = 0.0;       // p, on the gate's qubits together
  double amplitude_damping = 0.0;  // gamma, on each of the gate's qubits
  double dephasing = 0.0;          // lambda (phase damping), on each of the gate's qubits
};

// A device described by its coherence times and gate quality (see the preset formulas above).
struct DeviceSpec {
  double t1 = 100.0, t2 = 100.0;                       // relaxation and coherence times, T2 <= 2 T1
  double gate_time_1q = 0.035, gate_time_2q = 0.3;   // durations of 1- and 2-qubit gates (T1's unit)
  double error_1q = 0.0, error_2q = 0.0;              // average gate infidelity beyond T1/T2
  double readout_error = 0.0;                          // bit-flip probability per measured qubit
};

struct NoiseModel {
  GateNoise one_qubit;       // after every single-qubit gate
  GateNoise two_qubit;       // after every two-qubit gate
  double readout_error = 0.0;
  std::string origin;        // how the strengths were obtained ("" = given directly), for describe()

  // The preset of the formulas above; throws InvalidArgument (naming the field) on t1 <= 0, t2 <= 0,
  // t2 > 2 t1, negative gate times or errors that would need a strength above 1.
  static NoiseModel device(const DeviceSpec& spec);

  // Throws InvalidArgument naming the first strength that is not a number in [0, 1].
  void validate() const;
  // Every strength zero: the circuit is the ideal unitary one with perfect readout.
  bool is_noiseless() const;
  // True when some channel acts after gates (readout error alone needs no mixed state).
  bool has_gate_noise() const;
  // One line for logs and `qdiff circuit`, e.g. "noiseless" or
  // "depolarizing 0.001 (1q) 0.01 (2q); amplitude damping ...; readout error 0.02".
  std::string describe() const;
};

enum class ChannelKind { Depolarizing, AmplitudeDamping, PhaseDamping };
const char* channel_name(ChannelKind kind);

// One channel placed in a circuit: on q0 alone, or on (q0, q1) for two-qubit depolarizing.
struct Channel {
  ChannelKind kind;
  int q0 = -1, q1 = -1;
  double strength = 0.0;
};

// Paulis I, X, Y, Z for k = 0..3.
Mat2 pauli(int k);
// Kraus operators of a single-qubit channel (the forms above; depolarizing: sqrt(1-p) I,
// sqrt(p/3) X, Y, Z).
std::vector<Mat2> kraus_1q(ChannelKind kind, double strength);

// Superoperators of single-qubit maps on the vectorised density matrix (see density_matrix.hpp:
// rho[i][j] is stored at i + 2^n j, so qubit q's row bit is q and its column bit q + n). Local
// index l = row bit + 2 * column bit, the layout of a Mat4 on the pair (q, q + n).
// kron_conj(a, b)[(a0 + 2 a1), (b0 + 2 b1)] = a[a0][b0] * conj(b[a1][b1]):  rho -> a rho b^dagger.
Mat4 kron_conj(const Mat2& a, const Mat2& b);
// sum_k kron_conj(K_k, K_k): rho -> sum_k K_k rho K_k^dagger.
Mat4 superoperator(const std::vector<Mat2>& kraus);

}  // namespace qdiff::quantum
