// `qdiff train`: trains a diffusion model from a JSON config (see diffusion/trainer.hpp).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "commands.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/core/progress.hpp"
#include "qdiff/diffusion/trainer.hpp"
#include "qdiff/nn/checkpoint.hpp"

namespace qdiff::cli {
void register_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a diffusion model from a JSON config");
  struct Opts {
    std::string config, out, resume;
    std::vector<std::string> sets;
    int64_t steps = 0, seed = -1, threads = -1;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config,-c", o->config, "JSON config (e.g. configs/mnist.json); default: the checkpoint's with --resume");
  cmd->add_option("--set", o->sets, "override section.key=value (repeatable)");
  cmd->add_option("--out,-o", o->out, "output directory (default: runs/<config name>)");
  cmd->add_option("--steps", o->steps, "shortcut for --set train.steps=N")->transform(like_key("train.steps"));
  cmd->add_option("--seed", o->seed, "shortcut for --set train.seed=S")->transform(like_key("train.seed"));
  cmd->add_option("--threads", o->threads, "OpenMP threads (0 = all cores)")->transform(like_key("train.threads"));
  cmd->add_option("--resume", o->resume, "continue from this checkpoint (bit-identical to an uninterrupted run)");
  cmd->footer("Ctrl-C saves a checkpoint and exits; NaN/Inf stops and keeps the last good checkpoint.");
  cmd->callback([o] {
    if (o->config.empty() && o->resume.empty()) throw InvalidArgument("train needs --config (or --resume CKPT)");
    Config cfg = !o->config.empty() ? Config::from_file(o->config)
                                    : Config::from_json(nn::load_checkpoint(o->resume).config, o->resume);
    for (const auto& s : o->sets) cfg.set(s);
    if (o->steps > 0) cfg.set_value("train.steps", o->steps);
    if (o->seed >= 0) cfg.set_value("train.seed", o->seed);
    if (o->threads >= 0) cfg.set_value("train.threads", o->threads);
    std::string out = o->out;
    if (out.empty()) {
      const std::string stem = !o->config.empty() ? std::filesystem::path(o->config).stem().string() : "resumed";
      out = "runs/" + stem;
    }
    const RunOptions run = resolve_options(cfg);
    diffusion::require_runnable(run);  // an error is one line, before anything else is printed
    diffusion::TrainOptions opt;
    opt.out_dir = out;
    opt.resume = o->resume;
    opt.should_stop = StopOnInterrupt::requested;
    const StopOnInterrupt stop_on_ctrl_c;
    spdlog::info("training {} steps into {} (config hash {})", run.train.steps, out, cfg.hash());
    const auto s = diffusion::train(run, opt);
    spdlog::info("{} steps {} -> {} in {} (final loss {:.5f}); checkpoint {}",
                 s.interrupted ? "interrupted:" : "done:", s.start_step, s.steps_done,
                 Progress::format_duration(s.seconds), s.last_loss, s.model_path);
    if (!s.interrupted) spdlog::info("sample grid {}/samples.png, loss curve {}/loss.png", out, out);
  });
}

}  // namespace qdiff::cli
