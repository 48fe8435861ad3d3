#include "qdiff/quantum/backend.hpp"

#include <omp.h>

#include <vector>

#include "qdiff/core/error.hpp"
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

void Backend::backward(const double* inputs, int64_t batch, const double* weights, const double* dz,
                       GradMethod method, double* dinputs, double* dweights, const Rng& rng) const {
  const int n_in = n_inputs(), n_w = n_weights(), ns = circuit_->n_slots();
  const std::vector<double> angles = bind_rows(inputs, batch, weights);
  std::vector<double> dangles(angles.size(), 0.0);  // [batch, n_slots]
  angle_gradients(method, angles.data(), batch, dz, rng, dangles.data());
  std::vector<double> dw_per_sample(dweights ? batch * n_w : 0, 0.0);  // [batch, n_weights]
  for (int64_t b = 0; b < batch; ++b)
    circuit_->bind_backward(dangles.data() + b * ns, dinputs ? dinputs + b * n_in : nullptr,
                            dweights ? dw_per_sample.data() + b * n_w : nullptr);
  if (dweights)
    for (int64_t b = 0; b < batch; ++b)
      for (int k = 0; k < n_w; ++k) dweights[k] += dw_per_sample[b * n_w + k];
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
  std::vector<double> din(dinputs ? batch * n_inputs() : 0, 0.0), dw(dweights ? n_weights() : 0, 0.0);
  backward(in.data(), batch, w.data(), c.data(), method, dinputs ? din.data() : nullptr,
           dweights ? dw.data() : nullptr, rng);
  for (size_t i = 0; i < din.size(); ++i) dinputs[i] += static_cast<float>(din[i]);
  for (size_t i = 0; i < dw.size(); ++i) dweights[i] += static_cast<float>(dw[i]);
}

}  // namespace qdiff::quantum
