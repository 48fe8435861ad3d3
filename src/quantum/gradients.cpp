#include "qdiff/quantum/gradients.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "qdiff/core/error.hpp"

namespace qdiff::quantum {
namespace {

// One angle's rule: runs at a +- pi/2, and for controlled rotations also at a +- 3 pi/2.
struct ShiftRule {
  int slot;
  bool four_term;
  int runs() const { return four_term ? 4 : 2; }
};

std::vector<ShiftRule> shift_rules(const Circuit& circuit) {
  std::vector<ShiftRule> rules;
  for (const Op& op : circuit.ops())
    for (int k = 0; k < op.n_angles; ++k) {
      switch (op.kind) {
        case GateKind::RX:
        case GateKind::RY:
        case GateKind::RZ:
        case GateKind::Rot: rules.push_back({op.first_slot + k, false}); break;
        case GateKind::CRX:
        case GateKind::CRY:
        case GateKind::CRZ: rules.push_back({op.first_slot + k, true}); break;
        default:
          throw InvalidArgument(std::string("parameter_shift: no shift rule for gate '") + gate_info(op.kind).name + "'");
      }
    }
  return rules;
}

// The shifts of a rule's runs, in order, and the rule's combination of their objectives.
constexpr double kHalfPi = std::numbers::pi / 2;
constexpr double kShifts[4] = {kHalfPi, -kHalfPi, 3 * kHalfPi, -3 * kHalfPi};
double combine(const ShiftRule& rule, const double* l) {
  const double cp = (std::sqrt(2.0) + 1) / (4 * std::sqrt(2.0)), cm = (std::sqrt(2.0) - 1) / (4 * std::sqrt(2.0));
  return rule.four_term ? cp * (l[0] - l[1]) - cm * (l[2] - l[3]) : 0.5 * (l[0] - l[1]);
}

}  // namespace

void parameter_shift(const Circuit& circuit, const double* angles,
                     const std::function<double(const double*)>& objective, double* dangles) {
  std::vector<double> a(angles, angles + circuit.n_slots());
  for (const ShiftRule& rule : shift_rules(circuit)) {
    double l[4];
    for (int k = 0; k < rule.runs(); ++k) {
      a[rule.slot] = angles[rule.slot] + kShifts[k];
      l[k] = objective(a.data());
    }
    a[rule.slot] = angles[rule.slot];
    dangles[rule.slot] += combine(rule, l);
  }
}

void parameter_shift(const Backend& backend, const double* angles, int64_t rows, const double* dz, const Rng& rng,
                     double* dangles) {
  const Circuit& circuit = backend.circuit();
  const int ns = circuit.n_slots(), nq = circuit.n_qubits();
  const std::vector<ShiftRule> rules = shift_rules(circuit);
  int64_t m = 0;  // shifted runs per row
  for (const ShiftRule& rule : rules) m += rule.runs();
  if (m == 0 || rows == 0) return;
  // Rows in blocks, so that the shifted angles stay within a few MB however large the batch.
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 19) / (m * ns));
  std::vector<double> shifted, z, l(static_cast<size_t>(m));
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    const int64_t nr = std::min(block, rows - r0);
    shifted.resize(static_cast<size_t>(nr * m * ns));  // [nr, m, ns]: the angles of every run
    z.resize(static_cast<size_t>(nr * m * nq));        // [nr, m, nq]
    double* a = shifted.data();
    for (int64_t r = 0; r < nr; ++r)
      for (const ShiftRule& rule : rules)
        for (int k = 0; k < rule.runs(); ++k, a += ns) {
          std::copy_n(angles + (r0 + r) * ns, ns, a);
          a[rule.slot] += kShifts[k];
        }
    backend.expectations(shifted.data(), nr * m, rng.fork(static_cast<uint64_t>(r0)), z.data());
    for (int64_t r = 0; r < nr; ++r) {
      const double* c = dz + (r0 + r) * nq;
      for (int64_t j = 0; j < m; ++j) {  // l[j] = L_r of run j
        double lj = 0;
        for (int q = 0; q < nq; ++q) lj += c[q] * z[(r * m + j) * nq + q];
        l[j] = lj;
      }
      double* d = dangles + (r0 + r) * ns;
      const double* lr = l.data();
      for (const ShiftRule& rule : rules) {
        d[rule.slot] += combine(rule, lr);
        lr += rule.runs();
      }
    }
  }
}

}  // namespace qdiff::quantum
