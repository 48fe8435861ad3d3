#include "qdiff/quantum/program.hpp"

#include <utility>

#include "qdiff/core/error.hpp"

namespace qdiff::quantum {

Program::Program(const Circuit& circuit) : circuit_(&circuit), n_(circuit.n_qubits()), product_ops_(n_) {
  const std::vector<Op>& ops = circuit.ops();
  std::vector<std::vector<int>> pending(n_);
  std::vector<bool> touched(n_, false);  // has a multi-qubit gate acted on this qubit yet?
  auto flush = [&](int q) {
    if (pending[q].empty()) return;
    if (!touched[q]) {
      product_ops_[q].insert(product_ops_[q].end(), pending[q].begin(), pending[q].end());
    } else {
      steps_.push_back(Step{StepKind::Fused1Q, q, -1, pending[q], -1, {}});
    }
    pending[q].clear();
  };
  for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
    const Op& op = ops[i];
    if (op.q1 < 0) {
      pending[op.q0].push_back(i);
      continue;
    }
    // Every pending gate commutes with everything added after it (nothing since touched its
    // qubit), so all of them may be placed here. Flushing all at once keeps the following
    // entangler run contiguous; flushing none when this gate's qubits are clear keeps fusing.
    if (!pending[op.q0].empty() || !pending[op.q1].empty())
      for (int q = 0; q < n_; ++q) flush(q);
    touched[op.q0] = touched[op.q1] = true;
    StepKind kind;
    switch (op.kind) {
      case GateKind::CNOT: kind = StepKind::Cnot; break;
      case GateKind::SWAP: kind = StepKind::Swap; break;
      case GateKind::CZ: kind = StepKind::Cz; break;
      case GateKind::CRX:
      case GateKind::CRY:
      case GateKind::CRZ: kind = StepKind::Controlled1Q; break;
      case GateKind::Unitary2: kind = StepKind::TwoQ; break;
      default: throw InvalidArgument(std::string("Program: unsupported two-qubit gate '") + gate_info(op.kind).name + "'");
    }
    steps_.push_back(Step{kind, op.q0, op.q1, {i}, -1, {}});
  }
  for (int q = 0; q < n_; ++q) flush(q);

  // Merge runs of >= 2 CNOT/SWAP steps into one linear permutation.
  std::vector<Step> merged;
  for (size_t i = 0; i < steps_.size();) {
    size_t j = i;
    while (j < steps_.size() && (steps_[j].kind == StepKind::Cnot || steps_[j].kind == StepKind::Swap)) ++j;
    if (j - i < 2 && steps_[i].kind != StepKind::Fused1Q) {
      merged.push_back(steps_[i]);
      i = std::max(i + 1, j);
      continue;
    }
    if (steps_[i].kind == StepKind::Fused1Q) {  // a run of fused gates -> one blocked layer
      while (j < steps_.size() && steps_[j].kind == StepKind::Fused1Q) ++j;
      if (j - i == 1) {
        merged.push_back(steps_[i++]);
        continue;
      }
      Step layer{StepKind::Layer, -1, -1, {}, -1, {}};
      layer.parts.assign(steps_.begin() + i, steps_.begin() + j);
      merged.push_back(std::move(layer));
      i = j;
      continue;
    }
    std::vector<uint64_t> cols(n_);  // cols[k] = image of basis vector e_k
    for (int k = 0; k < n_; ++k) cols[k] = uint64_t{1} << k;
    Step perm{StepKind::Perm, -1, -1, {}, static_cast<int>(perms_.size()), {}};
    for (size_t s = i; s < j; ++s) {
      const int a = steps_[s].q0, b = steps_[s].q1;
      for (uint64_t& c : cols) {
        const uint64_t ba = (c >> a) & 1, bb = (c >> b) & 1;
        if (steps_[s].kind == StepKind::Cnot) {
          c ^= ba << b;
        } else if (ba != bb) {
          c ^= (uint64_t{1} << a) | (uint64_t{1} << b);
        }
      }
      perm.ops.push_back(steps_[s].ops[0]);
    }
    perms_.push_back(make_linear_permutation(cols, n_, false));
    perms_inv_.push_back(make_linear_permutation(cols, n_, true));
    merged.push_back(std::move(perm));
    i = j;
  }
  steps_ = std::move(merged);
}

