// A parameterised circuit with the channels of a noise model placed after its gates (noise.hpp),
// and the schedule both noisy simulators follow (density_matrix.hpp, trajectories.hpp):
// - events: every gate op and every channel, in application order;
// - steps: the events regrouped, exactly, for fewer passes over the state. Single-qubit events
//   (1-qubit gates and 1-qubit channels) on a qubit wait until a multi-qubit event (2-qubit gate,
//   2-qubit depolarizing) needs the qubit: they act on that qubit alone, so they commute with
//   everything in between, and consecutive ones form one "chain" (one 2x2 matrix for a
//   trajectory, one 4x4 superoperator for the density matrix). Chains of qubits that no
//   multi-qubit event has touched yet come first, one per qubit ("prefix" steps): they act on
//   |0...0>, so the state after them is a product state, written directly. A two-qubit gate and
//   the two-qubit depolarizing channel that follows it form one step.
#pragma once
#include <string>
#include <vector>

#include "qdiff/quantum/circuit.hpp"
#include "qdiff/quantum/noise.hpp"

namespace qdiff::quantum {

// Largest amplification of rounding errors the noisy simulators' adjoint sweeps accept from
// inverting non-unitary steps before they restore an exact state instead (density_matrix.hpp).
constexpr double kMaxInverseGain = 1e4;

class NoisyCircuit {
 public:
  // One entry of the application order: a gate (op index) or a channel (channel index).
  struct Event {
    int op = -1;
    int channel = -1;
  };
  enum class StepKind { Chain, Gate2 };
  struct Step {
    StepKind kind;
    int q0 = -1, q1 = -1;     // Chain: q0 only
    // Chain: single-qubit events in application order. Gate2: the gate, then its two-qubit
    // depolarizing channel if the model has one.
    std::vector<int> events;
  };

  // Validates the model (NoiseModel::validate) and places its channels.
  NoisyCircuit(Circuit circuit, NoiseModel noise);

  const Circuit& circuit() const { return circuit_; }
  const NoiseModel& noise() const { return noise_; }
  int n_qubits() const { return circuit_.n_qubits(); }
  const std::vector<Event>& events() const { return events_; }
  const std::vector<Channel>& channels() const { return channels_; }
  const std::vector<Step>& steps() const { return steps_; }
  // Steps [0, n_prefix_steps()) are the prefix chains, on distinct qubits.
  int n_prefix_steps() const { return n_prefix_; }
  // The factor 1 - 2 r that the readout error puts on every <Z_q>.
  double readout_factor() const { return 1.0 - 2.0 * noise_.readout_error; }
  // Step list for tests and debugging, e.g. "chain q0: ry depolarizing amplitude_damping".
  std::string describe() const;

 private:
  Circuit circuit_;
  NoiseModel noise_;
  std::vector<Event> events_;
  std::vector<Channel> channels_;
  std::vector<Step> steps_;
  int n_prefix_ = 0;
};

}  // namespace qdiff::quantum
