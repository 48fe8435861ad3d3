#include "qdiff/quantum/trajectories.hpp"

#include <algorithm>
#include <cmath>

#include "noisy_steps.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/quantum/kernels.hpp"
#include "qdiff/quantum/noise_kernels.hpp"

namespace qdiff::quantum {
namespace {

using noisy::Form;

Mat2 scaled(Mat2 m, double f) {
  for (cplx& x : m) x *= f;
  return m;
}

}  // namespace

TrajectorySimulator::TrajectorySimulator(Circuit circuit, NoiseModel noise)
    : noisy_(std::move(circuit), std::move(noise)) {
  for (const Channel& ch : noisy_.channels()) {
    std::vector<double> prob;  // constant branch probabilities of the Pauli channels
    const double s = ch.strength;
    if (ch.q1 >= 0) {  // two-qubit depolarizing: Pauli pair b -> (pauli(b % 4) on q0, pauli(b / 4) on q1)
      prob.assign(16, s / 15);
      prob[0] = 1 - s;
    } else if (ch.kind == ChannelKind::Depolarizing) {
      prob = {1 - s, s / 3, s / 3, s / 3};
    } else if (ch.kind == ChannelKind::PhaseDamping) {
      const double pz = 0.5 * (1 - std::sqrt(1 - s));
      prob = {1 - pz, 0, 0, pz};  // indexed by Pauli: I or Z
    } else {
      state_free_ = false;  // amplitude damping: jump probabilities depend on the state
    }
    std::vector<double> cum;
    double acc = 0;
    for (double p : prob) cum.push_back(acc += p);
    pauli_cumulative_.push_back(std::move(cum));
  }
}

namespace {
// The first branch whose cumulative probability exceeds u (so never one of probability zero).
int branch_of(const std::vector<double>& cum, double u) {
  const size_t b = std::upper_bound(cum.begin(), cum.end(), u * cum.back()) - cum.begin();
  return static_cast<int>(std::min(b, cum.size() - 1));
}
}  // namespace

void TrajectorySimulator::sample_step(const Step& st, const double* angles, const double* u, Mat2 rho_q,
                                      Trajectory& traj) const {
  for (int e : st.events) {
    const NoisyCircuit::Event& ev = noisy_.events()[e];
    Mat2 a;
    if (ev.op >= 0) {
      a = circuit().op_matrix_1q(circuit().ops()[ev.op], angles);
    } else {
      const Channel& ch = noisy_.channels()[ev.channel];
      int b;
      if (ch.kind == ChannelKind::AmplitudeDamping) {
        const double p1 = std::clamp(rho_q[3].real() / (rho_q[0].real() + rho_q[3].real()), 0.0, 1.0);
        const double jump = ch.strength * p1;
        b = u[ev.channel] < 1 - jump ? 0 : 1;
        a = scaled(kraus_1q(ch.kind, ch.strength)[b], 1 / std::sqrt(b ? jump : 1 - jump));
      } else {
        b = branch_of(pauli_cumulative_[ev.channel], u[ev.channel]);
        a = pauli(b);
      }
      traj.branch[ev.channel] = static_cast<uint8_t>(b);
      traj.op[ev.channel] = a;
    }
    rho_q = mul(a, mul(rho_q, quantum::adjoint(a)));
  }
}

void TrajectorySimulator::draw(Rng& rng, Trajectory& traj) const {
  if (!state_free_)
    throw InvalidArgument("TrajectorySimulator::draw: amplitude damping's branches depend on the state; use sample");
  const size_t n_ch = noisy_.channels().size();
  std::vector<double> u(n_ch);
  for (double& x : u) x = rng.uniform();
  traj.branch.assign(n_ch, 0);
  traj.op.assign(n_ch, Mat2{});
  for (size_t ch = 0; ch < n_ch; ++ch) {
    const int b = branch_of(pauli_cumulative_[ch], u[ch]);
    traj.branch[ch] = static_cast<uint8_t>(b);
    if (noisy_.channels()[ch].q1 < 0) traj.op[ch] = pauli(b);  // as sample_step records it
  }
}

void TrajectorySimulator::sample(const double* angles, Rng& rng, TrajectoryWorkspace& ws, Trajectory& traj) const {
  const int n = n_qubits(), p = noisy_.n_prefix_steps();
  const size_t n_ch = noisy_.channels().size();
  std::vector<double> u(n_ch);
  for (double& x : u) x = rng.uniform();
  traj.branch.assign(n_ch, 0);
  traj.op.assign(n_ch, Mat2{});
  const Mat2 ground{1.0, 0.0, 0.0, 0.0};  // |0><0|: a prefix chain's qubit before it
  for (int k = 0; k < p; ++k) sample_step(noisy_.steps()[k], angles, u.data(), ground, traj);
  ws.psi.resize(size_t{1} << n);
  write_prefix(p, angles, traj, ws.psi);
  for (int k = p; k < static_cast<int>(noisy_.steps().size()); ++k) {
    const Step& st = noisy_.steps()[k];
    if (st.kind == NoisyCircuit::StepKind::Gate2 && st.events.size() > 1) {
      const int ch = noisy_.events()[st.events[1]].channel;
      traj.branch[ch] = static_cast<uint8_t>(branch_of(pauli_cumulative_[ch], u[ch]));
    } else if (st.kind == NoisyCircuit::StepKind::Chain) {
      Mat2 rho_q = ground;  // only damping needs the qubit's actual state
      if (has_damping(st)) reduced_density_1q(ws.psi.data(), n, st.q0, rho_q);
      sample_step(st, angles, u.data(), rho_q, traj);
    }
    apply_step(k, angles, traj, ws.psi);
  }
}

std::vector<Mat2> TrajectorySimulator::chain_items(const Step& st, const double* angles, const Trajectory& traj) const {
  std::vector<Mat2> items;
  items.reserve(st.events.size());
  for (int e : st.events) {
    const NoisyCircuit::Event& ev = noisy_.events()[e];
    items.push_back(ev.op >= 0 ? circuit().op_matrix_1q(circuit().ops()[ev.op], angles) : traj.op[ev.channel]);
  }
  return items;
}

bool TrajectorySimulator::has_damping(const Step& st) const {
  for (int e : st.events) {
    const int ch = noisy_.events()[e].channel;
    if (ch >= 0 && noisy_.channels()[ch].kind == ChannelKind::AmplitudeDamping) return true;
  }
  return false;
}

void TrajectorySimulator::apply_paulis(const Step& st, const Trajectory& traj, cplx* v) const {
  if (st.events.size() < 2) return;  // a two-qubit gate without depolarizing
  const int b = traj.branch[noisy_.events()[st.events[1]].channel];
  if (b % 4) apply_1q(v, n_qubits(), st.q0, pauli(b % 4));
  if (b / 4) apply_1q(v, n_qubits(), st.q1, pauli(b / 4));
}

void TrajectorySimulator::apply_step(int k, const double* angles, const Trajectory& traj,
                                     std::vector<cplx>& psi) const {
  const Step& st = noisy_.steps()[k];
  switch (st.kind) {
    case NoisyCircuit::StepKind::Chain:
      apply_1q(psi.data(), n_qubits(), st.q0, noisy::ChainProducts<Mat2>(chain_items(st, angles, traj)).total());
      return;
    case NoisyCircuit::StepKind::Gate2:
      noisy::apply_gate2(psi.data(), n_qubits(), 0, circuit(), circuit().ops()[noisy_.events()[st.events[0]].op],
                         angles, Form::Plain);
      apply_paulis(st, traj, psi.data());
      return;
  }
}

void TrajectorySimulator::write_prefix(int k, const double* angles, const Trajectory& traj,
                                       std::vector<cplx>& psi) const {
  const int n = n_qubits();
  std::vector<cplx> vbuf(2 * n, 0.0);  // [n][2]
  auto* v = reinterpret_cast<cplx(*)[2]>(vbuf.data());
  for (int q = 0; q < n; ++q) v[q][0] = 1.0;
  for (int j = 0; j < k; ++j) {
    const Step& st = noisy_.steps()[j];
    const Mat2 m = noisy::ChainProducts<Mat2>(chain_items(st, angles, traj)).total();
    v[st.q0][0] = m[0];  // m |0>
    v[st.q0][1] = m[2];
  }
  write_product_state(psi.data(), n, v);
}

void TrajectorySimulator::replay(const double* angles, const Trajectory& traj, TrajectoryWorkspace& ws) const {
  const int p = noisy_.n_prefix_steps();
  ws.psi.resize(size_t{1} << n_qubits());
  write_prefix(p, angles, traj, ws.psi);
  for (int k = p; k < static_cast<int>(noisy_.steps().size()); ++k) apply_step(k, angles, traj, ws.psi);
}

void TrajectorySimulator::expectation_z(const TrajectoryWorkspace& ws, double* f) const {
  expectation_z_all(ws.psi.data(), n_qubits(), f);
  for (int q = 0; q < n_qubits(); ++q) f[q] *= noisy_.readout_factor();
}

double TrajectorySimulator::objective(const double* angles, const Trajectory& traj, const double* c,
                                      TrajectoryWorkspace& ws) const {
  replay(angles, traj, ws);
  std::vector<double> f(n_qubits());
  expectation_z(ws, f.data());
  double l = 0;
  for (int q = 0; q < n_qubits(); ++q) l += c[q] * f[q];
  return l;
}

void TrajectorySimulator::parameter_shift(const double* angles, const Trajectory& traj, const double* c,
                                          double* dangles, TrajectoryWorkspace& ws) const {
  quantum::parameter_shift(
      circuit(), angles, [&](const double* a) { return objective(a, traj, c, ws); }, dangles);
}

void TrajectorySimulator::backward_step(int k, bool restored, const double* angles, const Trajectory& traj,
                                        TrajectoryWorkspace& ws, double* dangles) const {
  const Step& st = noisy_.steps()[k];
  const int n = n_qubits();
  cplx* psi = ws.psi.data();
  cplx* lam = ws.lam.data();
  switch (st.kind) {
    case NoisyCircuit::StepKind::Chain: {
      const noisy::ChainProducts<Mat2> chain(chain_items(st, angles, traj));
      const Mat2 madj = quantum::adjoint(chain.total());
      Mat2 x{};
      if (restored) {
        backward_1q_general(psi, lam, n, st.q0, nullptr, madj, x);
      } else if (has_damping(st)) {
        const Mat2 minv = noisy::inverse(chain.total());
        backward_1q_general(psi, lam, n, st.q0, &minv, madj, x);
      } else {  // unitary: the statevector kernel
        backward_1q(psi, lam, n, st.q0, madj, x);
      }
      for (size_t j = 0; j < st.events.size(); ++j) {
        const int op_index = noisy_.events()[st.events[j]].op;
        if (op_index < 0) continue;
        const Op& op = circuit().ops()[op_index];
        for (int a = 0; a < op.n_angles; ++a)
          dangles[op.first_slot + a] +=
              grad_from_cross(chain.replaced(static_cast<int>(j), dmatrix_1q(op.kind, angles + op.first_slot, a)), x);
      }
      return;
    }
    case NoisyCircuit::StepKind::Gate2: {  // unitary: never restored
      apply_paulis(st, traj, psi);  // Paulis: Hermitian and their own inverses
      apply_paulis(st, traj, lam);
      const Op& op = circuit().ops()[noisy_.events()[st.events[0]].op];
      noisy::backward_gate2(psi, lam, n, circuit(), op, angles, dangles);
      return;
    }
  }
}

void TrajectorySimulator::adjoint(const double* angles, const Trajectory& traj, const double* c, double* dangles,
                                  TrajectoryWorkspace& ws, size_t copy_bytes) const {
  const int n = n_qubits(), p = noisy_.n_prefix_steps(), k_steps = static_cast<int>(noisy_.steps().size());
  const size_t dim = size_t{1} << n;
  std::vector<double> gain(k_steps, 1.0);
  for (int k = p; k < k_steps; ++k) {
    const Step& st = noisy_.steps()[k];
    if (st.kind == NoisyCircuit::StepKind::Chain && has_damping(st))
      gain[k] = std::max(1.0, noisy::inverse_gain(noisy::ChainProducts<Mat2>(chain_items(st, angles, traj)).total()));
  }
  const int max_slots = static_cast<int>(std::min<size_t>(copy_bytes / (dim * sizeof(cplx)), 1 << 20));
  const noisy::CheckpointPlan plan = noisy::plan_checkpoints(gain, p, kMaxInverseGain, max_slots);
  ws.psi.resize(dim);
  ws.lam.resize(dim);
  ws.copies.resize(plan.n_slots);
  for (auto& copy : ws.copies) copy.resize(dim);

  write_prefix(p, angles, traj, ws.psi);
  for (int k = p; k < k_steps; ++k) {
    if (plan.slot[k] >= 0) std::copy(ws.psi.begin(), ws.psi.end(), ws.copies[plan.slot[k]].begin());
    apply_step(k, angles, traj, ws.psi);
  }
  std::vector<double> cr(n);
  for (int q = 0; q < n; ++q) cr[q] = c[q] * noisy_.readout_factor();
  apply_z_observable(ws.psi.data(), ws.lam.data(), n, cr.data());
  for (int k = k_steps - 1; k >= 0; --k) {
    const bool restored = plan.restore[k];
    if (restored)
      noisy::restore_input(
          plan, k, p, ws.copies, ws.psi, [&](int j, std::vector<cplx>& v) { write_prefix(j, angles, traj, v); },
          [&](int s, std::vector<cplx>& v) { apply_step(s, angles, traj, v); });
    backward_step(k, restored, angles, traj, ws, dangles);
  }
}

}  // namespace qdiff::quantum
