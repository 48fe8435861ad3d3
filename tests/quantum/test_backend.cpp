// The backend interface: the registry, precision as a property of a backend, and parameter shift
// written against the interface alone. A minimal backend defined here (the gate-by-gate
// reference path, expectations only) gets exact gradients from parameter shift, equal to the
// statevector backend's adjoint ones, and rejects the adjoint method it does not have.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/sampling.hpp"
#include "qdiff/quantum/state.hpp"
#include "qdiff/quantum/statevector_backend.hpp"
#include "reference.hpp"

namespace qdiff::quantum {
namespace {

using ref::max_abs_diff;

BackendOptions options_of(Precision precision, int threads) {
  BackendOptions o;
  o.precision = precision;
  o.threads = threads;
  return o;
}

// A backend as a new one starts: circuit runs only (Circuit::apply on a StateVector).
class ReferenceBackend final : public Backend {
 public:
  explicit ReferenceBackend(Circuit c) : Backend(std::move(c)) {}
  std::string name() const override { return "reference"; }
  Precision precision() const override { return Precision::Double; }
  void expectations(const double* angles, int64_t rows, const Rng&, double* z) const override {
    for (int64_t r = 0; r < rows; ++r) {
      const StateVector s = run(angles + r * circuit().n_slots());
      const auto e = s.expectation_z();
      std::copy(e.begin(), e.end(), z + r * n_qubits());
    }
  }
  void sampled_expectations(const double* angles, int64_t rows, int64_t shots, const Rng& rng,
                            double* z) const override {
    for (int64_t r = 0; r < rows; ++r) {
      Rng row = rng.fork(static_cast<uint64_t>(r));
      const auto bits = sample_bitstrings(run(angles + r * circuit().n_slots()), shots, row);
      z_from_samples(bits.data(), shots, n_qubits(), z + r * n_qubits());
    }
  }

 private:
  StateVector run(const double* angles) const {
    StateVector s(n_qubits());
    circuit().apply(s, angles);
    return s;
  }
};

struct Batch {
  std::vector<double> inputs, weights, dz;
};
Batch random_batch(const Backend& b, int batch, Rng& rng) {
  Batch p{std::vector<double>(batch * b.n_inputs()), std::vector<double>(b.n_weights()),
          std::vector<double>(batch * b.n_qubits())};
  for (double& x : p.inputs) x = rng.uniform() * 3.0;
  for (double& x : p.weights) x = rng.normal();
  for (double& x : p.dz) x = rng.normal();
  return p;
}

TEST(QuantumBackend, RegistryMakesTheStatevectorBackendInEitherPrecision) {
  ASSERT_FALSE(backends().empty());
  EXPECT_EQ(backends()[0].name, "statevector");
  const Circuit c = make_ansatz({3, 1, Ansatz::Default, Entangler::Ring});
  for (Precision p : {Precision::Double, Precision::Float}) {
    const auto b = make_backend("statevector", c, options_of(p, 1));
    EXPECT_EQ(b->name(), "statevector");
    EXPECT_EQ(b->precision(), p);
    EXPECT_EQ(b->threads(), 1);
    EXPECT_EQ(b->n_weights(), c.n_weights());
  }
  try {
    make_backend("tensor_network", c);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("known: statevector"), std::string::npos) << e.what();
  }
}

TEST(QuantumBackend, TheNoisyBackendsAreRegisteredAndAutoChoosesBySize) {
  std::vector<std::string> names;
  for (const BackendEntry& b : backends()) names.emplace_back(b.name);
  EXPECT_EQ(names, (std::vector<std::string>{"statevector", "density_matrix", "trajectories"}));
  NoiseModel noisy;
  noisy.two_qubit.depolarizing = 1e-3;
  NoiseModel readout;
  readout.readout_error = 0.01;
  EXPECT_EQ(simulation_backend(Simulation::Auto, NoiseModel{}, 20), "statevector");
  EXPECT_EQ(simulation_backend(Simulation::Auto, noisy, kAutoDensityMatrixQubits), "density_matrix");
  EXPECT_EQ(simulation_backend(Simulation::Auto, readout, 2), "density_matrix");
  EXPECT_EQ(simulation_backend(Simulation::Auto, noisy, kAutoDensityMatrixQubits + 1), "trajectories");
  EXPECT_EQ(simulation_backend(Simulation::DensityMatrix, NoiseModel{}, 3), "density_matrix");
  EXPECT_EQ(simulation_backend(Simulation::Trajectories, noisy, 3), "trajectories");
  EXPECT_EQ(simulation_backend(Simulation::Statevector, noisy, 3), "statevector");
  // every simulation name is a backend name (auto aside)
  for (Simulation sim : {Simulation::Statevector, Simulation::DensityMatrix, Simulation::Trajectories})
    EXPECT_EQ(simulation_backend(sim, noisy, 3), mode_name(sim));
  // the statevector backend has no channels: a noisy model is an error that says so
  BackendOptions o;
  o.noise = readout;
  try {
    make_backend("statevector", make_ansatz({3, 1, Ansatz::Default, Entangler::Ring}), o);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("readout error 0.01"), std::string::npos) << e.what();
  }
}

