// `qdiff noise`: draws from a noise source and prints its statistics and normality tests.
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "commands.hpp"
#include "options.hpp"
#include "qdiff/core/config.hpp"
#include "qdiff/core/options.hpp"
#include "qdiff/diffusion/noise_stats.hpp"
#include "qdiff/diffusion/quantum_noise.hpp"
#include "qdiff/io/plot.hpp"

namespace qdiff::cli {

void register_noise(CLI::App& app) {
  auto* cmd = app.add_subcommand("noise", "Statistics of a diffusion noise source (gaussian or quantum)");
  struct Opts {
    std::string source = "quantum", hist;
    int64_t n = 100000, seed = 0, qubits = 12;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--source", o->source, "gaussian or quantum")->capture_default_str()->transform(like_key("diffusion.noise"));
  cmd->add_option("--n", o->n, "number of variates")->capture_default_str()->transform(integer_in(8, 2147483648.0));
  cmd->add_option("--seed", o->seed, "seed")->capture_default_str()->transform(seed_value());
  cmd->add_option("--qubits", o->qubits, "qubits of the quantum source's circuit")->capture_default_str()->transform(like_key("diffusion.noise_qubits"));
  cmd->add_option("--hist", o->hist, "write a histogram against the N(0,1) density as PNG");
  cmd->callback([o] {
    Config cfg;
    cfg.set_value("diffusion.noise", o->source);
    cfg.set_value("diffusion.noise_qubits", o->qubits);
    auto src = diffusion::make_noise_source(resolve_options(cfg).diffusion, static_cast<uint64_t>(o->seed));
    std::vector<float> x(static_cast<size_t>(o->n));
    src->fill_normal(x.data(), o->n);
    const auto st = diffusion::noise_statistics(x.data(), o->n);
    std::printf("source %s (seed %lld%s), n = %lld\n%s\n", src->name().c_str(), static_cast<long long>(o->seed),
                o->source == "quantum" ? (", " + std::to_string(o->qubits) + " qubits").c_str() : "",
                static_cast<long long>(o->n), st.report().c_str());
    if (!o->hist.empty()) {
      const int bins = 60;
      const double lo = -4.5, hi = 4.5, w = (hi - lo) / bins;
      Series h{"samples", {}, std::vector<double>(bins, 0.0), {}, palette_colour(0), false};
      Series pdf{"N(0,1) density", {}, {}, {}, palette_colour(1), false};
      for (float v : x) {
        const int b = static_cast<int>((v - lo) / w);
        if (b >= 0 && b < bins) h.y[b] += 1.0 / (o->n * w);
      }
      for (int b = 0; b < bins; ++b) {
        const double c = lo + (b + 0.5) * w;
        h.x.push_back(c);
        pdf.x.push_back(c);
        pdf.y.push_back(std::exp(-0.5 * c * c) / std::sqrt(2 * std::numbers::pi));
      }
      write_line_plot(o->hist, {h, pdf}, {"noise histogram (" + src->name() + ")", "value", "density", 720, 440, false, false, {}});
      spdlog::info("wrote {}", o->hist);
    }
  });
}

}  // namespace qdiff::cli
