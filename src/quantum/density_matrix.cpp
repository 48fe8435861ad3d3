#include "qdiff/quantum/density_matrix.hpp"

#include <cmath>
#include <limits>

#include "noisy_steps.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/quantum/kernels.hpp"
#include "qdiff/quantum/noise_kernels.hpp"
#include "qdiff/quantum/sampling.hpp"

namespace qdiff::quantum {
namespace {

using noisy::Form;

NoisyCircuit checked(Circuit circuit, NoiseModel noise) {
  if (circuit.n_qubits() > kMaxDensityQubits)
    throw InvalidArgument("density matrix: " + std::to_string(circuit.n_qubits()) + " qubits exceed the limit of " +
                          std::to_string(kMaxDensityQubits) + " (16 * 4^n bytes per copy; use trajectories)");
  return NoisyCircuit(std::move(circuit), std::move(noise));
}

// lambda of depolarize_2q for a two-qubit depolarizing strength p (noise.hpp's convention).
double depolarizing_lambda(double p) { return 16.0 * p / 15.0; }

}  // namespace

DensityMatrixSimulator::DensityMatrixSimulator(Circuit circuit, NoiseModel noise)
    : noisy_(checked(std::move(circuit), std::move(noise))) {
  for (const Channel& ch : noisy_.channels())
    channel_superops_.push_back(ch.q1 < 0 ? superoperator(kraus_1q(ch.kind, ch.strength)) : Mat4{});
}

std::vector<Mat4> DensityMatrixSimulator::chain_items(const Step& st, const double* angles) const {
  std::vector<Mat4> items;
  items.reserve(st.events.size());
  for (int e : st.events) {
    const NoisyCircuit::Event& ev = noisy_.events()[e];
    if (ev.op >= 0) {
      const Mat2 u = circuit().op_matrix_1q(circuit().ops()[ev.op], angles);
      items.push_back(kron_conj(u, u));
    } else {
      items.push_back(channel_superops_[ev.channel]);
    }
  }
  return items;
}

void DensityMatrixSimulator::apply_step(int k, const double* angles, std::vector<cplx>& rho) const {
  const Step& st = noisy_.steps()[k];
  const int n = n_qubits();
  switch (st.kind) {
    case NoisyCircuit::StepKind::Chain:
      apply_superop_1q(rho.data(), n, st.q0, noisy::ChainProducts<Mat4>(chain_items(st, angles)).total());
      return;
    case NoisyCircuit::StepKind::Gate2: {
      const Op& op = circuit().ops()[noisy_.events()[st.events[0]].op];
      const double lambda = step_lambda(st);
      int perm[4];
      double sign[4];
      if (noisy::permutation_of(op.kind, perm, sign)) {
        permute_depolarize_2q(rho.data(), n, op.q0, op.q1, perm, sign, lambda, false);
        return;
      }
      noisy::apply_gate2(rho.data(), 2 * n, 0, circuit(), op, angles, Form::Plain);
      noisy::apply_gate2(rho.data(), 2 * n, n, circuit(), op, angles, Form::Conj);
      if (lambda != 0.0) depolarize_2q(rho.data(), n, op.q0, op.q1, lambda);
      return;
    }
  }
}

double DensityMatrixSimulator::step_lambda(const Step& st) const {
  if (st.events.size() < 2) return 0.0;
  return depolarizing_lambda(noisy_.channels()[noisy_.events()[st.events[1]].channel].strength);
}

void DensityMatrixSimulator::write_prefix(int k, const double* angles, std::vector<cplx>& rho) const {
  const int n = n_qubits();
  std::vector<cplx> vbuf(4 * n, 0.0);  // [n][4]
  auto* v = reinterpret_cast<cplx(*)[4]>(vbuf.data());
  for (int q = 0; q < n; ++q) v[q][0] = 1.0;  // |0><0|
  for (int j = 0; j < k; ++j) {
    const Step& st = noisy_.steps()[j];
    const Mat4 s = noisy::ChainProducts<Mat4>(chain_items(st, angles)).total();
    for (int l = 0; l < 4; ++l) v[st.q0][l] = s[l * 4];  // S vec(|0><0|) = column 0
  }
  write_density_product(rho.data(), n, v);
}

void DensityMatrixSimulator::forward(const double* angles, DensityWorkspace& ws) const {
  const int n = n_qubits(), p = noisy_.n_prefix_steps();
  ws.rho.resize(size_t{1} << (2 * n));
  write_prefix(p, angles, ws.rho);
  for (int k = p; k < static_cast<int>(noisy_.steps().size()); ++k) apply_step(k, angles, ws.rho);
}

void DensityMatrixSimulator::expectation_z(const DensityWorkspace& ws, double* z) const {
  const int n = n_qubits();
  density_expectation_z(ws.rho.data(), n, z);
  for (int q = 0; q < n; ++q) z[q] *= noisy_.readout_factor();
}

double DensityMatrixSimulator::objective(const double* angles, const double* c, DensityWorkspace& ws) const {
  forward(angles, ws);
  std::vector<double> z(n_qubits());
  expectation_z(ws, z.data());
  double l = 0;
  for (int q = 0; q < n_qubits(); ++q) l += c[q] * z[q];
  return l;
}

void DensityMatrixSimulator::parameter_shift(const double* angles, const double* c, double* dangles,
                                             DensityWorkspace& ws) const {
  quantum::parameter_shift(
      circuit(), angles, [&](const double* a) { return objective(a, c, ws); }, dangles);
}

std::vector<double> DensityMatrixSimulator::inverse_gains(const double* angles) const {
  std::vector<double> gain;
  for (const Step& st : noisy_.steps()) {
    double g = 1.0;
    if (st.kind == NoisyCircuit::StepKind::Gate2 && step_lambda(st) != 0.0) {
      const double keep = std::abs(1.0 - step_lambda(st));
      g = keep > 0 ? 1.0 / keep : std::numeric_limits<double>::infinity();
    } else if (st.kind == NoisyCircuit::StepKind::Chain) {
      bool has_channel = false;
      for (int e : st.events) has_channel |= noisy_.events()[e].channel >= 0;
      if (has_channel) g = std::max(1.0, noisy::inverse_gain(noisy::ChainProducts<Mat4>(chain_items(st, angles)).total()));
    }
    gain.push_back(g);
  }
  return gain;
}

void DensityMatrixSimulator::backward_step(int k, bool restored, const double* angles, DensityWorkspace& ws,
                                           double* dangles) const {
  const Step& st = noisy_.steps()[k];
  const int n = n_qubits();
  cplx* r = ws.rho.data();
  cplx* o = ws.o.data();
  switch (st.kind) {
    case NoisyCircuit::StepKind::Chain: {
      const std::vector<Mat4> items = chain_items(st, angles);
      const noisy::ChainProducts<Mat4> chain(items);
      const Mat4 sinv = restored ? Mat4{} : noisy::inverse(chain.total());
      Mat4 x{};
      backward_superop_1q(r, o, n, st.q0, restored ? nullptr : &sinv, quantum::adjoint(chain.total()), x);
      for (size_t j = 0; j < st.events.size(); ++j) {
        const int op_index = noisy_.events()[st.events[j]].op;
        if (op_index < 0) continue;
        const Op& op = circuit().ops()[op_index];
        const Mat2 u = circuit().op_matrix_1q(op, angles);
        for (int a = 0; a < op.n_angles; ++a) {
          const Mat2 du = dmatrix_1q(op.kind, angles + op.first_slot, a);
          Mat4 dg = kron_conj(du, u);
          const Mat4 dg2 = kron_conj(u, du);
          for (int i = 0; i < 16; ++i) dg[i] += dg2[i];
          // <o|D r> = sum D[t][s] x[s][t]; grad_from_cross doubles its real part
          dangles[op.first_slot + a] += 0.5 * grad_from_cross(chain.replaced(static_cast<int>(j), dg), x);
        }
      }
      return;
    }
    case NoisyCircuit::StepKind::Gate2: {
      // The step is D(G rho G^dagger), D the optional depolarizing (self-adjoint, inverse lambda_inv).
      const Op& op = circuit().ops()[noisy_.events()[st.events[0]].op];
      const double lambda = step_lambda(st), lambda_inv = -lambda / (1.0 - lambda);
      int perm[4];
      double sign[4];
      if (noisy::permutation_of(op.kind, perm, sign)) {  // G^-1 = G
        if (!restored) permute_depolarize_2q(r, n, op.q0, op.q1, perm, sign, lambda_inv, true);
        permute_depolarize_2q(o, n, op.q0, op.q1, perm, sign, lambda, true);
        return;
      }
      if (restored) {  // r holds the step's input: redo the gate to get its output
        noisy::apply_gate2(r, 2 * n, 0, circuit(), op, angles, Form::Plain);
        noisy::apply_gate2(r, 2 * n, n, circuit(), op, angles, Form::Conj);
      } else if (lambda != 0.0) {
        depolarize_2q(r, n, op.q0, op.q1, lambda_inv);
      }
      if (lambda != 0.0) depolarize_2q(o, n, op.q0, op.q1, lambda);
      // The gate: the column half commutes with the row half, and the two halves' derivative
      // terms are complex conjugates (rho and O are Hermitian), so the gradient is
      // 2 Re <o| dU_rows |G_cols rho_before>, the statevector formula on the row bits.
      noisy::backward_gate2(r, o, 2 * n, circuit(), op, angles, dangles);
      noisy::apply_gate2(r, 2 * n, n, circuit(), op, angles, Form::Transpose);
      noisy::apply_gate2(o, 2 * n, n, circuit(), op, angles, Form::Transpose);
      return;
    }
  }
}

void DensityMatrixSimulator::adjoint(const double* angles, const double* c, double* dangles, DensityWorkspace& ws,
                                     size_t copy_bytes) const {
  const int n = n_qubits(), p = noisy_.n_prefix_steps(), k_steps = static_cast<int>(noisy_.steps().size());
  const size_t dim = size_t{1} << (2 * n);
  const int max_slots = static_cast<int>(std::min<size_t>(copy_bytes / (dim * sizeof(cplx)), 1 << 20));
  const noisy::CheckpointPlan plan = noisy::plan_checkpoints(inverse_gains(angles), p, kMaxInverseGain, max_slots);
  ws.rho.resize(dim);
  ws.o.resize(dim);
  ws.copies.resize(plan.n_slots);
  for (auto& copy : ws.copies) copy.resize(dim);

  write_prefix(p, angles, ws.rho);
  for (int k = p; k < k_steps; ++k) {
    if (plan.slot[k] >= 0) std::copy(ws.rho.begin(), ws.rho.end(), ws.copies[plan.slot[k]].begin());
    apply_step(k, angles, ws.rho);
  }
  std::vector<double> cr(n);
  for (int q = 0; q < n; ++q) cr[q] = c[q] * noisy_.readout_factor();
  write_z_observable_vec(ws.o.data(), n, cr.data());
  for (int k = k_steps - 1; k >= 0; --k) {
    const bool restored = plan.restore[k];
    if (restored)
      noisy::restore_input(
          plan, k, p, ws.copies, ws.rho, [&](int j, std::vector<cplx>& r) { write_prefix(j, angles, r); },
          [&](int s, std::vector<cplx>& r) { apply_step(s, angles, r); });
    backward_step(k, restored, angles, ws, dangles);
  }
}

// ---- evaluator ------------------------------------------------------------------------------------

DensityMatrixEvaluator::DensityMatrixEvaluator(Circuit circuit, NoiseModel noise, DensityMatrixOptions options)
    : sim_(std::move(circuit), std::move(noise)), options_(options) {}

void DensityMatrixEvaluator::forward(const double* inputs, int64_t batch, const double* weights, double* z) const {
  const int n = n_qubits(), n_in = n_inputs();
  noisy::for_each_sample<DensityWorkspace>(batch, options_.threads, [&](int64_t b, DensityWorkspace& ws) {
    std::vector<double> angles(circuit().n_slots());
    circuit().bind(inputs + b * n_in, weights, angles.data());
    sim_.forward(angles.data(), ws);
    sim_.expectation_z(ws, z + b * n);
  });
}

void DensityMatrixEvaluator::forward_shots(const double* inputs, int64_t batch, const double* weights, int64_t shots,
                                           const Rng& rng, double* z) const {
  if (shots <= 0) throw InvalidArgument("forward_shots: shots must be > 0 (use forward for exact values)");
  const int n = n_qubits(), n_in = n_inputs();
  const uint64_t dim = uint64_t{1} << n;
  noisy::for_each_sample<DensityWorkspace>(batch, options_.threads, [&](int64_t b, DensityWorkspace& ws) {
    std::vector<double> angles(circuit().n_slots());
    circuit().bind(inputs + b * n_in, weights, angles.data());
    sim_.forward(angles.data(), ws);
    std::vector<cplx> amps(dim);  // amplitudes with |amp|^2 = diag(rho), for the Born sampler
    for (uint64_t i = 0; i < dim; ++i) amps[i] = std::sqrt(std::max(ws.rho[i * (dim + 1)].real(), 0.0));
    Rng r = rng.fork(static_cast<uint64_t>(b));
    std::vector<uint64_t> bits = sample_bitstrings(amps.data(), n, shots, r);
    noisy::apply_readout_error(bits, n, noise().readout_error, r);
    z_from_samples(bits.data(), shots, n, z + b * n);
  });
}

void DensityMatrixEvaluator::backward(const double* inputs, int64_t batch, const double* weights, const double* dz,
                                      double* dinputs, double* dweights) const {
  const int n = n_qubits();
  noisy::backward_through_bind<DensityWorkspace>(
      circuit(), inputs, batch, weights, options_.threads, dinputs, dweights,
      [&](int64_t b, const double* angles, double* dangles, DensityWorkspace& ws) {
        if (options_.gradient == GradMethod::Adjoint)
          sim_.adjoint(angles, dz + b * n, dangles, ws, options_.copy_bytes);
        else
          sim_.parameter_shift(angles, dz + b * n, dangles, ws);
      });
}

}  // namespace qdiff::quantum
