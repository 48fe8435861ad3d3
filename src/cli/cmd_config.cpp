// `qdiff config`: validate a config file and print it fully resolved, or document every key.
#include <cstdio>

#include "commands.hpp"
#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"

namespace qdiff::cli {

void register_config(CLI::App& app) {
  auto* cmd = app.add_subcommand("config", "Validate a config and print it fully resolved (or --doc: list every key)");
  struct Opts {
    std::string file;
    std::vector<std::string> sets;
    bool doc = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("file", o->file, "JSON config (omit for the defaults)");
  cmd->add_option("--set", o->sets, "override section.key=value (repeatable)");
  cmd->add_flag("--doc", o->doc, "print the documented schema as a Markdown table");
  cmd->callback([o] {
    if (o->doc) {
      std::fputs(schema_markdown().c_str(), stdout);
      return;
    }
    Config c = o->file.empty() ? Config() : Config::from_file(o->file);
    for (const auto& s : o->sets) c.set(s);
    resolve_options(c);  // the cross-key rules (noise with the statevector, DDIM steps <= T, ...)
    std::printf("%s\n", c.dump().c_str());
  });
}

}  // namespace qdiff::cli