std::string Program::describe() const {
  std::string s = "product:";
  for (int q = 0; q < n_; ++q) s += " q" + std::to_string(q) + "x" + std::to_string(product_ops_[q].size());
  s += "\n";
  for (const Step& st : steps_) {
    switch (st.kind) {
      case StepKind::Fused1Q: s += "fused1q q" + std::to_string(st.q0) + " x" + std::to_string(st.ops.size()); break;
      case StepKind::Layer: s += "layer x" + std::to_string(st.parts.size()); break;
      case StepKind::Controlled1Q: s += "controlled1q"; break;
      case StepKind::TwoQ: s += "unitary2"; break;
      case StepKind::Cnot: s += "cnot"; break;
      case StepKind::Swap: s += "swap"; break;
      case StepKind::Cz: s += "cz"; break;
      case StepKind::Perm: s += "perm x" + std::to_string(st.ops.size()); break;
    }
    s += "\n";
  }
  return s;
}

Mat2 Program::fused_matrix(const std::vector<int>& ops, const double* angles) const {
  Mat2 m{1.0, 0.0, 0.0, 1.0};
  for (int i : ops) m = mul(circuit_->op_matrix_1q(circuit_->ops()[i], angles), m);
  return m;
}

Mat2 Program::fused_derivative(const std::vector<int>& ops, int j, int k, const double* angles) const {
  Mat2 m{1.0, 0.0, 0.0, 1.0};
  for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
    const Op& op = circuit_->ops()[ops[i]];
    const Mat2 g = i == j ? dmatrix_1q(op.kind, angles + op.first_slot, k) : circuit_->op_matrix_1q(op, angles);
    m = mul(g, m);
  }
  return m;
}

void Program::product_vectors(const double* angles, cplx (*v)[2]) const {
  for (int q = 0; q < n_; ++q) {
    const Mat2 m = fused_matrix(product_ops_[q], angles);
    v[q][0] = m[0];  // m |0>
    v[q][1] = m[2];
  }
}

template <class A>
void Program::ensure(WorkspaceT<A>& ws, bool gradient) const {
  const size_t dim = size_t{1} << n_;
  if (ws.psi.size() != dim) ws.psi.assign(dim, A{});
  if (ws.tmp.size() != dim) ws.tmp.assign(dim, A{});
  if (gradient && ws.lam.size() != dim) ws.lam.assign(dim, A{});
}

template <class A>
void Program::forward(const double* angles, WorkspaceT<A>& ws) const {
  ensure(ws, false);
  std::vector<cplx> v(2 * n_);  // [n][2]
  auto* vq = reinterpret_cast<cplx(*)[2]>(v.data());
  product_vectors(angles, vq);
  A* psi = ws.psi.data();
  write_product_state(psi, n_, vq);
  std::vector<int> qs;
  std::vector<Mat2> ms;
  for (const Step& st : steps_) {
    switch (st.kind) {
      case StepKind::Layer:
        qs.clear();
        ms.clear();
        for (const Step& part : st.parts) {
          qs.push_back(part.q0);
          ms.push_back(fused_matrix(part.ops, angles));
        }
        apply_1q_layer(psi, n_, static_cast<int>(qs.size()), qs.data(), ms.data());
        break;
      case StepKind::Fused1Q: apply_1q(psi, n_, st.q0, fused_matrix(st.ops, angles)); break;
      case StepKind::Controlled1Q:
        apply_controlled_1q(psi, n_, st.q0, st.q1, circuit_->op_matrix_1q(circuit_->ops()[st.ops[0]], angles));
        break;
      case StepKind::TwoQ: apply_2q(psi, n_, st.q0, st.q1, circuit_->matrix2(circuit_->ops()[st.ops[0]].matrix)); break;
      case StepKind::Cnot: apply_cnot(psi, n_, st.q0, st.q1); break;
      case StepKind::Swap: apply_swap(psi, n_, st.q0, st.q1); break;
      case StepKind::Cz: apply_cz(psi, n_, st.q0, st.q1); break;
      case StepKind::Perm:
        apply_permutation(perms_[st.perm], psi, ws.tmp.data());
        std::swap(ws.psi, ws.tmp);
        psi = ws.psi.data();
        break;
    }
  }
}

template <class A>
void Program::adjoint(const double* angles, const double* c, double* dangles, WorkspaceT<A>& ws) const {
  forward(angles, ws);
  adjoint_from_state(angles, c, dangles, ws);
}

