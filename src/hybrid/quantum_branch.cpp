#include "qdiff/hybrid/quantum_branch.hpp"

#include <cmath>
#include <numbers>
#include <vector>

#include "qdiff/core/error.hpp"

namespace qdiff::hybrid {

QuantumBranchSpec quantum_branch_spec(const QuantumOptions& quantum, uint64_t seed) {
  QuantumBranchSpec s;
  s.ansatz = {quantum.n_qubits, quantum.n_layers, quantum.ansatz, quantum.entangler};
  s.reduce = quantum.reduce;
  s.gradient = quantum.gradient;
  s.precision = quantum.precision;
  s.shots = quantum.shots;
  s.shot_seed = seed ^ 0x5eed5407ULL;
  s.noise = noise_model(quantum);
  s.trajectories = quantum.trajectories;
  s.backend = std::string(quantum::simulation_backend(quantum.simulation, s.noise, quantum.n_qubits));
  return s;
}

quantum::BackendOptions QuantumBranchSpec::backend_options() const {
  quantum::BackendOptions o;
  o.precision = precision;
  o.noise = noise;
  o.trajectories = trajectories;
  return o;
}

quantum::NoiseModel noise_model(const QuantumOptions& quantum) {
  if (quantum.t1 > 0) {
    quantum::DeviceSpec d;
    d.t1 = quantum.t1, d.t2 = quantum.t2;
    d.gate_time_1q = quantum.gate_time_1q, d.gate_time_2q = quantum.gate_time_2q;
    d.error_1q = quantum.gate_error_1q, d.error_2q = quantum.gate_error_2q;
    d.readout_error = quantum.readout_error;
    return quantum::NoiseModel::device(d);
  }
  quantum::NoiseModel m;
  m.one_qubit = {quantum.depolarizing, quantum.amplitude_damping, quantum.dephasing};
  m.two_qubit = {quantum.depolarizing_2q, quantum.amplitude_damping, quantum.dephasing};
  m.readout_error = quantum.readout_error;
  m.validate();
  return m;
}

std::string noise_summary(const QuantumBranchSpec& spec, Simulation requested) {
  std::string s = "quantum noise: " + spec.noise.describe() + "; simulation " + spec.backend;
  if (requested == Simulation::Auto) s += " (quantum.simulation = auto)";
  if (spec.backend == "trajectories") s += ", " + std::to_string(spec.trajectories) + " trajectories per sample";
  return s;
}

int64_t quantum_branch_params(const QuantumOptions& quantum, int channels) {
  const int64_t nq = quantum.n_qubits;
  const int64_t reduce = quantum.reduce == Reduce::Linear ? channels * nq + nq : 0;
  const int64_t circuit = quantum::ansatz_weight_count({quantum.n_qubits, quantum.n_layers, quantum.ansatz, quantum.entangler});
  return reduce + circuit + nq * channels + channels;
}

template <class T>
void adaptive_pool_forward(T* y, const T* x, int B, int C, int n) {
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < n; ++i) {
      const int lo = (i * C) / n, hi = ((i + 1) * C + n - 1) / n;
      T s = 0;
      for (int c = lo; c < hi; ++c) s += x[b * C + c];
      y[b * n + i] = s / static_cast<T>(hi - lo);
    }
}

template <class T>
void adaptive_pool_backward(T* dx, const T* dy, int B, int C, int n) {
  std::fill(dx, dx + static_cast<size_t>(B) * C, T(0));
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < n; ++i) {
      const int lo = (i * C) / n, hi = ((i + 1) * C + n - 1) / n;
      const T g = dy[b * n + i] / static_cast<T>(hi - lo);
      for (int c = lo; c < hi; ++c) dx[b * C + c] += g;
    }
}

namespace {
constexpr uint64_t kInferenceStreamSalt = 0x696e666572ull;  // inference forwards: apart from training's
}  // namespace

template <class T>
Rng QuantumBranchT<T>::training_stream(uint64_t call) const {
  return Rng(spec_.shot_seed).fork(call).with_fork_offset(static_cast<uint64_t>(first_sample_));
}

template <class T>
Rng QuantumBranchT<T>::next_inference_stream() {
  return Rng(spec_.shot_seed ^ kInferenceStreamSalt).fork(calls_).fork(inference_calls_++);
}

