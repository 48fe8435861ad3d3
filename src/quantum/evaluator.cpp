#include "qdiff/quantum/evaluator.hpp"

#include <omp.h>

#include <vector>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/sampling.hpp"

namespace qdiff::quantum {

BatchEvaluator::BatchEvaluator(Circuit circuit)
    : circuit_(std::make_unique<Circuit>(std::move(circuit))), program_(std::make_unique<Program>(*circuit_)) {}

Precision precision_from_name(const std::string& name) {
  if (name == "double") return Precision::Double;
  if (name == "float") return Precision::Float;
  throw InvalidArgument("unknown simulator precision '" + name + "' (use double or float)");
}

const char* precision_name(Precision p) { return p == Precision::Double ? "double" : "float"; }

int BatchEvaluator::threads() const { return threads_ > 0 ? threads_ : omp_get_max_threads(); }

template <class Readout>
void BatchEvaluator::for_each_state(const double* inputs, int64_t batch, const double* weights, Readout&& readout) const {
  if (precision_ == Precision::Float)
    for_each_state_in<cplxf>(inputs, batch, weights, readout);
  else
    for_each_state_in<cplx>(inputs, batch, weights, readout);
}

// Runs every sample's circuit in parallel; readout(b, psi) turns its final state into z[b, :].
template <class A, class Readout>
void BatchEvaluator::for_each_state_in(const double* inputs, int64_t batch, const double* weights,
                                       Readout&& readout) const {
  const int n_in = n_inputs();
#pragma omp parallel num_threads(threads())
  {
    WorkspaceT<A> ws;
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
  for_each_state(inputs, batch, weights, [&](int64_t b, const auto* psi) { expectation_z_all(psi, n, z + b * n); });
}

void BatchEvaluator::forward_shots(const double* inputs, int64_t batch, const double* weights, int64_t shots,
                                   const Rng& rng, double* z) const {
  if (shots <= 0) throw InvalidArgument("forward_shots: shots must be > 0 (use forward for exact values)");
  const int n = n_qubits();
  for_each_state(inputs, batch, weights, [&](int64_t b, const auto* psi) {
    Rng r = rng.fork(static_cast<uint64_t>(b));
    estimate_z(psi, n, shots, r, z + b * n);
  });
}

void BatchEvaluator::backward(const double* inputs, int64_t batch, const double* weights, const double* dz,
                              GradMethod method, double* dinputs, double* dweights) const {
  const int n_w = n_weights();
  std::vector<double> dw_per_sample(dweights ? batch * n_w : 0, 0.0);  // [B, n_weights]
  double* dws = dweights ? dw_per_sample.data() : nullptr;
  if (precision_ == Precision::Float)
    backward_in<cplxf>(inputs, batch, weights, dz, method, dinputs, dws);
  else
    backward_in<cplx>(inputs, batch, weights, dz, method, dinputs, dws);
  if (dweights)
    for (int64_t b = 0; b < batch; ++b)
      for (int k = 0; k < n_w; ++k) dweights[k] += dw_per_sample[b * n_w + k];
}

// Per-sample gradients in parallel: dinputs[b, :] += ..., dw_per_sample[b, :] = ... (if not null).
template <class A>
void BatchEvaluator::backward_in(const double* inputs, int64_t batch, const double* weights, const double* dz,
                                 GradMethod method, double* dinputs, double* dw_per_sample) const {
  const int n = n_qubits(), n_in = n_inputs(), n_w = n_weights(), n_s = circuit_->n_slots();
#pragma omp parallel num_threads(threads())
  {
    WorkspaceT<A> ws;
    ws.angles.resize(n_s);
    ws.dangles.resize(n_s);
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < batch; ++b) {
      circuit_->bind(inputs + b * n_in, weights, ws.angles.data());
      std::fill(ws.dangles.begin(), ws.dangles.end(), 0.0);
      angle_gradient(method, *program_, ws.angles.data(), dz + b * n, ws.dangles.data(), ws);
      circuit_->bind_backward(ws.dangles.data(), dinputs ? dinputs + b * n_in : nullptr,
                              dw_per_sample ? dw_per_sample + b * n_w : nullptr);
    }
  }
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
