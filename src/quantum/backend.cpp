#include "qdiff/quantum/backend.hpp"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/core/reduce.hpp"
#include "qdiff/quantum/gradients.hpp"

namespace qdiff::quantum {

Backend::Backend(Circuit circuit) : circuit_(std::make_unique<const Circuit>(std::move(circuit))) {}

int Backend::threads() const { return threads_ > 0 ? threads_ : omp_get_max_threads(); }

std::vector<double> Backend::bind_rows(const double* inputs, int64_t batch, const double* weights) const {
  const int n_in = n_inputs(), ns = circuit_->n_slots();
  std::vector<double> angles(static_cast<size_t>(batch * ns));  // [batch, n_slots]
  for (int64_t b = 0; b < batch; ++b) circuit_->bind(inputs + b * n_in, weights, angles.data() + b * ns);
  return angles;
}

void Backend::forward(const double* inputs, int64_t batch, const double* weights, double* z, const Rng& rng) const {
  expectations(bind_rows(inputs, batch, weights).data(), batch, rng, z);
}

void Backend::forward_shots(const double* inputs, int64_t batch, const double* weights, int64_t shots,
                            const Rng& rng, double* z) const {
  if (shots <= 0) throw InvalidArgument("forward_shots: shots must be > 0 (use forward for exact values)");
  sampled_expectations(bind_rows(inputs, batch, weights).data(), batch, shots, rng, z);
}

void Backend::backward_rows(const double* inputs, int64_t batch, const double* weights, const double* dz,
                            GradMethod method, double* dinputs, double* dw_rows, const Rng& rng) const {
  const int n_in = n_inputs(), n_w = n_weights(), ns = circuit_->n_slots();
  const std::vector<double> angles = bind_rows(inputs, batch, weights);
  std::vector<double> dangles(angles.size(), 0.0);  // [batch, n_slots]
  angle_gradients(method, angles.data(), batch, dz, rng, dangles.data());
  if (dw_rows) std::fill(dw_rows, dw_rows + batch * n_w, 0.0);
  for (int64_t b = 0; b < batch; ++b)
    circuit_->bind_backward(dangles.data() + b * ns, dinputs ? dinputs + b * n_in : nullptr,
                            dw_rows ? dw_rows + b * n_w : nullptr);
}

namespace {
// dweights[k] += sum_b dw_rows[b, k] in the batch's gradient tree (core/reduce.hpp), as the nn
// layers sum their weight gradients: each leaf's rows in row order (in double), the leaf sum
// rounded to T, the leaves combined by the tree in T. A data-parallel shard's sum is then a node
// of the whole batch's tree, bit for bit.
template <class T>
void add_tree_sum(const double* dw_rows, int64_t batch, int n_w, T* dweights) {
  const std::vector<TreeLeaf> leaves = tree_leaves(batch, kBatchLeaf);
  if (leaves.empty()) return;
  std::vector<T> sums(leaves.size() * n_w);  // [leaves, n_w]
  std::vector<T*> parts(leaves.size());
  for (size_t l = 0; l < leaves.size(); ++l) {
    parts[l] = sums.data() + l * n_w;
    for (int k = 0; k < n_w; ++k) {
      double s = 0;
      for (int64_t b = leaves[l].begin; b < leaves[l].end; ++b) s += dw_rows[b * n_w + k];
      parts[l][k] = static_cast<T>(s);
    }
  }
  tree_sum_buffers(parts.data(), batch, kBatchLeaf, static_cast<size_t>(n_w));
  for (int k = 0; k < n_w; ++k) dweights[k] += parts[0][k];
}
}  // namespace

void Backend::backward(const double* inputs, int64_t batch, const double* weights, const double* dz,
                       GradMethod method, double* dinputs, double* dweights, const Rng& rng) const {
  std::vector<double> dw_rows(dweights ? batch * n_weights() : 0);  // [batch, n_weights]
  backward_rows(inputs, batch, weights, dz, method, dinputs, dweights ? dw_rows.data() : nullptr, rng);
  if (dweights) add_tree_sum(dw_rows.data(), batch, n_weights(), dweights);
}

void Backend::angle_gradients(GradMethod method, const double* angles, int64_t rows, const double* dz,
                              const Rng& rng, double* dangles) const {
  if (method != GradMethod::ParameterShift)
    throw InvalidArgument("the " + name() + " backend has no " + mode_name(method) +
                          " gradient (use parameter_shift)");
  parameter_shift(*this, angles, rows, dz, rng, dangles);
}

// ---- float edges ------------------------------------------------------------------------------

namespace {
std::vector<double> widen(const float* x, size_t count) { return std::vector<double>(x, x + count); }
}  // namespace

void Backend::forward(const float* inputs, int64_t batch, const float* weights, float* z, const Rng& rng) const {
  const std::vector<double> in = widen(inputs, batch * n_inputs()), w = widen(weights, n_weights());
  std::vector<double> out(batch * n_qubits());
  forward(in.data(), batch, w.data(), out.data(), rng);
  for (size_t i = 0; i < out.size(); ++i) z[i] = static_cast<float>(out[i]);
}

void Backend::backward(const float* inputs, int64_t batch, const float* weights, const float* dz,
                       GradMethod method, float* dinputs, float* dweights, const Rng& rng) const {
  const std::vector<double> in = widen(inputs, batch * n_inputs()), w = widen(weights, n_weights()),
                            c = widen(dz, batch * n_qubits());
  std::vector<double> din(dinputs ? batch * n_inputs() : 0, 0.0), dw_rows(dweights ? batch * n_weights() : 0);
  backward_rows(in.data(), batch, w.data(), c.data(), method, dinputs ? din.data() : nullptr,
                dweights ? dw_rows.data() : nullptr, rng);
  for (size_t i = 0; i < din.size(); ++i) dinputs[i] += static_cast<float>(din[i]);
  if (dweights) add_tree_sum(dw_rows.data(), batch, n_weights(), dweights);
}

}  // namespace qdiff::quantum