TEST(QuantumBackend, ParameterShiftWorksOnAnyBackendAndMatchesTheStatevectorAdjoint) {
  Rng rng(51);
  for (const Circuit& c : {make_ansatz({4, 2, Ansatz::Strong, Entangler::Ring}), ref::random_circuit(4, 25, rng)}) {
    const ReferenceBackend reference(c);
    const StatevectorBackend<cplx> statevector(c);
    const Batch p = random_batch(reference, 3, rng);
    std::vector<double> z_ref(p.dz.size()), z_sv(p.dz.size());
    reference.forward(p.inputs.data(), 3, p.weights.data(), z_ref.data());
    statevector.forward(p.inputs.data(), 3, p.weights.data(), z_sv.data());
    EXPECT_LT(max_abs_diff(z_ref, z_sv), 1e-12);
    std::vector<double> din_shift(p.inputs.size(), 0.0), dw_shift(p.weights.size(), 0.0);
    std::vector<double> din_adj(p.inputs.size(), 0.0), dw_adj(p.weights.size(), 0.0);
    reference.backward(p.inputs.data(), 3, p.weights.data(), p.dz.data(), GradMethod::ParameterShift,
                       din_shift.data(), dw_shift.data());
    statevector.backward(p.inputs.data(), 3, p.weights.data(), p.dz.data(), GradMethod::Adjoint, din_adj.data(),
                         dw_adj.data());
    EXPECT_LT(max_abs_diff(din_shift, din_adj), 1e-10);
    EXPECT_LT(max_abs_diff(dw_shift, dw_adj), 1e-10);
    double largest = 0;
    for (double d : dw_adj) largest = std::max(largest, std::abs(d));
    EXPECT_GT(largest, 1e-3) << "the gradients compared are not trivially zero";
    EXPECT_THROW(reference.backward(p.inputs.data(), 3, p.weights.data(), p.dz.data(), GradMethod::Adjoint,
                                    din_shift.data(), dw_shift.data()),
                 InvalidArgument);
  }
}

// The statevector backend keeps the final states of a forward for the adjoint that follows on the
// same angles (no second forward): the gradients must be the same bits as a fresh backend's, and
// a forward on other angles (weights changed, or other inputs) must not lend its states.
template <class A>
void expect_kept_states_change_nothing(const Circuit& c, Rng& rng) {
  const StatevectorBackend<A> used(c);
  const int B = 5;
  const Batch p = random_batch(used, B, rng), other = random_batch(used, B, rng);
  auto gradients = [&](const StatevectorBackend<A>& b, const Batch& q) {
    std::vector<double> din(q.inputs.size(), 0.0), dw(q.weights.size(), 0.0);
    b.backward(q.inputs.data(), B, q.weights.data(), q.dz.data(), GradMethod::Adjoint, din.data(), dw.data());
    din.insert(din.end(), dw.begin(), dw.end());
    return din;
  };
  std::vector<double> z(p.dz.size());
  for (int round = 0; round < 2; ++round) {  // the second round reuses the buffers of the first
    used.forward(p.inputs.data(), B, p.weights.data(), z.data());
    EXPECT_EQ(used.kept_rows(), B);
    EXPECT_EQ(gradients(used, p), gradients(StatevectorBackend<A>(c), p)) << "kept states, round " << round;
    EXPECT_EQ(used.kept_rows(), 0) << "the adjoint clobbers the kept states";
  }
  used.forward(other.inputs.data(), B, other.weights.data(), z.data());
  EXPECT_EQ(gradients(used, p), gradients(StatevectorBackend<A>(c), p)) << "states of other angles";
  Batch moved = p;
  moved.weights[0] += 0.5;
  used.forward(p.inputs.data(), B, p.weights.data(), z.data());
  EXPECT_EQ(gradients(used, moved), gradients(StatevectorBackend<A>(c), moved)) << "weights changed after forward";
}

