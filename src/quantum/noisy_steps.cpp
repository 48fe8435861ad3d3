#include "noisy_steps.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <limits>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/kernels.hpp"

namespace qdiff::quantum::noisy {
namespace {

template <int D>
Eigen::Matrix<cplx, D, D> to_eigen(const std::array<cplx, D * D>& m) {
  Eigen::Matrix<cplx, D, D> e;
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < D; ++j) e(i, j) = m[i * D + j];
  return e;
}

template <int D>
std::array<cplx, D * D> in_form_of(const std::array<cplx, D * D>& m, Form f) {
  std::array<cplx, D * D> r;
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < D; ++j) {
      const bool transpose = f == Form::Adjoint || f == Form::Transpose;
      const bool conj = f == Form::Conj || f == Form::Adjoint;
      const cplx v = transpose ? m[j * D + i] : m[i * D + j];
      r[i * D + j] = conj ? std::conj(v) : v;
    }
  return r;
}

template <int D>
double inverse_gain_of(const std::array<cplx, D * D>& m) {
  const Eigen::JacobiSVD<Eigen::Matrix<cplx, D, D>> svd(to_eigen<D>(m));
  const double smallest = svd.singularValues()(D - 1);
  return smallest > 0 ? 1.0 / smallest : std::numeric_limits<double>::infinity();
}

}  // namespace

Mat2 inverse(const Mat2& m) {
  const cplx det = m[0] * m[3] - m[1] * m[2];
  if (det == 0.0) throw InvalidArgument("inverse: singular 2x2 matrix");
  return {m[3] / det, -m[1] / det, -m[2] / det, m[0] / det};
}

Mat4 inverse(const Mat4& m) {
  const Eigen::Matrix<cplx, 4, 4> inv = to_eigen<4>(m).fullPivLu().inverse();
  Mat4 r;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) r[i * 4 + j] = inv(i, j);
  return r;
}

double inverse_gain(const Mat2& m) { return inverse_gain_of<2>(m); }
double inverse_gain(const Mat4& m) { return inverse_gain_of<4>(m); }

Mat2 in_form(const Mat2& m, Form f) { return in_form_of<2>(m, f); }
Mat4 in_form(const Mat4& m, Form f) { return in_form_of<4>(m, f); }

void backward_gate2(cplx* psi, cplx* lam, int bits, const Circuit& circuit, const Op& op, const double* angles,
                    double* dangles) {
  if (!is_controlled_rotation(op)) {
    apply_gate2(psi, bits, 0, circuit, op, angles, Form::Adjoint);
    apply_gate2(lam, bits, 0, circuit, op, angles, Form::Adjoint);
    return;
  }
  Mat2 x{};
  const double* a = angles + op.first_slot;
  backward_controlled_1q(psi, lam, bits, op.q0, op.q1, quantum::adjoint(target_matrix(op.kind, a)), x);
  for (int j = 0; j < op.n_angles; ++j) dangles[op.first_slot + j] += grad_from_cross(dtarget_matrix(op.kind, a, j), x);
}

bool permutation_of(GateKind kind, int* perm, double* sign) {
  static const int kIdentity[4] = {0, 1, 2, 3}, kCnot[4] = {0, 3, 2, 1}, kSwap[4] = {0, 2, 1, 3};
  const int* p = kind == GateKind::CNOT ? kCnot : kind == GateKind::SWAP ? kSwap : kIdentity;
  if (kind != GateKind::CNOT && kind != GateKind::SWAP && kind != GateKind::CZ) return false;
  for (int l = 0; l < 4; ++l) perm[l] = p[l], sign[l] = 1.0;
  if (kind == GateKind::CZ) sign[3] = -1.0;
  return true;
}

bool is_controlled_rotation(const Op& op) {
  return op.kind == GateKind::CRX || op.kind == GateKind::CRY || op.kind == GateKind::CRZ;
}

void apply_gate2(cplx* v, int bits, int offset, const Circuit& circuit, const Op& op, const double* angles, Form f) {
  const int a = op.q0 + offset, b = op.q1 + offset;
  switch (op.kind) {
    case GateKind::CNOT: apply_cnot(v, bits, a, b); return;  // real permutations and signs: every form is the gate
    case GateKind::CZ: apply_cz(v, bits, a, b); return;
    case GateKind::SWAP: apply_swap(v, bits, a, b); return;
    case GateKind::CRX:
    case GateKind::CRY:
    case GateKind::CRZ: apply_controlled_1q(v, bits, a, b, in_form(circuit.op_matrix_1q(op, angles), f)); return;
    case GateKind::Unitary2: apply_2q(v, bits, a, b, in_form(circuit.matrix2(op.matrix), f)); return;
    default: break;
  }
  throw InvalidArgument(std::string("noisy simulator: unsupported two-qubit gate '") + gate_info(op.kind).name + "'");
}

void apply_readout_error(std::vector<uint64_t>& samples, int n, double p, Rng& rng) {
  if (p == 0.0) return;
  for (uint64_t& s : samples)
    for (int q = 0; q < n; ++q)
      if (rng.uniform() < p) s ^= uint64_t{1} << q;
}

CheckpointPlan plan_checkpoints(const std::vector<double>& gain, int n_prefix, double max_gain, int max_slots) {
  const int k_steps = static_cast<int>(gain.size());
  CheckpointPlan p;
  p.restore.assign(k_steps, 0);
  p.slot.assign(k_steps, -1);
  p.source.assign(k_steps, -1);
  for (int k = 0; k < std::min(n_prefix, k_steps); ++k) p.restore[k] = 1;
  double acc = 1.0;  // amplification accumulated since the last exact state, going backwards
  std::vector<int> restored;
  for (int k = k_steps - 1; k >= n_prefix; --k) {
    if (gain[k] == 1.0) continue;
    if (acc * gain[k] > max_gain) {
      p.restore[k] = 1;
      restored.push_back(k);
      acc = 1.0;
    } else {
      acc *= gain[k];
    }
  }
  std::reverse(restored.begin(), restored.end());
  // Store every `stride`-th restore point; the others are recomputed from the last stored one.
  const int r = static_cast<int>(restored.size());
  const int stride = max_slots <= 0 ? r + 1 : (r + max_slots - 1) / max_slots;
  int last_stored = -1;
  for (int i = 0; i < r; ++i) {
    const int k = restored[i];
    if (k == n_prefix) continue;  // the product state after the prefix is written directly
    if (max_slots > 0 && i % std::max(stride, 1) == 0) {
      p.slot[k] = p.n_slots++;
      last_stored = k;
    } else {
      p.source[k] = last_stored;
    }
  }
  return p;
}

}  // namespace qdiff::quantum::noisy
