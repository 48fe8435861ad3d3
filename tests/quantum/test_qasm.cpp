// OpenQASM export round trip: the re-imported circuit gives the simulator's <Z_i>.
#include <gtest/gtest.h>

#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/statevector_backend.hpp"
#include "qdiff/quantum/qasm.hpp"
#include "qdiff/quantum/state.hpp"

using namespace qdiff;
using namespace qdiff::quantum;

namespace {
std::vector<double> z_of(const Circuit& c) {
  StateVector s(c.n_qubits());
  s.set_zero_state();
  std::vector<double> angles(c.n_slots());
  c.bind(nullptr, nullptr, angles.data());
  c.apply(s, angles.data());
  return s.expectation_z();
}
}  // namespace

TEST(Qasm, RoundTripMatchesSimulatorForEveryAnsatz) {
  Rng rng(4);
  for (const char* ansatz : {"default", "paper", "strong"})
    for (int version : {2, 3}) {
      const Circuit c = make_ansatz({5, 2, parse_mode<Ansatz>(ansatz), Entangler::Ring});
      std::vector<double> x(c.n_inputs()), w(c.n_weights()), z(c.n_qubits());
      for (auto& v : x) v = 3.0 * rng.uniform();
      for (auto& v : w) v = 6.0 * rng.uniform() - 3.0;
      StatevectorBackend<cplx>(make_ansatz({5, 2, parse_mode<Ansatz>(ansatz), Entangler::Ring})).forward(x.data(), 1, w.data(), z.data());
      const std::string text = to_qasm(c, x.data(), w.data(), version);
      EXPECT_NE(text.find(version == 2 ? "OPENQASM 2.0;" : "OPENQASM 3.0;"), std::string::npos);
      const auto back = z_of(from_qasm(text));
      for (int q = 0; q < c.n_qubits(); ++q) EXPECT_NEAR(back[q], z[q], 1e-12) << ansatz << " v" << version << " q" << q;
    }
}

TEST(Qasm, ImporterAcceptsPiAndRejectsGarbage) {
  const auto c = from_qasm("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nry(pi/2) q[0]; // comment\n");
  EXPECT_NEAR(z_of(c)[0], 0.0, 1e-12);
  const auto d = from_qasm("OPENQASM 2.0;\nqreg q[1];\nrx(-1*pi) q[0];\n");
  EXPECT_NEAR(z_of(d)[0], -1.0, 1e-12);
  EXPECT_THROW(from_qasm("qreg q[1];\nfoo q[0];\n"), InvalidArgument);
  EXPECT_THROW(from_qasm("qreg q[1];\nrx(1) q[0]\n"), InvalidArgument);
  EXPECT_THROW(from_qasm("qreg q[1];\ncx q[0],q[3];\n"), InvalidArgument);
  EXPECT_THROW(from_qasm("rx(1) q[0];\n"), InvalidArgument);
}

TEST(Qasm, DepthCountsLayers) {
  const Circuit c = make_ansatz({3, 1, Ansatz::Default, Entangler::Chain});
  std::vector<double> x(3, 0.1), w(c.n_weights(), 0.2);
  // RY encode (1) + RZ, RY (2) + CNOT(0,1), CNOT(1,2) (2) = 5
  EXPECT_EQ(circuit_depth(c.bound_gates(x.data(), w.data()), 3), 5);
}