template <class A>
void Program::adjoint_from_state(const double* angles, const double* c, double* dangles, WorkspaceT<A>& ws) const {
  ensure(ws, true);
  apply_z_observable(ws.psi.data(), ws.lam.data(), n_, c);
  const std::vector<Op>& ops = circuit_->ops();
  // Gradients of the gates fused in `fused` (application order) from their cross matrix r.
  auto fused_grads = [&](const std::vector<int>& fused, const Mat2& r) {
    for (int j = 0; j < static_cast<int>(fused.size()); ++j) {
      const Op& oj = ops[fused[j]];
      for (int k = 0; k < oj.n_angles; ++k)
        dangles[oj.first_slot + k] += grad_from_cross(fused_derivative(fused, j, k, angles), r);
    }
  };
  std::vector<int> qs;
  std::vector<Mat2> uinv, rs;
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
    const Step& st = *it;
    A* psi = ws.psi.data();
    A* lam = ws.lam.data();
    switch (st.kind) {
      case StepKind::Layer:
        qs.clear();
        uinv.clear();
        for (const Step& part : st.parts) {
          qs.push_back(part.q0);
          uinv.push_back(quantum::adjoint(fused_matrix(part.ops, angles)));
        }
        rs.assign(qs.size(), Mat2{});
        backward_1q_layer(psi, lam, n_, static_cast<int>(qs.size()), qs.data(), uinv.data(), rs.data());
        for (size_t p = 0; p < st.parts.size(); ++p) fused_grads(st.parts[p].ops, rs[p]);
        break;
      case StepKind::Fused1Q: {
        Mat2 r{};
        backward_1q(psi, lam, n_, st.q0, quantum::adjoint(fused_matrix(st.ops, angles)), r);
        fused_grads(st.ops, r);
        break;
      }
      case StepKind::Controlled1Q: {
        const Op& op = ops[st.ops[0]];
        Mat2 r{};
        const double* a = angles + op.first_slot;
        backward_controlled_1q(psi, lam, n_, st.q0, st.q1, quantum::adjoint(target_matrix(op.kind, a)), r);
        for (int k = 0; k < op.n_angles; ++k)
          dangles[op.first_slot + k] += grad_from_cross(dtarget_matrix(op.kind, a, k), r);
        break;
      }
      case StepKind::TwoQ: {
        Mat4 r{};
        backward_2q(psi, lam, n_, st.q0, st.q1, quantum::adjoint(circuit_->matrix2(ops[st.ops[0]].matrix)), r);
        break;
      }
      case StepKind::Cnot:
        apply_cnot(psi, n_, st.q0, st.q1);
        apply_cnot(lam, n_, st.q0, st.q1);
        break;
      case StepKind::Swap:
        apply_swap(psi, n_, st.q0, st.q1);
        apply_swap(lam, n_, st.q0, st.q1);
        break;
      case StepKind::Cz:
        apply_cz(psi, n_, st.q0, st.q1);
        apply_cz(lam, n_, st.q0, st.q1);
        break;
      case StepKind::Perm:
        apply_permutation(perms_inv_[st.perm], psi, ws.tmp.data());
        std::swap(ws.psi, ws.tmp);
        apply_permutation(perms_inv_[st.perm], lam, ws.tmp.data());
        std::swap(ws.lam, ws.tmp);
        break;
    }
  }
  // Product-state prefix: <lam| (v_0 (x) .. w_q .. (x) v_{n-1}) = sum_s env[q][s] w_q[s].
  std::vector<cplx> vbuf(2 * n_), envbuf(2 * n_);  // [n][2] each
  auto* v = reinterpret_cast<cplx(*)[2]>(vbuf.data());
  auto* env = reinterpret_cast<cplx(*)[2]>(envbuf.data());
  product_vectors(angles, v);
  contract_all_but_one(ws.lam.data(), n_, v, env);
  for (int q = 0; q < n_; ++q) {
    const std::vector<int>& pops = product_ops_[q];
    for (int j = 0; j < static_cast<int>(pops.size()); ++j) {
      const Op& oj = ops[pops[j]];
      for (int k = 0; k < oj.n_angles; ++k) {
        const Mat2 d = fused_derivative(pops, j, k, angles);  // column 0 = d(m|0>)
        dangles[oj.first_slot + k] += 2.0 * (env[q][0] * d[0] + env[q][1] * d[2]).real();
      }
    }
  }
}

template void Program::forward(const double*, Workspace&) const;
template void Program::forward(const double*, WorkspaceF&) const;
template void Program::adjoint(const double*, const double*, double*, Workspace&) const;
template void Program::adjoint(const double*, const double*, double*, WorkspaceF&) const;
template void Program::adjoint_from_state(const double*, const double*, double*, Workspace&) const;
template void Program::adjoint_from_state(const double*, const double*, double*, WorkspaceF&) const;

}  // namespace qdiff::quantum
