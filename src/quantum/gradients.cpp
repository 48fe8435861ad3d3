#include "qdiff/quantum/gradients.hpp"

#include <cmath>
#include <numbers>
#include <vector>

#include "qdiff/core/error.hpp"

namespace qdiff::quantum {

GradMethod grad_method_from_name(const std::string& name) {
  if (name == "adjoint") return GradMethod::Adjoint;
  if (name == "parameter_shift") return GradMethod::ParameterShift;
  throw InvalidArgument("unknown gradient method '" + name + "' (use adjoint or parameter_shift)");
}

const char* grad_method_name(GradMethod m) {
  return m == GradMethod::Adjoint ? "adjoint" : "parameter_shift";
}

template <class A>
double z_objective(const Program& program, const double* angles, const double* c, WorkspaceT<A>& ws) {
  program.forward(angles, ws);
  const int n = program.n_qubits();
  std::vector<double> z(n);
  expectation_z_all(ws.psi.data(), n, z.data());
  double l = 0;
  for (int q = 0; q < n; ++q) l += c[q] * z[q];
  return l;
}

void parameter_shift(const Circuit& circuit, const double* angles,
                     const std::function<double(const double*)>& objective, double* dangles) {
  std::vector<double> a(angles, angles + circuit.n_slots());
  auto shifted = [&](int s, double shift) {
    a[s] = angles[s] + shift;
    const double l = objective(a.data());
    a[s] = angles[s];
    return l;
  };
  constexpr double h = std::numbers::pi / 2;
  const double cp = (std::sqrt(2.0) + 1) / (4 * std::sqrt(2.0)), cm = (std::sqrt(2.0) - 1) / (4 * std::sqrt(2.0));
  for (const Op& op : circuit.ops()) {
    for (int k = 0; k < op.n_angles; ++k) {
      const int s = op.first_slot + k;
      switch (op.kind) {
        case GateKind::RX:
        case GateKind::RY:
        case GateKind::RZ:
        case GateKind::Rot: dangles[s] += 0.5 * (shifted(s, h) - shifted(s, -h)); break;
        case GateKind::CRX:
        case GateKind::CRY:
        case GateKind::CRZ:
          dangles[s] += cp * (shifted(s, h) - shifted(s, -h)) - cm * (shifted(s, 3 * h) - shifted(s, -3 * h));
          break;
        default:
          throw InvalidArgument(std::string("parameter_shift: no shift rule for gate '") + gate_info(op.kind).name + "'");
      }
    }
  }
}

template <class A>
void parameter_shift(const Program& program, const double* angles, const double* c, double* dangles,
                     WorkspaceT<A>& ws) {
  parameter_shift(
      program.circuit(), angles, [&](const double* a) { return z_objective(program, a, c, ws); }, dangles);
}

template <class A>
void angle_gradient(GradMethod method, const Program& program, const double* angles, const double* c,
                    double* dangles, WorkspaceT<A>& ws) {
  switch (method) {
    case GradMethod::Adjoint: program.adjoint(angles, c, dangles, ws); return;
    case GradMethod::ParameterShift: parameter_shift(program, angles, c, dangles, ws); return;
  }
  throw InvalidArgument("angle_gradient: unknown method");
}

#define QDIFF_GRADIENTS_FOR(A)                                                                           \
  template double z_objective(const Program&, const double*, const double*, WorkspaceT<A>&);              \
  template void parameter_shift(const Program&, const double*, const double*, double*, WorkspaceT<A>&);   \
  template void angle_gradient(GradMethod, const Program&, const double*, const double*, double*,         \
                               WorkspaceT<A>&);
QDIFF_GRADIENTS_FOR(cplx)
QDIFF_GRADIENTS_FOR(cplxf)
#undef QDIFF_GRADIENTS_FOR

}  // namespace qdiff::quantum
