// The parameter-shift rule (what hardware can do), written against the backend interface: it
// needs only a backend's expectations(), so every backend (statevector, density matrix, ...)
// gets exact gradients of its expectation values from it. Adjoint differentiation is the
// statevector backend's own (Program::adjoint).
#pragma once
#include <cstdint>
#include <functional>

#include "qdiff/quantum/backend.hpp"

namespace qdiff::quantum {

// For L_r = sum_q dz[r, q] <Z_q>_r and every angle of a Pauli-rotation gate (RX, RY, RZ, each
// angle of Rot)
//   dL/da = [L(a + pi/2) - L(a - pi/2)] / 2;
// for controlled rotations (CRX, CRY, CRZ), whose generator has eigenvalues {0, +-1/2}, the
// four-term rule dL/da = c+ [L(a + pi/2) - L(a - pi/2)] - c- [L(a + 3pi/2) - L(a - 3pi/2)],
// c+- = (sqrt2 +- 1) / (4 sqrt2). 2 or 4 circuit runs per angle, all rows' runs batched through
// backend.expectations() (a stochastic backend's runs draw from forks of `rng`).
// angles: [rows, n_slots], dz: [rows, n_qubits]; dangles[r, s] += dL_r/dangle_s.
void parameter_shift(const Backend& backend, const double* angles, int64_t rows, const double* dz, const Rng& rng,
                     double* dangles);

// The same rules for one run and any objective L(angles) of the circuit's angle slots [n_slots]
// (a noisy simulator's exact expectation, or one frozen trajectory's, obeys them too; see
// density_matrix.hpp and trajectories.hpp): dangles[s] += dL/dangle_s.
void parameter_shift(const Circuit& circuit, const double* angles,
                     const std::function<double(const double*)>& objective, double* dangles);

}  // namespace qdiff::quantum
