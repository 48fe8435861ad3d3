// Gate matrices and their exact derivatives. For a Pauli rotation R(a) = exp(-i a/2 P),
// dR/da = R(a + pi) / 2, which is how every derivative here is formed.
#include "qdiff/quantum/gates.hpp"

#include <cmath>
#include <numbers>

#include "qdiff/core/error.hpp"

namespace qdiff::quantum {
namespace {

constexpr double kPi = std::numbers::pi;
const cplx I1{0.0, 1.0};

Mat2 rx(double a) {
  const double c = std::cos(a / 2), s = std::sin(a / 2);
  return {cplx{c, 0}, cplx{0, -s}, cplx{0, -s}, cplx{c, 0}};
}
Mat2 ry(double a) {
  const double c = std::cos(a / 2), s = std::sin(a / 2);
  return {cplx{c, 0}, cplx{-s, 0}, cplx{s, 0}, cplx{c, 0}};
}
Mat2 rz(double a) {
  return {std::polar(1.0, -a / 2), 0.0, 0.0, std::polar(1.0, a / 2)};
}
Mat2 scaled(Mat2 m, double f) {
  for (cplx& v : m) v *= f;
  return m;
}
// Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi); `d` selects the factor to differentiate.
Mat2 rot(const double* a, int d) {
  Mat2 f0 = d == 0 ? scaled(rz(a[0] + kPi), 0.5) : rz(a[0]);
  Mat2 f1 = d == 1 ? scaled(ry(a[1] + kPi), 0.5) : ry(a[1]);
  Mat2 f2 = d == 2 ? scaled(rz(a[2] + kPi), 0.5) : rz(a[2]);
  return mul(f2, mul(f1, f0));
}

const GateInfo kInfo[] = {
    {"h", 1, 0, false},    {"x", 1, 0, false},    {"y", 1, 0, false},   {"z", 1, 0, false},
    {"s", 1, 0, false},    {"t", 1, 0, false},    {"rx", 1, 1, false},  {"ry", 1, 1, false},
    {"rz", 1, 1, false},   {"rot", 1, 3, false},  {"unitary1", 1, 0, false},
    {"cx", 2, 0, true},    {"cz", 2, 0, true},    {"swap", 2, 0, false},
    {"crx", 2, 1, true},   {"cry", 2, 1, true},   {"crz", 2, 1, true},  {"unitary2", 2, 0, false},
};
constexpr int kNumKinds = sizeof(kInfo) / sizeof(kInfo[0]);

}  // namespace

const GateInfo& gate_info(GateKind kind) {
  const int k = static_cast<int>(kind);
  if (k < 0 || k >= kNumKinds) throw InvalidArgument("gate_info: unknown gate kind " + std::to_string(k));
  return kInfo[k];
}

GateKind gate_kind_from_name(const std::string& name) {
  if (name == "cnot") return GateKind::CNOT;
  for (int k = 0; k < kNumKinds; ++k)
    if (name == kInfo[k].name) return static_cast<GateKind>(k);
  throw InvalidArgument("unknown gate '" + name + "'");
}

Mat2 matrix_1q(GateKind kind, const double* a) {
  const double r = 1.0 / std::sqrt(2.0);
  switch (kind) {
    case GateKind::H: return {r, r, r, -r};
    case GateKind::X: return {0.0, 1.0, 1.0, 0.0};
    case GateKind::Y: return {0.0, -I1, I1, 0.0};
    case GateKind::Z: return {1.0, 0.0, 0.0, -1.0};
    case GateKind::S: return {1.0, 0.0, 0.0, I1};
    case GateKind::T: return {1.0, 0.0, 0.0, std::polar(1.0, kPi / 4)};
    case GateKind::RX: return rx(a[0]);
    case GateKind::RY: return ry(a[0]);
    case GateKind::RZ: return rz(a[0]);
    case GateKind::Rot: return rot(a, -1);
    default: break;
  }
  throw InvalidArgument(std::string("matrix_1q: no fixed matrix for gate '") + gate_info(kind).name + "'");
}

Mat2 dmatrix_1q(GateKind kind, const double* a, int j) {
  if (j < 0 || j >= gate_info(kind).n_angles)
    throw InvalidArgument(std::string("dmatrix_1q: gate '") + gate_info(kind).name + "' has no angle " + std::to_string(j));
  switch (kind) {
    case GateKind::RX: return scaled(rx(a[0] + kPi), 0.5);
    case GateKind::RY: return scaled(ry(a[0] + kPi), 0.5);
    case GateKind::RZ: return scaled(rz(a[0] + kPi), 0.5);
    case GateKind::Rot: return rot(a, j);
    default: break;
  }
  throw InvalidArgument(std::string("dmatrix_1q: not a single-qubit rotation: '") + gate_info(kind).name + "'");
}

Mat2 target_matrix(GateKind kind, const double* a) {
  switch (kind) {
    case GateKind::CNOT: return matrix_1q(GateKind::X, a);
    case GateKind::CZ: return matrix_1q(GateKind::Z, a);
    case GateKind::CRX: return rx(a[0]);
    case GateKind::CRY: return ry(a[0]);
    case GateKind::CRZ: return rz(a[0]);
    default: break;
  }
  throw InvalidArgument(std::string("target_matrix: not a controlled gate: '") + gate_info(kind).name + "'");
}

Mat2 dtarget_matrix(GateKind kind, const double* a, int j) {
  switch (kind) {
    case GateKind::CRX: return dmatrix_1q(GateKind::RX, a, j);
    case GateKind::CRY: return dmatrix_1q(GateKind::RY, a, j);
    case GateKind::CRZ: return dmatrix_1q(GateKind::RZ, a, j);
    default: break;
  }
  throw InvalidArgument(std::string("dtarget_matrix: not a controlled rotation: '") + gate_info(kind).name + "'");
}

Mat4 matrix_2q(GateKind kind, const double* a) {
  Mat4 m{};
  if (kind == GateKind::SWAP) {
    m[0 * 4 + 0] = m[1 * 4 + 2] = m[2 * 4 + 1] = m[3 * 4 + 3] = 1.0;
    return m;
  }
  if (!gate_info(kind).controlled)
    throw InvalidArgument(std::string("matrix_2q: no fixed matrix for gate '") + gate_info(kind).name + "'");
  // local index b0 + 2*b1 with b0 the control: control=1 rows/cols are 1 and 3.
  const Mat2 t = target_matrix(kind, a);
  m[0 * 4 + 0] = m[2 * 4 + 2] = 1.0;
  m[1 * 4 + 1] = t[0];
  m[1 * 4 + 3] = t[1];
  m[3 * 4 + 1] = t[2];
  m[3 * 4 + 3] = t[3];
  return m;
}

Mat2 mul(const Mat2& a, const Mat2& b) {
  return {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
          a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]};
}
Mat2 adjoint(const Mat2& a) { return {std::conj(a[0]), std::conj(a[2]), std::conj(a[1]), std::conj(a[3])}; }
Mat4 mul(const Mat4& a, const Mat4& b) {
  Mat4 c{};
  for (int i = 0; i < 4; ++i)
    for (int k = 0; k < 4; ++k)
      for (int j = 0; j < 4; ++j) c[i * 4 + j] += a[i * 4 + k] * b[k * 4 + j];
  return c;
}
Mat4 adjoint(const Mat4& a) {
  Mat4 c{};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) c[i * 4 + j] = std::conj(a[j * 4 + i]);
  return c;
}

void check_unitary(const cplx* m, int dim, double tol) {
  for (int i = 0; i < dim; ++i)
    for (int j = 0; j < dim; ++j) {
      cplx s = 0.0;
      for (int k = 0; k < dim; ++k) s += std::conj(m[k * dim + i]) * m[k * dim + j];
      if (std::abs(s - (i == j ? 1.0 : 0.0)) > tol)
        throw InvalidArgument("matrix is not unitary (|U^dagger U - 1| > " + std::to_string(tol) + ")");
    }
}

}  // namespace qdiff::quantum
