// qdiff command-line entry point. The CLI only parses, validates and calls the library;
// every qdiff::Error becomes one clear line on stderr and a non-zero exit.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "options.hpp"
#include "qdiff/core/distributed.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/core/logging.hpp"
#include "qdiff/core/version.hpp"

namespace {

// "qdiff frobnicate": CLI11 only says that a subcommand is required; name the word it did not know.
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  std::string names;
  bool known = false;
  std::string word;
  for (int i = 1; i < argc && word.empty(); ++i) {
    const std::string a = argv[i];
    if (a == "--log-level") ++i;  // its value
    else if (!a.empty() && a[0] != '-') word = a;
  }
  for (const CLI::App* s : app.get_subcommands([](CLI::App*) { return true; })) {
    names += (names.empty() ? "" : ", ") + s->get_name();
    known = known || s->get_name() == word;
  }
  return word.empty() || known ? "" : "unknown command '" + word + "' (commands: " + names + ")";
}

int run(int argc, char** argv) {
  qdiff::set_log_level("info");  // the one-line format, for errors found while parsing too
  CLI::App app{"qdiff: hybrid quantum-classical diffusion models for small images"};
  app.set_version_flag("--version", qdiff::build_info());
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->transform(qdiff::cli::one_of({"trace", "debug", "info", "warn", "error", "off"}));
  app.require_subcommand(1);
  app.fallthrough();  // global options (--log-level) may follow the subcommand
  app.parse_complete_callback([&] {
    // Under mpirun only the first process logs below warnings.
    qdiff::set_log_level(qdiff::Distributed::is_root() || log_level == "off" || log_level == "error" ? log_level : "warn");
  });

  qdiff::cli::register_data(app);
  qdiff::cli::register_config(app);
  qdiff::cli::register_train(app);
  qdiff::cli::register_sample(app);
  qdiff::cli::register_eval(app);
  qdiff::cli::register_features(app);
  qdiff::cli::register_sweep(app);
  qdiff::cli::register_noise(app);
  qdiff::cli::register_circuit(app);
  qdiff::cli::register_export(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);  // --help, --version
    const std::string unknown = unknown_command(app, argc, argv);
    spdlog::error("{}", unknown.empty() ? qdiff::cli::parse_error_line(e) : unknown);
    return 1;
  } catch (const qdiff::NotAvailable& e) {
    spdlog::error("{}", e.what());
    return 3;
  } catch (const qdiff::Error& e) {
    spdlog::error("{}", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory");
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return 2;
  }
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  qdiff::Distributed::init(&argc, &argv);
  const int rc = run(argc, argv);
  if (rc != 0 && qdiff::Distributed::size() > 1) std::_Exit(rc);  // a failed process must not wait in a collective
  qdiff::Distributed::finalize();
  return rc;
}
