// `qdiff sweep`: a low-data grid of train -> sample -> eval runs, resumable, aggregated over seeds
// with the arms paired by seed; `--protocol DIR` reports the protocol measurement instead.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "interrupt.hpp"
#include "qdiff/core/error.hpp"
#include "qdiff/sweep/status.hpp"
#include "qdiff/sweep/sweep.hpp"

namespace qdiff::cli {
void register_sweep(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep", "Run a sweep (e.g. configs/sweeps/lowdata.json): train, sample, evaluate every cell");
  struct Opts {
    std::string config, out, protocol, status, cells;
    bool quick = false, aggregate_only = false, list = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config,-c", o->config, "sweep file (required unless --protocol or --status; with --status it gives the ids of cells not started)");
  cmd->add_option("--out,-o", o->out, "output directory (default: results/<sweep name>; with --protocol: the protocol directory)");
  cmd->add_flag("--quick", o->quick, "tiny model and a small grid: finishes in minutes (for checks and tests)");
  cmd->add_flag("--aggregate-only", o->aggregate_only,
                "only rebuild results.csv/results.md/paired.csv/figures from finished cells");
  cmd->add_flag("--list", o->list, "print the cells and exit");
  cmd->add_option("--cells", o->cells,
                  "run (or --list) only the cells whose id matches this glob, e.g. 'n=25_*_seed=0' or one id: a "
                  "committed cell rerun from its sweep file gives the same numbers with the same thread count; "
                  "the tables still cover every finished cell");
  cmd->add_option("--protocol", o->protocol,
                  "report the protocol measurement of scripts/study_protocol.sh in this directory: FID-vs-steps figures "
                  "(PNG, SVG) and protocol.md");
  cmd->add_option("--status", o->status, "where the sweep in this output directory stands: cells done, failed, running, left, ETA");
  cmd->footer("Finished cells are skipped, so a killed sweep continues where it stopped (a cell interrupted while training "
              "continues from its latest checkpoint); failed cells, and cells finished under a different config, run again. "
              "Ctrl-C checkpoints the training cell and stops.");
  cmd->callback([o] {
    if (!o->protocol.empty()) {
      sweep::protocol_report(o->protocol, o->out.empty() ? o->protocol : o->out);
      return;
    }
    if (!o->status.empty()) {
      std::unique_ptr<sweep::SweepPlan> plan;
      if (!o->config.empty()) plan = std::make_unique<sweep::SweepPlan>(sweep::load_plan(o->config, o->quick));
      std::fputs(sweep::format_status(sweep::sweep_status(o->status, plan.get())).c_str(), stdout);
      return;
    }
    if (o->config.empty()) throw InvalidArgument("sweep needs --config FILE (or --protocol DIR, or --status DIR)");
    const sweep::SweepPlan plan = sweep::load_plan(o->config, o->quick);
    const std::string out = o->out.empty() ? "results/" + plan.name : o->out;
    if (o->list) {
      for (const auto& c : plan.cells)
        if (sweep::cell_selected(o->cells, c.id)) std::printf("%s\n", c.id.c_str());
      return;
    }
    if (o->aggregate_only) return sweep::aggregate(plan, out);
    sweep::RunOptions opt;
    opt.should_stop = StopOnInterrupt::requested;
    opt.cells = o->cells;
    const StopOnInterrupt stop_on_ctrl_c;
    sweep::run_sweep(plan, out, opt);
  });
}

}  // namespace qdiff::cli
