#include "qdiff/quantum/noise.hpp"

#include <cmath>
#include <cstdio>

#include "qdiff/core/error.hpp"

namespace qdiff::quantum {
namespace {

// (name, value) of every strength, in the order describe() and validate() use.
struct Strength {
  const char* name;
  double value;
};
std::vector<Strength> strengths(const NoiseModel& m) {
  return {{"depolarizing", m.one_qubit.depolarizing},
          {"depolarizing_2q", m.two_qubit.depolarizing},
          {"amplitude_damping", m.one_qubit.amplitude_damping},
          {"amplitude_damping_2q", m.two_qubit.amplitude_damping},
          {"dephasing", m.one_qubit.dephasing},
          {"dephasing_2q", m.two_qubit.dephasing},
          {"readout_error", m.readout_error}};
}

std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

// "name v1 (1q) v2 (2q)" for a pair of strengths, "" when both are zero.
std::string pair_text(const char* name, double one, double two) {
  if (one == 0.0 && two == 0.0) return "";
  return std::string(name) + " " + fmt(one) + " (1q) " + fmt(two) + " (2q)";
}

void require(bool ok, const std::string& what) {
  if (!ok) throw InvalidArgument("noise device preset: " + what);
}

GateNoise gate_noise(const DeviceSpec& d, double t, double error, int dim) {
  const double inv_tphi = 1.0 / d.t2 - 1.0 / (2.0 * d.t1);  // >= 0 since t2 <= 2 t1
  GateNoise g;
  g.amplitude_damping = -std::expm1(-t / d.t1);
  g.dephasing = -std::expm1(-2.0 * t * inv_tphi);
  g.depolarizing = error * (dim + 1) / dim;
  return g;
}

}  // namespace

NoiseModel NoiseModel::device(const DeviceSpec& d) {
  require(std::isfinite(d.t1) && d.t1 > 0, "t1 must be > 0, got " + fmt(d.t1));
  require(std::isfinite(d.t2) && d.t2 > 0, "t2 must be > 0, got " + fmt(d.t2));
  require(d.t2 <= 2 * d.t1, "t2 = " + fmt(d.t2) + " exceeds 2 * t1 = " + fmt(2 * d.t1) + " (impossible: T2 <= 2 T1)");
  require(std::isfinite(d.gate_time_1q) && d.gate_time_1q >= 0, "gate_time_1q must be >= 0");
  require(std::isfinite(d.gate_time_2q) && d.gate_time_2q >= 0, "gate_time_2q must be >= 0");
  require(d.error_1q >= 0 && d.error_1q <= 2.0 / 3.0, "error_1q must be in [0, 2/3], got " + fmt(d.error_1q));
  require(d.error_2q >= 0 && d.error_2q <= 4.0 / 5.0, "error_2q must be in [0, 4/5], got " + fmt(d.error_2q));
  require(d.readout_error >= 0 && d.readout_error <= 1, "readout_error must be in [0, 1]");
  NoiseModel m;
  m.one_qubit = gate_noise(d, d.gate_time_1q, d.error_1q, 2);
  m.two_qubit = gate_noise(d, d.gate_time_2q, d.error_2q, 4);
  m.readout_error = d.readout_error;
  m.origin = "device T1 " + fmt(d.t1) + ", T2 " + fmt(d.t2) + ", gate times " + fmt(d.gate_time_1q) + " (1q) " +
             fmt(d.gate_time_2q) + " (2q), gate errors " + fmt(d.error_1q) + " (1q) " + fmt(d.error_2q) + " (2q)";
  m.validate();
  return m;
}

void NoiseModel::validate() const {
  for (const Strength& s : strengths(*this))
    if (!(s.value >= 0.0 && s.value <= 1.0))  // also rejects NaN
      throw InvalidArgument(std::string("noise model: ") + s.name + " = " + fmt(s.value) + " is not in [0, 1]");
}

bool NoiseModel::is_noiseless() const { return !has_gate_noise() && readout_error == 0.0; }

bool NoiseModel::has_gate_noise() const {
  for (const Strength& s : strengths(*this))
    if (s.value != 0.0 && std::string(s.name) != "readout_error") return true;
  return false;
}

std::string NoiseModel::describe() const {
  if (is_noiseless()) return "noiseless";
  std::string s;
  auto add = [&](const std::string& part) {
    if (part.empty()) return;
    s += (s.empty() ? "" : "; ") + part;
  };
  add(pair_text("depolarizing", one_qubit.depolarizing, two_qubit.depolarizing));
  add(pair_text("amplitude damping", one_qubit.amplitude_damping, two_qubit.amplitude_damping));
  add(pair_text("dephasing", one_qubit.dephasing, two_qubit.dephasing));
  if (readout_error != 0.0) add("readout error " + fmt(readout_error));
  if (!origin.empty()) s += " [" + origin + "]";
  return s;
}

const char* channel_name(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::Depolarizing: return "depolarizing";
    case ChannelKind::AmplitudeDamping: return "amplitude_damping";
    case ChannelKind::PhaseDamping: return "phase_damping";
  }
  return "?";
}

Mat2 pauli(int k) {
  static const GateKind kinds[] = {GateKind::X, GateKind::Y, GateKind::Z};
  if (k == 0) return {1.0, 0.0, 0.0, 1.0};
  if (k < 0 || k > 3) throw InvalidArgument("pauli: index must be 0..3");
  return matrix_1q(kinds[k - 1], nullptr);
}

std::vector<Mat2> kraus_1q(ChannelKind kind, double s) {
  if (!(s >= 0.0 && s <= 1.0)) throw InvalidArgument(std::string(channel_name(kind)) + ": strength not in [0, 1]");
  switch (kind) {
    case ChannelKind::Depolarizing: {
      std::vector<Mat2> k;
      for (int p = 0; p < 4; ++p) {
        const double w = std::sqrt(p == 0 ? 1.0 - s : s / 3.0);
        Mat2 m = pauli(p);
        for (cplx& x : m) x *= w;
        k.push_back(m);
      }
      return k;
    }
    case ChannelKind::AmplitudeDamping:
      return {Mat2{1.0, 0.0, 0.0, std::sqrt(1.0 - s)}, Mat2{0.0, std::sqrt(s), 0.0, 0.0}};
    case ChannelKind::PhaseDamping:
      return {Mat2{1.0, 0.0, 0.0, std::sqrt(1.0 - s)}, Mat2{0.0, 0.0, 0.0, std::sqrt(s)}};
  }
  throw InvalidArgument("kraus_1q: unknown channel");
}

Mat4 kron_conj(const Mat2& a, const Mat2& b) {
  Mat4 m{};
  for (int a0 = 0; a0 < 2; ++a0)
    for (int a1 = 0; a1 < 2; ++a1)
      for (int b0 = 0; b0 < 2; ++b0)
        for (int b1 = 0; b1 < 2; ++b1) m[(a0 + 2 * a1) * 4 + (b0 + 2 * b1)] = a[a0 * 2 + b0] * std::conj(b[a1 * 2 + b1]);
  return m;
}

Mat4 superoperator(const std::vector<Mat2>& kraus) {
  Mat4 s{};
  for (const Mat2& k : kraus) {
    const Mat4 t = kron_conj(k, k);
    for (int i = 0; i < 16; ++i) s[i] += t[i];
  }
  return s;
}

}  // namespace qdiff::quantum
