// Gate kinds and their matrices. A gate is named by a GateKind, acts on 1 or 2 qubits and has
// 0..3 real angles. Matrices are row-major; for two-qubit gates on (q0, q1) the local basis index
// is b0 + 2*b1 (b0 = bit of the first qubit, i.e. the control for controlled gates).
// Qubit q is bit q of a basis-state index (little-endian, like Qulacs).
#pragma once
#include <array>
#include <complex>
#include <string>

namespace qdiff::quantum {

using cplx = std::complex<double>;   // amplitudes (default precision) and all matrices
using cplxf = std::complex<float>;   // amplitudes of the float simulator (kernels.hpp)
using Mat2 = std::array<cplx, 4>;   // [2,2] row-major
using Mat4 = std::array<cplx, 16>;  // [4,4] row-major

enum class GateKind {
  H, X, Y, Z, S, T,          // fixed single-qubit gates
  RX, RY, RZ,                // exp(-i angle/2 P)
  Rot,                       // Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)
  Unitary1,                  // arbitrary 2x2 unitary (matrix stored in the circuit op)
  CNOT, CZ, SWAP,            // fixed two-qubit gates (CNOT/CZ: first qubit is the control)
  CRX, CRY, CRZ,             // controlled rotations (first qubit is the control)
  Unitary2,                  // arbitrary 4x4 unitary
};

struct GateInfo {
  const char* name;   // lower-case, OpenQASM 2 spelling where one exists ("cx", "crz", "rot")
  int n_qubits;       // 1 or 2
  int n_angles;       // 0..3
  bool controlled;    // acts as |1><1| (x) target matrix on the second qubit
};

const GateInfo& gate_info(GateKind kind);
// Parses a name as printed by gate_info (also "cnot"); throws InvalidArgument when unknown.
GateKind gate_kind_from_name(const std::string& name);

// Single-qubit matrix of a fixed or rotation gate; Unitary1 is not handled here (throws).
Mat2 matrix_1q(GateKind kind, const double* angles);
// d matrix_1q / d angles[j], exact.
Mat2 dmatrix_1q(GateKind kind, const double* angles, int j);
// Target matrix of a controlled gate (CNOT: X, CZ: Z, CRX: RX(angle), ...), and its derivative.
Mat2 target_matrix(GateKind kind, const double* angles);
Mat2 dtarget_matrix(GateKind kind, const double* angles, int j);
// Full 4x4 matrix of any two-qubit gate except Unitary2 (throws).
Mat4 matrix_2q(GateKind kind, const double* angles);

// Small dense helpers.
Mat2 mul(const Mat2& a, const Mat2& b);  // a*b
Mat2 adjoint(const Mat2& a);
Mat4 mul(const Mat4& a, const Mat4& b);
Mat4 adjoint(const Mat4& a);
// Throws InvalidArgument unless a^dagger a = 1 within tol.
void check_unitary(const cplx* m, int dim, double tol = 1e-10);

}  // namespace qdiff::quantum
