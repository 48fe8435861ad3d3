// Gradients of L = sum_q c[q] <Z_q> with respect to the angle slots of a circuit, for one state.
// Adjoint differentiation (Jones & Gacon 2020) is Program::adjoint; this file adds the
// parameter-shift rule (what hardware can do) and the method switch used by the evaluator.
#pragma once
#include <functional>
#include <string>

#include "qdiff/quantum/program.hpp"

namespace qdiff::quantum {

enum class GradMethod { Adjoint, ParameterShift };
// "adjoint" | "parameter_shift"; throws InvalidArgument otherwise.
GradMethod grad_method_from_name(const std::string& name);
const char* grad_method_name(GradMethod m);

// L(angles) = sum_q c[q] <Z_q> after the program.   angles: [n_slots], c: [n_qubits]
template <class A>
double z_objective(const Program& program, const double* angles, const double* c, WorkspaceT<A>& ws);

// Parameter shift: for every angle of a Pauli-rotation gate (RX, RY, RZ, each angle of Rot)
//   dL/da = [L(a + pi/2) - L(a - pi/2)] / 2;
// for controlled rotations (CRX, CRY, CRZ), whose generator has eigenvalues {0, +-1/2}, the
// four-term rule dL/da = c+ [L(a + pi/2) - L(a - pi/2)] - c- [L(a + 3pi/2) - L(a - 3pi/2)],
// c+- = (sqrt2 +- 1) / (4 sqrt2).   dangles[s] += dL/dangle_s.   2 or 4 circuit runs per angle.
template <class A>
void parameter_shift(const Program& program, const double* angles, const double* c, double* dangles,
                     WorkspaceT<A>& ws);

// The same rules for any objective L(angles) of the circuit's angle slots (the noisy simulators'
// expectations obey them too, see density_matrix.hpp): dangles[s] += dL/dangle_s.
void parameter_shift(const Circuit& circuit, const double* angles,
                     const std::function<double(const double*)>& objective, double* dangles);

// Either method: dangles[s] += dL/dangle_s. (All three: A = cplx or cplxf, as the workspace.)
template <class A>
void angle_gradient(GradMethod method, const Program& program, const double* angles, const double* c,
                    double* dangles, WorkspaceT<A>& ws);

}  // namespace qdiff::quantum