template <class T>
QuantumBranchT<T>::QuantumBranchT(QuantumBranchSpec spec)
    : spec_(std::move(spec)),
      backend_(quantum::make_backend(spec_.backend, quantum::make_ansatz(spec_.ansatz), spec_.backend_options())) {
  if (spec_.shots < 0) throw InvalidArgument("quantum.shots must be >= 0");
}

template <class T>
void QuantumBranchT<T>::declare_params(nn::ParamRegistryT<T>& reg, const std::string& prefix, int channels) {
  reg_ = &reg;
  C_ = channels;
  nq_ = spec_.ansatz.n_qubits;
  if (spec_.reduce == Reduce::Pool && nq_ > C_)
    throw InvalidArgument("quantum.reduce = pool needs n_qubits <= " + std::to_string(C_) + " channels");
  if (spec_.reduce == Reduce::Linear) reduce_fc_ = nn::Linear<T>(reg, prefix + "reduce", C_, nq_);
  // Circuit weights: uniform in [-pi, pi] (every rotation starts somewhere on the circle).
  weights_ = reg.add(prefix + "circuit.weight", {backend_->n_weights()}, nn::Init::Uniform, std::numbers::pi);
  readout_ = nn::Linear<T>(reg, prefix + "readout", nq_, C_);
}

template <class T>
void QuantumBranchT<T>::forward(const T* pooled, T* q, int B, bool training) {
  T* r = r_.get(static_cast<size_t>(B) * nq_);
  T* angles = angles_.get(static_cast<size_t>(B) * nq_);
  T* z = z_.get(static_cast<size_t>(B) * nq_);
  if (training) std::copy_n(pooled, static_cast<size_t>(B) * C_, pooled_.get(static_cast<size_t>(B) * C_));
  if (spec_.reduce == Reduce::Linear) reduce_fc_.forward(r, pooled, B);
  else adaptive_pool_forward(r, pooled, B, C_, nq_);
  for (int64_t i = 0; i < int64_t(B) * nq_; ++i) angles[i] = T(std::numbers::pi) / (T(1) + std::exp(-r[i]));
  const T* w = reg_->param(weights_);
  Rng stream;
  if (training) {
    stream = training_stream(calls_++);
    inference_calls_ = 0;
  } else {
    stream = next_inference_stream();
  }
  if (spec_.shots > 0) {
    std::vector<double> a(angles, angles + static_cast<size_t>(B) * nq_), wd(w, w + backend_->n_weights()),
        zd(static_cast<size_t>(B) * nq_);
    backend_->forward_shots(a.data(), B, wd.data(), spec_.shots, stream, zd.data());
    std::copy(zd.begin(), zd.end(), z);
  } else {
    backend_->forward(angles, B, w, z, stream);
  }
  readout_.forward(q, z, B);
}

template <class T>
void QuantumBranchT<T>::backward(const T* dq, T* dpooled, int B) {
  const size_t bn = static_cast<size_t>(B) * nq_;
  T* dz = dz_.get(bn);
  T* dangles = dangles_.get(bn);
  T* dr = dr_.get(bn);
  readout_.backward(dz, z_.data(), dq, B);
  std::fill(dangles, dangles + bn, T(0));
  backend_->backward(angles_.data(), B, reg_->param(weights_), dz, spec_.gradient, dangles, reg_->grad(weights_),
                     training_stream(calls_ - 1));  // the stream of the forward being differentiated
  const T* r = r_.data();
  for (size_t i = 0; i < bn; ++i) {
    const T s = T(1) / (T(1) + std::exp(-r[i]));
    dr[i] = dangles[i] * T(std::numbers::pi) * s * (T(1) - s);
  }
  if (spec_.reduce == Reduce::Linear) reduce_fc_.backward(dpooled, pooled_.data(), dr, B);
  else adaptive_pool_backward(dpooled, dr, B, C_, nq_);
}

template class QuantumBranchT<float>;
template class QuantumBranchT<double>;
template void adaptive_pool_forward<float>(float*, const float*, int, int, int);
template void adaptive_pool_forward<double>(double*, const double*, int, int, int);
template void adaptive_pool_backward<float>(float*, const float*, int, int, int);
template void adaptive_pool_backward<double>(double*, const double*, int, int, int);

}  // namespace qdiff::hybrid
