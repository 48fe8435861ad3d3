// Each subcommand lives in its own file and registers itself on the root app.
#pragma once
#include <CLI/CLI.hpp>

namespace qdiff::cli {

void register_data(CLI::App& app);
void register_data_import(CLI::App& data);  // `data import`, a subcommand of `data`
void register_config(CLI::App& app);
void register_train(CLI::App& app);
void register_sample(CLI::App& app);
void register_eval(CLI::App& app);
void register_features(CLI::App& app);
void register_sweep(CLI::App& app);
void register_noise(CLI::App& app);
void register_circuit(CLI::App& app);
void register_export(CLI::App& app);

}  // namespace qdiff::cli
