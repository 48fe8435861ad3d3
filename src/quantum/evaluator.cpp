#include "qdiff/quantum/evaluator.hpp"

#include <omp.h>

#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/sampling.hpp"

namespace qdiff::quantum {

BatchEvaluator::BatchEvaluator(Circuit circuit)
    : circuit_(std::make_unique<Circuit>(std::move(circuit))), program_(std::make_unique<Program>(*circuit_)) {}

int BatchEvaluator::threads() const { return threads_ > 0 ? threads_ : omp_get_max_threads(); }

// Runs every sample's circuit in parallel; readout(b, psi) turns its final state into z[b, :].
template <class Readout>
void BatchEvaluator::for_each_state(const double* inputs, int64_t batch, const double* weights, Readout&& readout) const {
  const int n_in = n_inputs();
#pragma omp parallel num_threads(threads())
  {
    Workspace ws;
    ws.angles.resize(circuit_->n_slots());
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < batch; ++b) {
      circuit_->bind(inputs + b * n_in, weights, ws.angles.data());
      program_->forward(ws.angles.data(), ws);
      readout(b, ws.psi.data());
    }
  }
}

void BatchEvaluator::forward(const double* inputs, int64_t batch, const double* weights, double* z) const {
  const int n = n_qubits();
  for_each_state(inputs, batch, weights, [&](int64_t b, const cplx* psi) { expectation_z_all(psi, n, z + b * n); });
}

void BatchEvaluator::forward_shots(const double* inputs, int64_t batch, const double* weights, int64_t shots,
                                   const Rng& rng, double* z) const {
  if (shots <= 0) throw InvalidArgument("forward_shots: shots must be > 0 (use forward for exact values)");
  const int n = n_qubits();
  for_each_state(inputs, batch, weights, [&](int64_t b, const cplx* psi) {
    Rng r = rng.fork(static_cast<uint64_t>(b));
    estimate_z(psi, n, shots, r, z + b * n);
  });
}

void BatchEvaluator::backward(const double* inputs, int64_t batch, const double* weights, const double* dz,
                              GradMethod method, double* dinputs, double* dweights) const {
  const int n = n_qubits(), n_in = n_inputs(), n_w = n_weights(), n_s = circuit_->n_slots();
  std::vector<double> dw_per_sample(dweights ? batch * n_w : 0, 0.0);  // [B, n_weights]
#pragma omp parallel num_threads(threads())
  {
    Workspace ws;
    ws.angles.resize(n_s);
    ws.dangles.resize(n_s);
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < batch; ++b) {
      circuit_->bind(inputs + b * n_in, weights, ws.angles.data());
      std::fill(ws.dangles.begin(), ws.dangles.end(), 0.0);
      angle_gradient(method, *program_, ws.angles.data(), dz + b * n, ws.dangles.data(), ws);
      circuit_->bind_backward(ws.dangles.data(), dinputs ? dinputs + b * n_in : nullptr,
                              dweights ? dw_per_sample.data() + b * n_w : nullptr);
    }
  }
  if (dweights)
    for (int64_t b = 0; b < batch; ++b)
      for (int k = 0; k < n_w; ++k) dweights[k] += dw_per_sample[b * n_w + k];
}

// ---- float edges ------------------------------------------------------------------------------

namespace {
std::vector<double> widen(const float* x, size_t count) { return std::vector<double>(x, x + count); }
}  // namespace

void BatchEvaluator::forward(const float* inputs, int64_t batch, const float* weights, float* z) const {
  const std::vector<double> in = widen(inputs, batch * n_inputs()), w = widen(weights, n_weights());
  std::vector<double> out(batch * n_qubits());
  forward(in.data(), batch, w.data(), out.data());
  for (size_t i = 0; i < out.size(); ++i) z[i] = static_cast<float>(out[i]);
}

void BatchEvaluator::backward(const float* inputs, int64_t batch, const float* weights, const float* dz,
                              GradMethod method, float* dinputs, float* dweights) const {
  const std::vector<double> in = widen(inputs, batch * n_inputs()), w = widen(weights, n_weights()),
                            c = widen(dz, batch * n_qubits());
  std::vector<double> din(dinputs ? batch * n_inputs() : 0, 0.0), dw(dweights ? n_weights() : 0, 0.0);
  backward(in.data(), batch, w.data(), c.data(), method, dinputs ? din.data() : nullptr,
           dweights ? dw.data() : nullptr);
  for (size_t i = 0; i < din.size(); ++i) dinputs[i] += static_cast<float>(din[i]);
  for (size_t i = 0; i < dw.size(); ++i) dweights[i] += static_cast<float>(dw[i]);
}

}  // namespace qdiff::quantum
