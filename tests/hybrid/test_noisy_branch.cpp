// The quantum bottleneck branch on the noisy backends (issue 16): the whole branch (reduce,
// encoding, noisy circuit, readout) against finite differences in double on the density matrix,
// and on trajectories with the call counter held, which checks that a backward differentiates the
// trajectories of the forward it follows; the spec the options give (backend, noise, device preset).
#include <gtest/gtest.h>

#include <cmath>

#include "nn/gradcheck.hpp"
#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "support/test_support.hpp"

using namespace qdiff;
using namespace qdiff::hybrid;
using qdiff::test::gradcheck;
using qdiff::test::random_vector;
using Vec = std::vector<double>;

namespace {

QuantumBranchSpec noisy_spec(const std::string& backend, quantum::GradMethod method) {
  QuantumBranchSpec s;
  s.ansatz = {4, 2, Ansatz::Default, Entangler::Ring};
  s.reduce = Reduce::Linear;
  s.gradient = method;
  s.backend = backend;
  s.noise.one_qubit = {0.02, backend == "density_matrix" ? 0.05 : 0.0, 0.03};  // damping: density matrix only (see below)
  s.noise.two_qubit = {0.05, 0.0, 0.02};
  s.noise.readout_error = 0.04;
  s.trajectories = 6;
  s.shot_seed = 17;
  return s;
}

// Gradcheck of the branch; hold_stream: every forward uses call 0's stream (as its backward does).
void check_noisy_branch(const QuantumBranchSpec& spec, bool hold_stream) {
  nn::ParamRegistryT<double> reg;
  QuantumBranchT<double> br(spec);
  EXPECT_EQ(br.backend().name(), spec.backend);
  br.declare_params(reg, "bottleneck.", 10);
  Rng init(1);
  reg.finalize(init);
  Rng rng(2);
  const int B = 3, C = 10;
  Vec x = random_vector(static_cast<size_t>(B) * C, rng), dx, y(static_cast<size_t>(B) * C);
  const auto rep = gradcheck(
      "noisy branch " + spec.backend + "/" + mode_name(spec.gradient), {{"pooled", &x, &dx}}, &reg,
      [&] {
        if (hold_stream) br.set_forward_calls(0);
        br.forward(x.data(), y.data(), B, true);
        return y;
      },
      [&](const Vec& dy) { br.backward(dy.data(), dx.data(), B); }, {.tol = 1e-7});
  EXPECT_GT(rep.checked, 0u);
}

}  // namespace

TEST(NoisyBranch, DensityMatrixGradcheckInDouble) {
  for (auto m : {quantum::GradMethod::Adjoint, quantum::GradMethod::ParameterShift})
    check_noisy_branch(noisy_spec("density_matrix", m), false);
}

// With Pauli channels only a trajectory's branches depend on its stream alone, so the branch's
// output for a fixed stream is smooth and its backward must be its exact derivative.
TEST(NoisyBranch, TrajectoriesGradcheckWithTheForwardsStream) {
  for (auto m : {quantum::GradMethod::Adjoint, quantum::GradMethod::ParameterShift})
    check_noisy_branch(noisy_spec("trajectories", m), true);
}

TEST(NoisyBranch, SpecFromOptions) {
  auto spec_of = [](std::initializer_list<const char*> sets) {
    Config c;
    for (const char* s : sets) c.set(s);
    return quantum_branch_spec(resolve_options(c).quantum, 0);
  };
  const QuantumBranchSpec plain = spec_of({});
  EXPECT_EQ(plain.backend, "statevector");
  EXPECT_TRUE(plain.noise.is_noiseless());
  const QuantumBranchSpec channels = spec_of({"quantum.depolarizing=0.01", "quantum.depolarizing_2q=0.02",
                                              "quantum.amplitude_damping=0.03", "quantum.dephasing=0.04",
                                              "quantum.readout_error=0.05", "quantum.trajectories=7"});
  EXPECT_EQ(channels.backend, "density_matrix");  // auto, 8 qubits
  EXPECT_EQ(channels.noise.one_qubit.depolarizing, 0.01);
  EXPECT_EQ(channels.noise.two_qubit.depolarizing, 0.02);
  for (const quantum::GateNoise& g : {channels.noise.one_qubit, channels.noise.two_qubit}) {
    EXPECT_EQ(g.amplitude_damping, 0.03);
    EXPECT_EQ(g.dephasing, 0.04);
  }
  EXPECT_EQ(channels.noise.readout_error, 0.05);
  EXPECT_EQ(channels.trajectories, 7);
  EXPECT_EQ(channels.backend_options().trajectories, 7);
  EXPECT_EQ(spec_of({"quantum.n_qubits=11", "quantum.depolarizing_2q=0.01"}).backend, "trajectories");
  // the device preset: NoiseModel::device's formulas (gamma = 1 - exp(-t / T1), p = e (d + 1) / d)
  const QuantumBranchSpec device = spec_of({"quantum.t1=100", "quantum.t2=80", "quantum.gate_time_1q=0.05",
                                            "quantum.gate_time_2q=0.4", "quantum.gate_error_2q=0.01",
                                            "quantum.readout_error=0.02"});
  EXPECT_NEAR(device.noise.one_qubit.amplitude_damping, 1 - std::exp(-0.05 / 100), 1e-15);
  EXPECT_NEAR(device.noise.two_qubit.amplitude_damping, 1 - std::exp(-0.4 / 100), 1e-15);
  const double inv_tphi = 1.0 / 80 - 1.0 / 200;
  EXPECT_NEAR(device.noise.two_qubit.dephasing, 1 - std::exp(-2 * 0.4 * inv_tphi), 1e-15);
  EXPECT_NEAR(device.noise.two_qubit.depolarizing, 0.01 * 5 / 4, 1e-15);
  EXPECT_EQ(device.noise.one_qubit.depolarizing, 0.0);
  EXPECT_EQ(device.noise.readout_error, 0.02);
  const std::string line = noise_summary(device, Simulation::Auto);
  EXPECT_NE(line.find("device T1 100, T2 80"), std::string::npos) << line;
  EXPECT_NE(line.find("simulation density_matrix (quantum.simulation = auto)"), std::string::npos) << line;
}
