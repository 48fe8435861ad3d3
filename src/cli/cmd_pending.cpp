// Subcommands whose implementation has not landed yet: they exist, document their purpose,
// and say clearly that they are not available (exit code 3), with no fake output.
#include "commands.hpp"
#include "qdiff/core/error.hpp"

namespace qdiff::cli {
namespace {
void pending(CLI::App& app, const std::string& name, const std::string& what) {
  auto* cmd = app.add_subcommand(name, what + " [not yet available]");
  cmd->allow_extras();
  cmd->callback([name] { throw NotAvailable("qdiff " + name + " is not yet available in this version"); });
}
}  // namespace

void register_eval(CLI::App& app) { pending(app, "eval", "FID, KID, precision/recall and SSIM of samples"); }
void register_sweep(CLI::App& app) { pending(app, "sweep", "Run a low-data sweep"); }

}  // namespace qdiff::cli