TEST(QuantumBackend, KeptForwardStatesGiveTheSameGradientsAsASecondForward) {
  Rng rng(52);
  for (const Circuit& c : {make_ansatz({5, 2, Ansatz::Default, Entangler::Ring}),
                           make_ansatz({4, 2, Ansatz::Strong, Entangler::All}), ref::random_circuit(4, 25, rng)}) {
    expect_kept_states_change_nothing<cplx>(c, rng);
    expect_kept_states_change_nothing<cplxf>(c, rng);
  }
}

TEST(QuantumBackend, ShotsComeFromTheBackendsStateWithPerSampleStreams) {
  Rng rng(52);
  const Circuit c = make_ansatz({5, 2, Ansatz::Default, Entangler::Chain});
  const ReferenceBackend reference(c);
  const StatevectorBackend<cplx> statevector(c);
  const Batch p = random_batch(reference, 4, rng);
  std::vector<double> a(p.dz.size()), b(p.dz.size());
  reference.forward_shots(p.inputs.data(), 4, p.weights.data(), 1000, Rng(3), a.data());
  statevector.forward_shots(p.inputs.data(), 4, p.weights.data(), 1000, Rng(3), b.data());
  EXPECT_EQ(a, b) << "the same state, the same stream per sample: the same shots";
  EXPECT_THROW(reference.forward_shots(p.inputs.data(), 4, p.weights.data(), 0, Rng(3), a.data()), InvalidArgument);
}

// The weight gradient is summed in the batch's fixed tree (core/reduce.hpp), in the precision of
// the output: the gradient of a batch is, bit for bit, the sum of its two halves' gradients (the
// shards of two data-parallel processes), whatever the thread count. A sum over all rows in
// double, rounded once, would differ from the sum of two rounded halves.
TEST(QuantumBackend, WeightGradientOfABatchIsTheSumOfItsHalvesBitForBit) {
  Rng rng(53);
  const Circuit c = make_ansatz({4, 3, Ansatz::Strong, Entangler::Ring});
  for (const int B : {8, 16}) {
    const Batch p = random_batch(*make_backend("statevector", c), B, rng);
    const std::vector<float> in(p.inputs.begin(), p.inputs.end()), w(p.weights.begin(), p.weights.end()),
        dz(p.dz.begin(), p.dz.end());
    const int h = B / 2, nw = c.n_weights();
    for (int threads : {1, 2}) {
      const auto backend = make_backend("statevector", c, options_of(Precision::Double, threads));
      std::vector<float> whole(nw, 0.0f), first(nw, 0.0f), second(nw, 0.0f);
      backend->backward(in.data(), B, w.data(), dz.data(), GradMethod::Adjoint, nullptr, whole.data());
      backend->backward(in.data(), h, w.data(), dz.data(), GradMethod::Adjoint, nullptr, first.data());
      backend->backward(in.data() + h * c.n_inputs(), h, w.data(), dz.data() + h * c.n_qubits(), GradMethod::Adjoint,
                        nullptr, second.data());
      for (int k = 0; k < nw; ++k)
        EXPECT_EQ(whole[k], first[k] + second[k]) << "weight " << k << ", batch " << B << ", " << threads << " threads";
    }
  }
}

// A shard's rows draw the shots of their global sample indices: rows [4, 8) of a batch with the
// stream rng equal the batch of those 4 rows alone with rng.with_fork_offset(4).
TEST(QuantumBackend, ShotsOfAShardWithAForkOffsetAreTheWholeBatchsRows) {
  Rng rng(54);
  const Circuit c = make_ansatz({4, 2, Ansatz::Default, Entangler::Ring});
  const auto backend = make_backend("statevector", c);
  const Batch p = random_batch(*backend, 8, rng);
  const int nq = c.n_qubits();
  std::vector<double> whole(8 * nq), shard(4 * nq);
  backend->forward_shots(p.inputs.data(), 8, p.weights.data(), 100, Rng(9), whole.data());
  backend->forward_shots(p.inputs.data() + 4 * c.n_inputs(), 4, p.weights.data(), 100, Rng(9).with_fork_offset(4),
                         shard.data());
  EXPECT_EQ(shard, std::vector<double>(whole.begin() + 4 * nq, whole.end()));
}

}  // namespace
}  // namespace qdiff::quantum
