// `qdiff circuit`: the trained bottleneck circuit of a checkpoint, printed and exported as OpenQASM.
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "commands.hpp"
#include "options.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/hybrid/model.hpp"
#include "qdiff/hybrid/quantum_branch.hpp"
#include "qdiff/quantum/ansatz.hpp"
#include "qdiff/quantum/backend.hpp"
#include "qdiff/quantum/qasm.hpp"

namespace qdiff::cli {

void register_circuit(CLI::App& app) {
  auto* cmd = app.add_subcommand("circuit", "Print the trained bottleneck circuit of a checkpoint; export it as OpenQASM");
  struct Opts {
    std::string ckpt, qasm;
    std::vector<double> angles;
    int version = 2;
    bool raw = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--ckpt", o->ckpt, "checkpoint with a quantum bottleneck")->required();
  cmd->add_option("--qasm", o->qasm, "write OpenQASM to this file");
  cmd->add_option("--qasm-version", o->version, "OpenQASM version 2 or 3")->capture_default_str()->transform(integer_in(2, 3));
  cmd->add_option("--angles", o->angles,
                  "encoding angles, comma-separated (default pi/2 each: the angle of a zero pre-activation)")
      ->delimiter(',')
      ->transform(any_number());
  cmd->add_flag("--raw", o->raw, "use the raw weights instead of the EMA weights");
  cmd->callback([o] {
    auto lm = hybrid::load_model(o->ckpt, !o->raw);
    if (lm.options.model.bottleneck != BottleneckKind::Quantum)
      throw InvalidArgument(o->ckpt + ": this model has a " + mode_name(lm.options.model.bottleneck) +
                            " bottleneck, no circuit");
    const auto spec = hybrid::quantum_branch_spec(lm.options.quantum, 0);
    const quantum::Circuit circuit = quantum::make_ansatz(spec.ansatz);
    const auto wv = lm.model->registry().view("bottleneck.circuit.weight");
    const std::vector<double> w(wv.begin(), wv.end());
    std::vector<double> x(circuit.n_inputs(), std::numbers::pi / 2);
    if (!o->angles.empty()) {
      if (static_cast<int>(o->angles.size()) != circuit.n_inputs())
        throw InvalidArgument("option '--angles': this circuit needs " + std::to_string(circuit.n_inputs()) +
                              " values, got " + std::to_string(o->angles.size()));
      x = o->angles;
    }
    const auto gates = circuit.bound_gates(x.data(), w.data());
    std::printf("bottleneck circuit of %s (%s weights, step %lld)\n", o->ckpt.c_str(), o->raw ? "raw" : "EMA",
                static_cast<long long>(lm.checkpoint.meta.value("step", int64_t(0))));
    std::printf("qubits %d, layers %d, ansatz %s, entangler %s, %d weights, %zu gates, depth %d\n",
                circuit.n_qubits(), spec.ansatz.n_layers, mode_name(spec.ansatz.ansatz).c_str(),
                mode_name(spec.ansatz.entangler).c_str(),
                circuit.n_weights(), gates.size(), quantum::circuit_depth(gates, circuit.n_qubits()));
    if (!quantum::ansatz_weights_can_train(spec.ansatz.ansatz))
      std::printf("note: this ansatz's weights cannot change <Z_i> (they did not train)\n");
    std::printf("%s", circuit.to_string(x.data(), w.data()).c_str());
    std::vector<double> z(circuit.n_qubits());
    quantum::make_backend(spec.backend, circuit)->forward(x.data(), 1, w.data(), z.data());
    std::printf("<Z_i> at these angles:");
    for (double v : z) std::printf(" %.4f", v);
    std::printf("\n");
    if (!o->qasm.empty()) {
      write_file_atomic(o->qasm, quantum::to_qasm(circuit, x.data(), w.data(), o->version));
      spdlog::info("wrote {} (OpenQASM {})", o->qasm, o->version);
    }
  });
}

}  // namespace qdiff::cli
