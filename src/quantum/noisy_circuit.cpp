#include "qdiff/quantum/noisy_circuit.hpp"

#include <utility>

namespace qdiff::quantum {

NoisyCircuit::NoisyCircuit(Circuit circuit, NoiseModel noise) : circuit_(std::move(circuit)), noise_(std::move(noise)) {
  noise_.validate();
  const std::vector<Op>& ops = circuit_.ops();
  auto add_channel = [&](ChannelKind kind, int q0, int q1, double strength) {
    if (strength == 0.0) return;
    events_.push_back({-1, static_cast<int>(channels_.size())});
    channels_.push_back({kind, q0, q1, strength});
  };
  for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
    const Op& op = ops[i];
    const bool two = op.q1 >= 0;
    const GateNoise& g = two ? noise_.two_qubit : noise_.one_qubit;
    events_.push_back({i, -1});
    add_channel(ChannelKind::Depolarizing, op.q0, op.q1, g.depolarizing);
    for (int q : {op.q0, op.q1}) {
      if (q < 0) continue;
      add_channel(ChannelKind::AmplitudeDamping, q, -1, g.amplitude_damping);
      add_channel(ChannelKind::PhaseDamping, q, -1, g.dephasing);
    }
  }

  // Schedule: single-qubit events wait per qubit; a multi-qubit event flushes its qubits' chains.
  const int n = circuit_.n_qubits();
  std::vector<std::vector<int>> pending(n);
  std::vector<bool> touched(n, false);  // has a multi-qubit event acted on this qubit yet?
  std::vector<std::vector<int>> prefix(n);
  auto flush = [&](int q) {
    if (pending[q].empty()) return;
    if (touched[q]) {
      steps_.push_back({StepKind::Chain, q, -1, std::move(pending[q])});
    } else {
      prefix[q] = std::move(pending[q]);
    }
    pending[q].clear();
  };
  for (int e = 0; e < static_cast<int>(events_.size()); ++e) {
    const Event& ev = events_[e];
    const int q0 = ev.op >= 0 ? ops[ev.op].q0 : channels_[ev.channel].q0;
    const int q1 = ev.op >= 0 ? ops[ev.op].q1 : channels_[ev.channel].q1;
    if (q1 < 0) {
      pending[q0].push_back(e);
      continue;
    }
    if (ev.channel >= 0) {  // two-qubit depolarizing: always right after its gate's step
      steps_.back().events.push_back(e);
      continue;
    }
    flush(q0);
    flush(q1);
    touched[q0] = touched[q1] = true;
    steps_.push_back({StepKind::Gate2, q0, q1, {e}});
  }
  for (int q = 0; q < n; ++q) flush(q);
  std::vector<Step> ordered;
  for (int q = 0; q < n; ++q)
    if (!prefix[q].empty()) ordered.push_back({StepKind::Chain, q, -1, std::move(prefix[q])});
  n_prefix_ = static_cast<int>(ordered.size());
  ordered.insert(ordered.end(), steps_.begin(), steps_.end());
  steps_ = std::move(ordered);
}

std::string NoisyCircuit::describe() const {
  std::string s;
  for (size_t k = 0; k < steps_.size(); ++k) {
    const Step& st = steps_[k];
    if (st.kind == StepKind::Chain) {
      s += "chain q";
      s += std::to_string(st.q0);
    } else {
      s += "q";
      s += std::to_string(st.q0);
      s += ",q";
      s += std::to_string(st.q1);
    }
    s += ":";
    for (int e : st.events) {
      const Event& ev = events_[e];
      s += " ";
      s += ev.op >= 0 ? gate_info(circuit_.ops()[ev.op].kind).name : channel_name(channels_[ev.channel].kind);
    }
    s += static_cast<int>(k) < n_prefix_ ? " (prefix)\n" : "\n";
  }
  return s;
}

}  // namespace qdiff::quantum
