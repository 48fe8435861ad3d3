#include "qdiff/quantum/qasm.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>

#include "qdiff/core/error.hpp"

namespace qdiff::quantum {
namespace {

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

std::string qb(int q) { return "q[" + std::to_string(q) + "]"; }

}  // namespace

int circuit_depth(const std::vector<BoundGate>& gates, int n_qubits) {
  std::vector<int> level(n_qubits, 0);
  int depth = 0;
  for (const auto& g : gates) {
    int l = 0;
    for (int q : g.qubits) l = std::max(l, level[q]);
    for (int q : g.qubits) level[q] = l + 1;
    depth = std::max(depth, l + 1);
  }
  return depth;
}

std::string to_qasm(const Circuit& circuit, const double* inputs, const double* weights, int version, bool measure) {
  if (version != 2 && version != 3) throw InvalidArgument("OpenQASM version must be 2 or 3");
  const int n = circuit.n_qubits();
  std::ostringstream o;
  if (version == 2) o << "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[" << n << "];\ncreg c[" << n << "];\n";
  else o << "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[" << n << "] q;\nbit[" << n << "] c;\n";
  for (const auto& g : circuit.bound_gates(inputs, weights)) {
    if (g.name == "unitary1" || g.name == "unitary2")
      throw NotAvailable("OpenQASM export of arbitrary unitaries is not supported");
    if (g.name == "rot") {
      o << "rz(" << num(g.angles[0]) << ") " << qb(g.qubits[0]) << ";\n";
      o << "ry(" << num(g.angles[1]) << ") " << qb(g.qubits[0]) << ";\n";
      o << "rz(" << num(g.angles[2]) << ") " << qb(g.qubits[0]) << ";\n";
      continue;
    }
    o << g.name;
    if (!g.angles.empty()) {
      o << "(";
      for (size_t i = 0; i < g.angles.size(); ++i) o << (i ? "," : "") << num(g.angles[i]);
      o << ")";
    }
    o << " ";
    for (size_t i = 0; i < g.qubits.size(); ++i) o << (i ? "," : "") << qb(g.qubits[i]);
    o << ";\n";
  }
  if (measure) {
    if (version == 2) o << "measure q -> c;\n";
    else o << "c = measure q;\n";
  }
  return o.str();
}

namespace {

double parse_angle(const std::string& s, int line) {
  // number, pi, -pi, number*pi, pi/number, number*pi/number
  static const std::regex re(R"(^\s*(-)?\s*([0-9.eE+-]+)?\s*\*?\s*(pi)?\s*(/\s*([0-9.eE+-]+))?\s*$)");
  std::smatch m;
  if (!std::regex_match(s, m, re) || (!m[2].matched && !m[3].matched))
    throw InvalidArgument("OpenQASM line " + std::to_string(line) + ": cannot read angle '" + s + "'");
  double v = m[2].matched ? std::stod(m[2].str()) : 1.0;
  if (m[3].matched) v *= 3.14159265358979323846;
  if (m[5].matched) v /= std::stod(m[5].str());
  return m[1].matched ? -v : v;
}

}  // namespace

Circuit from_qasm(const std::string& text) {
  std::istringstream in(text);
  std::string raw;
  int line_no = 0, n = -1;
  std::vector<std::tuple<GateKind, std::vector<int>, std::vector<double>>> gates;
  static const std::regex decl2(R"(^qreg\s+q\s*\[\s*(\d+)\s*\]$)"), decl3(R"(^qubit\s*\[\s*(\d+)\s*\]\s*q$)");
  static const std::regex gate(R"(^([a-z]+)\s*(\(([^)]*)\))?\s+(.*)$)"), qref(R"(^\s*q\s*\[\s*(\d+)\s*\]\s*$)");
  while (std::getline(in, raw)) {
    ++line_no;
    std::string s = raw.substr(0, raw.find("//"));
    s.erase(0, s.find_first_not_of(" \t\r"));
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    if (s.empty()) continue;
    if (s.back() != ';') throw InvalidArgument("OpenQASM line " + std::to_string(line_no) + ": missing ';'");
    s.pop_back();
    std::smatch m;
    if (s.rfind("OPENQASM", 0) == 0 || s.rfind("include", 0) == 0 || s.rfind("creg", 0) == 0 ||
        s.rfind("bit", 0) == 0 || s.rfind("measure", 0) == 0 || s.rfind("c = measure", 0) == 0 ||
        s.rfind("barrier", 0) == 0)
      continue;
    if (std::regex_match(s, m, decl2) || std::regex_match(s, m, decl3)) {
      n = std::stoi(m[1].str());
      continue;
    }
    if (!std::regex_match(s, m, gate))
      throw InvalidArgument("OpenQASM line " + std::to_string(line_no) + ": cannot read '" + raw + "'");
    const std::string name = m[1].str();
    GateKind kind;
    try {
      kind = gate_kind_from_name(name);
    } catch (const InvalidArgument&) {
      throw InvalidArgument("OpenQASM line " + std::to_string(line_no) + ": unsupported gate '" + name + "'");
    }
    std::vector<double> angles;
    if (m[3].matched) {
      std::stringstream ps(m[3].str());
      std::string a;
      while (std::getline(ps, a, ',')) angles.push_back(parse_angle(a, line_no));
    }
    std::vector<int> qubits;
    std::stringstream qs(m[4].str());
    std::string a;
    while (std::getline(qs, a, ',')) {
      std::smatch qm;
      if (!std::regex_match(a, qm, qref))
        throw InvalidArgument("OpenQASM line " + std::to_string(line_no) + ": bad qubit '" + a + "'");
      qubits.push_back(std::stoi(qm[1].str()));
    }
    const auto& info = gate_info(kind);
    if (static_cast<int>(qubits.size()) != info.n_qubits || static_cast<int>(angles.size()) != info.n_angles)
      throw InvalidArgument("OpenQASM line " + std::to_string(line_no) + ": wrong operands for '" + name + "'");
    gates.emplace_back(kind, qubits, angles);
  }
  if (n < 1) throw InvalidArgument("OpenQASM: no qubit register declared");
  Circuit c(n);
  for (auto& [kind, qubits, angles] : gates) {
    for (int q : qubits)
      if (q >= n) throw InvalidArgument("OpenQASM: qubit " + std::to_string(q) + " outside the register");
    std::vector<Angle> as;
    for (double v : angles) as.push_back(Angle::constant(v));
    c.add(kind, qubits, as);
  }
  return c;
}

}  // namespace qdiff::quantum
