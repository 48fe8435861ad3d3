// The noise model (validation, device preset, describe), the Kraus operators, where the channels
// go (NoisyCircuit), and every channel against its closed form through the density matrix.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/density_matrix.hpp"
#include "noise_reference.hpp"

namespace qdiff::quantum {
namespace {

using ref::MatX;

// The density matrix (and <Z_q>) after `circuit` under `noise` at these angles (inputs only).
struct Result {
  MatX rho;
  std::vector<double> z;
};
Result run(const Circuit& circuit, const NoiseModel& noise, const std::vector<double>& angles) {
  const DensityMatrixSimulator sim(circuit, noise);
  DensityWorkspace ws;
  sim.forward(angles.data(), ws);
  Result r{ref::unvectorise(ws.rho, circuit.n_qubits()), std::vector<double>(circuit.n_qubits())};
  sim.expectation_z(ws, r.z.data());
  return r;
}

Circuit one_ry() {
  Circuit c(1);
  c.add(GateKind::RY, {0}, {Angle::input(0)});
  return c;
}

TEST(NoiseModel, ValidationNamesTheStrength) {
  NoiseModel m;
  EXPECT_TRUE(m.is_noiseless());
  EXPECT_FALSE(m.has_gate_noise());
  EXPECT_EQ(m.describe(), "noiseless");
  m.two_qubit.depolarizing = 1.5;
  try {
    m.validate();
    FAIL() << "expected an error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("depolarizing_2q"), std::string::npos) << e.what();
  }
  m.two_qubit.depolarizing = 0.0;
  m.one_qubit.dephasing = std::nan("");
  EXPECT_THROW(m.validate(), InvalidArgument);
  m.one_qubit.dephasing = 0.0;
  m.readout_error = -0.1;
  EXPECT_THROW(m.validate(), InvalidArgument);
  m.readout_error = 0.1;
  EXPECT_NO_THROW(m.validate());
  EXPECT_FALSE(m.is_noiseless());
  EXPECT_FALSE(m.has_gate_noise());  // readout error alone
  m.one_qubit.amplitude_damping = 0.01;
  EXPECT_TRUE(m.has_gate_noise());
  // a NoisyCircuit (hence every simulator) refuses an invalid model
  m.one_qubit.amplitude_damping = 2.0;
  EXPECT_THROW(NoisyCircuit(one_ry(), m), InvalidArgument);
}

TEST(NoiseModel, DescribeListsTheStrengths) {
  NoiseModel m;
  m.one_qubit.depolarizing = 0.001;
  m.two_qubit.depolarizing = 0.01;
  m.readout_error = 0.02;
  const std::string s = m.describe();
  EXPECT_NE(s.find("depolarizing 0.001 (1q) 0.01 (2q)"), std::string::npos) << s;
  EXPECT_NE(s.find("readout error 0.02"), std::string::npos) << s;
  EXPECT_EQ(s.find("damping"), std::string::npos) << s;
}

TEST(NoiseModel, DevicePresetFollowsTheDocumentedFormulas) {
  DeviceSpec d;
  d.t1 = 50;
  d.t2 = 30;
  d.gate_time_1q = 0.05;
  d.gate_time_2q = 0.4;
  d.error_1q = 1e-3;
  d.error_2q = 1e-2;
  d.readout_error = 0.02;
  const NoiseModel m = NoiseModel::device(d);
  const double inv_tphi = 1 / 30.0 - 1 / 100.0;
  EXPECT_NEAR(m.one_qubit.amplitude_damping, 1 - std::exp(-0.05 / 50), 1e-15);
  EXPECT_NEAR(m.two_qubit.amplitude_damping, 1 - std::exp(-0.4 / 50), 1e-15);
  EXPECT_NEAR(m.one_qubit.dephasing, 1 - std::exp(-2 * 0.05 * inv_tphi), 1e-15);
  EXPECT_NEAR(m.two_qubit.dephasing, 1 - std::exp(-2 * 0.4 * inv_tphi), 1e-15);
  EXPECT_NEAR(m.one_qubit.depolarizing, 1.5e-3, 1e-15);   // e (d + 1) / d, d = 2
  EXPECT_NEAR(m.two_qubit.depolarizing, 1.25e-2, 1e-15);  // d = 4
  EXPECT_EQ(m.readout_error, 0.02);
  EXPECT_NE(m.describe().find("device T1 50, T2 30"), std::string::npos) << m.describe();

  // T2 = 2 T1: no pure dephasing
  d.t2 = 100;
  EXPECT_EQ(NoiseModel::device(d).one_qubit.dephasing, 0.0);
  DeviceSpec bad = d;
  bad.t2 = 100.5;
  EXPECT_THROW(NoiseModel::device(bad), InvalidArgument);
  bad = d;
  bad.t1 = 0;
  EXPECT_THROW(NoiseModel::device(bad), InvalidArgument);
  bad = d;
  bad.gate_time_2q = -1;
  EXPECT_THROW(NoiseModel::device(bad), InvalidArgument);
  bad = d;
  bad.error_2q = 0.9;  // would need p > 1
  EXPECT_THROW(NoiseModel::device(bad), InvalidArgument);
}

TEST(NoiseModel, DevicePresetDecaysPopulationWithT1AndCoherenceWithT2) {
  // RY(pi/2) makes |+>, then m RZ(0) gates (identities) of duration t: after m + 1 noisy gates
  // P(1) = exp(-(m+1) t / T1) / 2 and |rho_01| = exp(-(m+1) t / T2) / 2.
  DeviceSpec d;
  d.t1 = 20;
  d.t2 = 15;
  d.gate_time_1q = 0.5;
  const int m = 9;
  Circuit c(1);
  c.add(GateKind::RY, {0}, {Angle::constant(std::numbers::pi / 2)});
  for (int k = 0; k < m; ++k) c.add(GateKind::RZ, {0}, {Angle::constant(0.0)});
  std::vector<double> angles(c.n_slots());  // forward() takes bound angles
  c.bind(nullptr, nullptr, angles.data());
  const Result r = run(c, NoiseModel::device(d), angles);
  const double t = (m + 1) * 0.5;
  EXPECT_NEAR(r.rho(1, 1).real(), 0.5 * std::exp(-t / 20), 1e-14);
  EXPECT_NEAR(std::abs(r.rho(0, 1)), 0.5 * std::exp(-t / 15), 1e-14);
}

TEST(NoiseChannels, KrausOperatorsAreComplete) {
  for (ChannelKind kind : {ChannelKind::Depolarizing, ChannelKind::AmplitudeDamping, ChannelKind::PhaseDamping})
    for (double s : {0.0, 0.3, 1.0}) {
      MatX sum = MatX::Zero(2, 2);
      for (const Mat2& k : kraus_1q(kind, s)) sum += ref::to_mat(k).adjoint() * ref::to_mat(k);
      EXPECT_LT((sum - MatX::Identity(2, 2)).norm(), 1e-15) << channel_name(kind) << " " << s;
    }
  EXPECT_THROW(kraus_1q(ChannelKind::AmplitudeDamping, 1.1), InvalidArgument);
}

TEST(NoiseChannels, DepolarizingScalesTheBlochVectorBy1Minus4pOver3) {
  for (double p : {0.0, 0.1, 0.5, 0.75, 1.0})
    for (double theta : {0.3, 1.2, 2.9}) {
      NoiseModel m;
      m.one_qubit.depolarizing = p;
      const Result r = run(one_ry(), m, {theta});
      EXPECT_NEAR(r.z[0], (1 - 4 * p / 3) * std::cos(theta), 1e-14) << p;
      EXPECT_NEAR(r.rho(0, 1).real(), (1 - 4 * p / 3) * std::sin(theta) / 2, 1e-14) << p;
      EXPECT_NEAR(r.rho(0, 1).imag(), 0.0, 1e-15);
    }
}

TEST(NoiseChannels, AmplitudeDampingMovesPopulationToZero) {
  for (double g : {0.0, 0.2, 0.7, 1.0})
    for (double theta : {0.4, 1.9, 3.0}) {
      NoiseModel m;
      m.one_qubit.amplitude_damping = g;
      const Result r = run(one_ry(), m, {theta});
      const double p1 = std::pow(std::sin(theta / 2), 2);
      EXPECT_NEAR(r.rho(1, 1).real(), (1 - g) * p1, 1e-14);
      EXPECT_NEAR(r.rho(0, 0).real(), 1 - (1 - g) * p1, 1e-14);
      EXPECT_NEAR(r.rho(0, 1).real(), std::sqrt(1 - g) * std::sin(theta) / 2, 1e-14);
      EXPECT_NEAR(r.z[0], 1 - 2 * (1 - g) * p1, 1e-14);
    }
}

TEST(NoiseChannels, DephasingKeepsPopulationsAndShrinksCoherences) {
  for (double l : {0.0, 0.3, 1.0})
    for (double theta : {0.4, 1.9}) {
      NoiseModel m;
      m.one_qubit.dephasing = l;
      const Result r = run(one_ry(), m, {theta});
      EXPECT_NEAR(r.rho(1, 1).real(), std::pow(std::sin(theta / 2), 2), 1e-14);
      EXPECT_NEAR(r.rho(0, 1).real(), std::sqrt(1 - l) * std::sin(theta) / 2, 1e-14);
      EXPECT_NEAR(r.rho(1, 0).real(), std::sqrt(1 - l) * std::sin(theta) / 2, 1e-14);
    }
}

TEST(NoiseChannels, ReadoutErrorScalesZBy1Minus2r) {
  for (double e : {0.0, 0.05, 0.5, 1.0}) {
    NoiseModel m;
    m.readout_error = e;
    const Result r = run(one_ry(), m, {1.1});
    EXPECT_NEAR(r.z[0], (1 - 2 * e) * std::cos(1.1), 1e-14);
    EXPECT_NEAR(r.rho(1, 1).real(), std::pow(std::sin(0.55), 2), 1e-14);  // the state itself is untouched
  }
}

TEST(NoiseChannels, TwoQubitDepolarizingScalesEveryPauliBy1Minus16pOver15) {
  // RY(a) q0, RY(b) q1, CNOT(0, 1), then two-qubit depolarizing p: ideal <Z0> = cos a,
  // <Z1> = <Z0 Z1>_before = cos a cos b, <Z0 Z1> = cos b; each scales by 1 - 16p/15.
  Circuit c(2);
  c.add(GateKind::RY, {0}, {Angle::input(0)});
  c.add(GateKind::RY, {1}, {Angle::input(1)});
  c.add(GateKind::CNOT, {0, 1});
  for (double p : {0.0, 0.02, 0.5, 15.0 / 16.0, 1.0}) {
    NoiseModel m;
    m.two_qubit.depolarizing = p;
    const double a = 0.7, b = 2.1, f = 1 - 16 * p / 15;
    const Result r = run(c, m, {a, b});
    EXPECT_NEAR(r.z[0], f * std::cos(a), 1e-14) << p;
    EXPECT_NEAR(r.z[1], f * std::cos(a) * std::cos(b), 1e-14) << p;
    const double zz = (r.rho(0, 0) - r.rho(1, 1) - r.rho(2, 2) + r.rho(3, 3)).real();
    EXPECT_NEAR(zz, f * std::cos(b), 1e-14) << p;
  }
}

TEST(NoisyCircuit, ChannelsFollowTheirGatesAndChainsCoverEveryEvent) {
  NoiseModel m;
  m.one_qubit = {0.01, 0.02, 0.03};
  m.two_qubit = {0.04, 0.0, 0.05};
  const Circuit c = make_ansatz({3, 2, Ansatz::Default, Entangler::Ring});
  const NoisyCircuit nc(c, m);
  // per 1q gate: depolarizing + damping + dephasing; per CNOT: 2q depolarizing + 2 dephasings
  int n1 = 0, n2 = 0;
  for (const Op& op : c.ops()) (op.q1 < 0 ? n1 : n2)++;
  EXPECT_EQ(nc.channels().size(), size_t(3 * n1 + 3 * n2));
  EXPECT_EQ(nc.events().size(), c.ops().size() + nc.channels().size());
  // every event appears in exactly one step
  std::vector<int> seen(nc.events().size(), 0);
  for (const auto& st : nc.steps())
    for (int e : st.events) ++seen[e];
  for (int s : seen) EXPECT_EQ(s, 1);
  // the encoding and first layer of every qubit form its prefix chain
  EXPECT_EQ(nc.n_prefix_steps(), 3);
  EXPECT_NE(nc.describe().find("(prefix)"), std::string::npos);
}

}  // namespace
}  // namespace qdiff::quantum
