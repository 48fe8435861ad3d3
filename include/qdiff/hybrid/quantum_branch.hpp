// The quantum bottleneck branch: the simulator (quantum/) plugged into the U-Net (nn/).
//   pooled: [B,C] -> r: [B,nq]   reduce: adaptive average pool over channel groups (paper) or Linear(C,nq)
//   angles = pi * sigmoid(r)     [B,nq]  RY(angle_i) encoding on |0...0>
//   z = <Z_i> of the circuit     [B,nq]  exact, or estimated from `shots` Born-rule samples
//   q = Linear(nq, C)(z)         [B,C]   the U-Net scales the bottleneck channels by q
// Gradients reach the circuit weights AND flow back through the encoding angles into the U-Net
// (adjoint differentiation by default, parameter shift as the reference). With shots > 0 the
// backward uses exact expectations (the usual straight-through treatment of shot noise).
// The circuit runs on a quantum::Backend (quantum/backend.hpp) chosen by name from the backend
// table (quantum.simulation; noisy circuits on "density_matrix" or "trajectories"); the branch
// knows only the interface. Each forward call draws from its own stream (call_stream), and the
// backward differentiates with the stream of the forward it follows, so a trajectories backward
// differentiates the very estimate its forward returned; the call counter is checkpointed.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "qdiff/core/options.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/nn/bottleneck.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/backend.hpp"

namespace qdiff::hybrid {

struct QuantumBranchSpec {
  quantum::AnsatzSpec ansatz;
  Reduce reduce = Reduce::Pool;
  quantum::GradMethod gradient = quantum::GradMethod::Adjoint;
  quantum::Precision precision = quantum::Precision::Double;  // of the simulated amplitudes
  std::string backend = "statevector";  // a name in quantum::backends()
  quantum::NoiseModel noise;            // the noisy backends' channels (none: the ideal circuit)
  int trajectories = 64;                // per sample, for the trajectories backend
  int64_t shots = 0;                    // 0: exact <Z_i>
  uint64_t shot_seed = 0;               // seeds the shot noise and a stochastic backend (forked per forward call)

  quantum::BackendOptions backend_options() const;
};
// The branch the quantum options describe; `seed` (train.seed) seeds the shot noise.
QuantumBranchSpec quantum_branch_spec(const QuantumOptions& quantum, uint64_t seed);
// The noise model of the quantum.* noise keys: the channel strengths as given (depolarizing after
// 1-qubit gates, depolarizing_2q after 2-qubit gates, damping and dephasing after every gate), or
// with quantum.t1 > 0 the device preset quantum::NoiseModel::device; readout error in both.
quantum::NoiseModel noise_model(const QuantumOptions& quantum);
// One line for the training log and `qdiff circuit`, e.g. "quantum noise: depolarizing 0 (1q)
// 0.01 (2q); simulation density_matrix (quantum.simulation = auto)".
std::string noise_summary(const QuantumBranchSpec& spec, Simulation requested);

// Parameter count of the quantum branch of width `channels` (the U-Net's bottleneck width):
// reduce (pool: none, linear: Linear(C, nq)), the circuit's weights, read-out Linear(nq, C).
int64_t quantum_branch_params(const QuantumOptions& quantum, int channels);

template <class T>
class QuantumBranchT final : public nn::BottleneckBranchT<T> {
 public:
  explicit QuantumBranchT(QuantumBranchSpec spec);
  std::string kind() const override { return "quantum"; }
  void declare_params(nn::ParamRegistryT<T>& reg, const std::string& prefix, int channels) override;
  void forward(const T* pooled, T* q, int B, bool training) override;
  void backward(const T* dq, T* dpooled, int B) override;

  const QuantumBranchSpec& spec() const { return spec_; }
  const quantum::Backend& backend() const { return *backend_; }
  // Current circuit weights [n_weights] (from the model's flat buffer).
  const T* circuit_weights() const { return reg_->param(weights_); }
  // Training forwards (training = true) made so far: the position of the shot-noise (and
  // stochastic backend) stream of training, saved for exact resume. Call c draws from
  // fork(c) of the shot seed, its row b from that stream's fork(first_sample + b). Inference
  // forwards (training = false: previews, sampling) draw from a stream of their own, keyed by the
  // training calls so far and the inference calls since the last training forward: they never
  // move the training stream, and a preview is the same in a resumed run as in an unbroken one.
  uint64_t forward_calls() const { return calls_; }
  void set_forward_calls(uint64_t c) { calls_ = c, inference_calls_ = 0; }
  // Data parallel: row b of this process's training batch is sample first + b of the global
  // batch, so that shards draw distinct streams and P processes draw the streams of one.
  void set_first_sample(int64_t first) { first_sample_ = first; }

 private:
  // The randomness of training forward call `call` (one stream per sample inside).
  Rng training_stream(uint64_t call) const;
  // The randomness of the next inference forward (advances the inference count).
  Rng next_inference_stream();
  QuantumBranchSpec spec_;
  std::unique_ptr<quantum::Backend> backend_;
  nn::ParamRegistryT<T>* reg_ = nullptr;
  int C_ = 0, nq_ = 0;
  nn::Linear<T> reduce_fc_, readout_;
  nn::ParamRef weights_;
  uint64_t calls_ = 0, inference_calls_ = 0;
  int64_t first_sample_ = 0;
  nn::Buf<T> pooled_, r_, angles_, z_, dz_, dangles_, dr_;
};

using QuantumBranch = QuantumBranchT<float>;

// Adaptive average pool over channel groups as torch.nn.AdaptiveAvgPool1d: output i averages
// channels [floor(i C / n), ceil((i + 1) C / n)).  x: [B,C] -> y: [B,n]; backward writes dx.
template <class T> void adaptive_pool_forward(T* y, const T* x, int B, int C, int n);
template <class T> void adaptive_pool_backward(T* dx, const T* dy, int B, int C, int n);

}  // namespace qdiff::hybrid
